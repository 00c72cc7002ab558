#!/usr/bin/env bats
# The same exchange, TLS and plain on one port, under every way tlsmux can
# be started: systemd-socket-activate (LISTEN_FDS and --inetd), tcpserver,
# xinetd (the client's socket is fd 2 too) and a pair of pipes.

load lib/common

setup_file() {
	# 1 MiB that starts with a byte that cannot open TLS.
	UP=$BATS_FILE_TMPDIR/up.bin
	{ printf 'UPLOAD\n'; head -c 1048576 /dev/urandom; } >"$UP"
	export UP
}

setup() { common_setup; }
teardown() { common_teardown; }

# Under xinetd fd 2 is the client's socket, so tlsmux logs to syslog.  No
# syslog daemon runs here: a wrapper first in PATH runs xinetd in a mount
# namespace of its own whose /dev/log is read by SYSLOG_READER, which
# appends each line to $LOG as "tlsmux[PID]: message", the form tlsmux
# uses on standard error.  start_tlsmux xinetd then runs unchanged.
SYSLOG_READER='
import re, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[2], "w").close()
with open(sys.argv[1], "a") as log:
    while True:
        line = s.recv(65536).decode(errors="replace")
        line = re.sub(r"^<[0-9]+>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} ", "", line)
        log.write(line.rstrip("\n") + "\n")
        log.flush()
'
capture_syslog_of_xinetd() {
	local real
	real=$(command -v xinetd)
	if ! unshare --mount --propagation private true; then
		echo "the xinetd tests need a private mount namespace (run as root)" >&2
		return 1
	fi
	mkdir -p "$T/bin" "$T/dev.upper" "$T/dev.work"
	printf '%s' "$SYSLOG_READER" >"$T/syslog-reader.py"
	cat >"$T/bin/xinetd" <<-EOF
		#!/bin/bash
		exec unshare --mount --propagation private bash -c '
			mount -t overlay overlay -o lowerdir=/dev,upperdir=$T/dev.upper,workdir=$T/dev.work /dev || exit 71
			python3 $T/syslog-reader.py $LOG $T/syslog.ready &
			for _ in \$(seq 500); do [ -e $T/syslog.ready ] && break; sleep 0.02; done
			exec $real "\$@"' xinetd "\$@"
	EOF
	chmod +x "$T/bin/xinetd"
	PATH=$T/bin:$PATH
}

# echo_both_paths CLIENT: with an "echo" backend b and tlsmux on $PORT, a
# plain client (socat) and then a TLS client (gnutls-cli) each send UP, end
# their side and read the echo to the end.  UP crosses tlsmux both ways
# intact, and the log shows one summary per path.  CLIENT is the client
# field as log_normalized writes it.
echo_both_paths() {
	local client=$1 size
	size=$(wc -c <"$UP")
	plain_client <"$UP" >"$T/plain.out"
	wait_for_summary 1
	gnutls_client <"$UP" >"$T/tls.out"
	wait_for_summary 2

	# Nothing but the backend's bytes reached either client.
	assert_equal "$(sha256_of "$T/plain.out")" "$(sha256_of "$UP")"
	assert_equal "$(sha256_of "$T/tls.out")" "$(sha256_of "$UP")"
	# The backend got UP over both connections, from its first byte.
	wait_for_record b 2
	run cut -d' ' -f3- "$T/b.record"
	local seen="bytes=$size sha256=$(sha256_of "$UP") first=$(head -c 16 "$UP" | xxd -p) end=eof"
	assert_output "$seen
$seen"
	assert_log_lines \
		"tlsmux: conn client=$client path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=$size out=$size duration=D closed=client client_eof=- phase=done exit=0" \
		"tlsmux: conn client=$client path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=$size out=$size duration=D closed=client client_eof=close_notify phase=done exit=0"
}

@test "systemd-socket-activate, LISTEN_FDS: TLS and plain, 1 MiB there and back" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	echo_both_paths 127.0.0.1:PORT
}

@test "systemd-socket-activate --inetd: TLS and plain, 1 MiB there and back" {
	start_backend b echo
	start_tlsmux sa-inetd --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	echo_both_paths 127.0.0.1:PORT
}

@test "tcpserver: TLS and plain, 1 MiB there and back" {
	start_backend b echo
	start_tlsmux tcpserver --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	echo_both_paths 127.0.0.1:PORT
}

@test "xinetd: TLS and plain, 1 MiB there and back, log lines to syslog only" {
	capture_syslog_of_xinetd
	start_backend b echo
	start_tlsmux xinetd --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	echo_both_paths 127.0.0.1:PORT
}

@test "xinetd: an error line goes to syslog, never to a plain client (--log stderr)" {
	capture_syslog_of_xinetd
	start_backend b echo
	local dead
	dead=$(free_port)
	start_tlsmux xinetd --log stderr --backend "127.0.0.1:$dead" \
		--backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	printf 'only this payload\n' >"$T/payload"
	plain_client <"$T/payload" >"$T/plain.out"
	wait_for_summary
	# The client got exactly its echo, byte for byte ...
	run cmp "$T/payload" "$T/plain.out"
	assert_success
	# ... while tlsmux did log an error line, to syslog.
	assert_log_lines \
		"tlsmux: backend failover: 127.0.0.1:$dead: connection refused; using 127.0.0.1:$b_PORT" \
		"tlsmux: conn client=127.0.0.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=18 out=18 duration=D closed=client client_eof=- phase=done exit=0"
}

