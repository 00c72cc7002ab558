#!/usr/bin/env bats
# Half-close: an end of stream from one side reaches the other side as a
# half-close while the other direction keeps flowing, on both paths.

load lib/common

setup() {
	common_setup
	head -c 300000 /dev/urandom >"$T/request"
	REQUEST_SHA=$(sha256_of "$T/request")
	# What the reply backend answers once it has seen the request and EOF.
	REPLY="got 300000 sha256=$REQUEST_SHA"
	REPLY_LEN=$((${#REPLY} + 1))
}
teardown() { common_teardown; }

@test "plain: a client that shuts its write side still receives the reply" {
	start_backend b reply
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	# socat shuts down its write side at the end of input, then reads on.
	run plain_client <"$T/request"
	assert_success
	assert_output "$REPLY"
	wait_for_summary
	run log_normalized
	assert_output "tlsmux: conn client=127.0.0.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=300000 out=$REPLY_LEN duration=D closed=client client_eof=- phase=done exit=0"
}

@test "TLS: gnutls-cli ends with close_notify and still receives the reply" {
	start_backend b reply
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	run gnutls_client <"$T/request"
	assert_success
	assert_output "$REPLY"
	wait_for_summary
	run log_normalized
	assert_output "tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=300000 out=$REPLY_LEN duration=D closed=client client_eof=close_notify phase=done exit=0"
}

@test "TLS: a client that ends with a bare FIN (no close_notify) still receives the reply" {
	start_backend b reply
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	run py_client --tls --report "$T/client.report" sendfile:"$T/request" fin
	assert_success
	assert_output "$REPLY"
	run cat "$T/client.report"
	assert_line "sent=300000"
	assert_line "server_eof=close_notify"
	wait_for_summary
	run log_normalized
	assert_output - <<-EOF
		tlsmux: client ended TLS with a bare FIN, no close_notify
		tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=300000 out=$REPLY_LEN duration=D closed=client client_eof=fin phase=done exit=0
	EOF
}

@test "TLS 1.2: a client that ends with a bare FIN still receives the reply" {
	start_backend b reply
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	run py_client --tls --tls12 --report "$T/client.report" sendfile:"$T/request" fin
	assert_success
	assert_output "$REPLY"
	run cat "$T/client.report"
	assert_line "version=TLSv1.2"
	assert_line "server_eof=close_notify"
	wait_for_summary
	run log_normalized
	assert_output - <<-EOF
		tlsmux: client ended TLS with a bare FIN, no close_notify
		tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.2 cipher=AES-256-GCM sni=localhost in=300000 out=$REPLY_LEN duration=D closed=client client_eof=fin phase=done exit=0
	EOF
}

@test "TLS: openssl s_client -no_ign_eof ends with close_notify, not a bare FIN" {
	# OpenSSL 3's s_client, at the end of its input, sends close_notify,
	# shuts down its write side and then reads for up to 0.5 s, throwing the
	# data away; so it never prints the reply, but tlsmux relays it.
	# -nocommands: a line of random bytes starting with K would be a command.
	start_backend b reply
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	run openssl_client -nocommands <"$T/request"
	assert_success
	wait_for_summary
	run log_normalized
	assert_output "tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=300000 out=$REPLY_LEN duration=D closed=client client_eof=close_notify phase=done exit=0"
	wait_for_record b
	run cat "$T/b.record"
	assert_output "conn 1 bytes=300000 sha256=$REQUEST_SHA first=$(head -c 16 "$T/request" | od -An -tx1 | tr -d ' \n') end=eof"
}

# The backend says goodbye and shuts its write side at once; the client sees
# the end of stream, then sends 1 MB more and ends its side with END (shut or
# fin), and the backend gets all of it.
backend_closes_first() {
	local launcher=$1 path=$2 end=$3 eof=$4 tls=()
	[ "$path" = tls ] && tls=(--tls)
	start_backend b closefirst
	start_tlsmux "$launcher" --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	head -c 1000000 /dev/urandom >"$T/more"
	cat <(printf 'hello\n') "$T/more" >"$T/sent"
	run py_client "${tls[@]}" --report "$T/client.report" \
		send:'hello\n' eof sendfile:"$T/more" "$end"
	assert_success
	assert_output "bye from the backend"
	run cat "$T/client.report"
	assert_line "server_eof=$eof"
	assert_line "sent=1000006"
	wait_for_summary
	wait_for_record b
	run cut -d' ' -f1-4,6 "$T/b.record"
	assert_output "conn 1 bytes=1000006 sha256=$(sha256_of "$T/sent") end=eof"
}

@test "plain: the backend closes first, the client keeps sending and all of it arrives" {
	backend_closes_first sa plain shut fin
	run log_normalized
	assert_output "tlsmux: conn client=127.0.0.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=1000006 out=21 duration=D closed=backend client_eof=- phase=done exit=0"
}

@test "TLS: the backend closes first (close_notify to the client), the client keeps sending and all of it arrives" {
	backend_closes_first sa tls shut close_notify
	run log_normalized
	assert_output "tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=1000006 out=21 duration=D closed=backend client_eof=close_notify phase=done exit=0"
}

@test "TLS on fds 0 and 1 (tcpserver): the backend closes first, the client keeps sending, then ends with a bare FIN" {
	backend_closes_first tcpserver tls fin close_notify
	run log_normalized
	assert_output - <<-EOF
		tlsmux: client ended TLS with a bare FIN, no close_notify
		tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=1000006 out=21 duration=D closed=backend client_eof=fin phase=done exit=0
	EOF
}

# The client reads 4 KiB every 2 ms while the backend sends 8 MiB: tlsmux
# must wait for the client, not drop or reorder bytes.
slow_reader() {
	local path=$1 eof=$2 tls=()
	[ "$path" = tls ] && tls=(--tls)
	head -c 8M /dev/urandom >"$T/download"
	start_backend b exchange --file "$T/download"
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	run py_client "${tls[@]}" --out "$T/received" --report "$T/client.report" \
		--read-chunk 4096 --read-delay 0.002 send:'slow reader\n' shut
	assert_success
	assert_equal "$(sha256_of "$T/received")" "$(sha256_of "$T/download")"
	run cat "$T/client.report"
	assert_line "received=8388608"
	assert_line "server_eof=$eof"
	wait_for_summary
	wait_for_record b
	run cut -d' ' -f1-4 "$T/b.record"
	assert_output "conn 1 bytes=12 sha256=$(printf 'slow reader\n' | sha256sum | cut -d' ' -f1)"
}

@test "plain: a slow reader gets 8 MiB intact" {
	slow_reader plain fin
	run log_normalized
	assert_output "tlsmux: conn client=127.0.0.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=12 out=8388608 duration=D closed=client client_eof=- phase=done exit=0"
}

@test "TLS: a slow reader gets 8 MiB intact" {
	slow_reader tls close_notify
	run log_normalized
	assert_output "tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=12 out=8388608 duration=D closed=client client_eof=close_notify phase=done exit=0"
}