@test "xinetd: an error line goes to syslog, never into a TLS client's stream" {
	capture_syslog_of_xinetd
	start_backend b echo
	local dead
	dead=$(free_port)
	start_tlsmux xinetd --backend "127.0.0.1:$dead" --backend "127.0.0.1:$b_PORT" \
		--cert "$CERT" --key "$KEY"
	printf 'only this payload\n' >"$T/payload"
	gnutls_client <"$T/payload" >"$T/tls.out"
	wait_for_summary
	run cmp "$T/payload" "$T/tls.out"
	assert_success
	assert_log_lines \
		"tlsmux: backend failover: 127.0.0.1:$dead: connection refused; using 127.0.0.1:$b_PORT" \
		"tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=18 out=18 duration=D closed=client client_eof=close_notify phase=done exit=0"
}

@test "xinetd: with --log journal and no journal to reach, log lines still never reach the client" {
	capture_syslog_of_xinetd
	[ ! -S /run/systemd/journal/socket ] || skip "a journal runs here: its socket takes the lines"
	start_backend b echo
	local dead
	dead=$(free_port)
	start_tlsmux xinetd --log journal --backend "127.0.0.1:$dead" \
		--backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	printf 'only this payload\n' >"$T/payload"
	plain_client <"$T/payload" >"$T/plain.out"
	wait_for_record b
	# The failover error must not travel to the client with its echo.
	run cat "$T/plain.out"
	assert_output "only this payload"
}

@test "pipes: printf data | tlsmux > file relays plain bytes" {
	start_backend b echo
	printf 'plain through pipes\n' | timeout 20 "$TLSMUX" --backend "127.0.0.1:$b_PORT" \
		2>>"$LOG" >"$T/out"
	run cat "$T/out"
	assert_output "plain through pipes"
	assert_log_lines "tlsmux: conn client=pipe path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=20 out=20 duration=D closed=client client_eof=- phase=done exit=0"
}

@test "pipes: a pair of pipes carries 1 MiB there and back, plain" {
	start_backend b echo
	local size
	size=$(wc -c <"$UP")
	cat "$UP" | timeout 20 "$TLSMUX" --backend "127.0.0.1:$b_PORT" 2>>"$LOG" | cat >"$T/out"
	local status=${PIPESTATUS[1]}
	assert_equal "$status" 0
	assert_equal "$(sha256_of "$T/out")" "$(sha256_of "$UP")"
	wait_for_record b
	run cut -d' ' -f3- "$T/b.record"
	assert_output "bytes=$size sha256=$(sha256_of "$UP") first=$(head -c 16 "$UP" | xxd -p) end=eof"
	assert_log_lines "tlsmux: conn client=pipe path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=$size out=$size duration=D closed=client client_eof=- phase=done exit=0"
}

@test "pipes: TLS and plain clients through socat EXEC with pipes, 1 MiB there and back" {
	start_backend b echo
	# A configuration file keeps the colons of addresses out of socat's syntax.
	printf 'backend 127.0.0.1:%s\ncert %s\nkey %s\n' "$b_PORT" "$CERT" "$KEY" >"$T/tlsmux.conf"
	PORT=$(free_port)
	setsid socat "TCP-LISTEN:$PORT,bind=127.0.0.1,reuseaddr,fork" \
		"EXEC:$TLSMUX -f $T/tlsmux.conf,pipes" 2>>"$LOG" 3>&- &
	PIDS+=($!)
	wait_until 10 port_listening "$PORT"
	# tlsmux sees two pipes, so it cannot name the client.
	echo_both_paths pipe
}

@test "curl over https and http, and openssl s_client, share one port" {
	start_backend b http
	start_tlsmux sa-inetd --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	local response
	response=$(printf 'HTTP/1.1 200 OK\r\nContent-Length: 23\r\nConnection: close\r\n\r\nhello from the backend\n' | wc -c)

	run timeout 20 curl -sS --max-time 15 --cacert "$CA" "https://localhost:$PORT/"
	assert_success
	assert_output "hello from the backend"
	wait_for_summary 1

	run timeout 20 curl -sS --max-time 15 "http://127.0.0.1:$PORT/"
	assert_success
	assert_output "hello from the backend"
	wait_for_summary 2

	# -ign_eof: read the answer to its end after the request is sent.
	run openssl_client -ign_eof < <(printf 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')
	assert_success
	assert_line --index 0 $'HTTP/1.1 200 OK\r'
	assert_line "hello from the backend"
	wait_for_summary 3

	# tlsmux relayed each request whole: its in= is what the backend got.
	wait_for_record b 3
	local got=()
	mapfile -t got < <(sort -n -k2 "$T/b.record" | sed -E 's/.* bytes=([0-9]+) .*/\1/')
	run log_normalized
	assert_equal "${#lines[@]}" 3
	assert_line --index 0 --regexp "^tlsmux: conn client=127\.0\.0\.1:PORT path=tls backend=127\.0\.0\.1:$b_PORT version=TLS1\.3 cipher=AES-256-GCM sni=localhost in=${got[0]} out=$response duration=D closed=(backend|client) client_eof=(close_notify|fin) phase=done exit=0$"
	assert_line --index 1 --regexp "^tlsmux: conn client=127\.0\.0\.1:PORT path=plain backend=127\.0\.0\.1:$b_PORT version=- cipher=- sni=- in=${got[1]} out=$response duration=D closed=(backend|client) client_eof=- phase=done exit=0$"
	assert_line --index 2 --regexp "^tlsmux: conn client=127\.0\.0\.1:PORT path=tls backend=127\.0\.0\.1:$b_PORT version=TLS1\.3 cipher=AES-256-GCM sni=localhost in=${got[2]} out=$response duration=D closed=(backend|client) client_eof=(close_notify|fin) phase=done exit=0$"
	# The plain request reached the backend as curl wrote it.
	run sed -n 2p < <(sort -n -k2 "$T/b.record")
	assert_output --partial " first=$(printf 'GET / HTTP/1.1\r\n' | xxd -p) "
}
