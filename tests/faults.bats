#!/usr/bin/env bats
# Faults: peers that refuse, reset, die, stall, flood or send garbage, and
# the largest records and hellos TLS allows.  Each case checks the exact
# log lines, the exit status, and that no tlsmux process outlives the
# connection.

load lib/common

FAULT_CLIENT="$TLSMUX_ROOT/tests/lib/faultclient.py"

setup() { common_setup; }
teardown() { common_teardown; }

fault_client() { timeout 50 python3 "$FAULT_CLIENT" "$PORT" "$@"; }

# start LAUNCHER-ARGS...: tlsmux under systemd-socket-activate, its PID kept.
start() {
	start_tlsmux sa "$@"
	LAUNCHER=${PIDS[-1]}
}

# The statuses the tlsmux processes exited with, in order, and none left.
assert_exits() {
	wait_until 20 eval '[ "$(grep -c "^Child [0-9]* died with code " "$LOG")" -ge '"$#"' ]'
	run sed -nE 's/^Child [0-9]+ died with code ([0-9]+)$/\1/p' "$LOG"
	assert_output "$(printf '%s\n' "$@")"
	assert_no_process_left
}

assert_no_process_left() {
	wait_until 10 eval '! pgrep -P "$LAUNCHER" >/dev/null'
	# Nor anywhere else (the launcher itself does not count).
	run pgrep -f -- "^([^ ]*/)?tlsmux(-tls)? .*--backend 127\.0\.0\.1:${b_PORT:-none} "
	assert_failure
}

# log_normalized with the byte counts replaced too (they vary with timing).
log_counts_free() {
	log_normalized | sed -E 's/ in=[0-9]+ out=[0-9]+ / in=N out=N /'
}

@test "backend refuses: plain and TLS clients get a clean end, exit 69" {
	b_PORT=$(free_port)	# nothing listens there
	start --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	run plain_client <<<"hello"
	assert_output ""
	wait_for_summary 1
	run gnutls_client <<<"hello"
	assert_failure
	wait_for_summary 2
	assert_log_lines \
		"tlsmux: no backend reachable: 127.0.0.1:$b_PORT: connection refused" \
		"tlsmux: conn client=127.0.0.1:PORT path=plain backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=connect exit=69" \
		"tlsmux: no backend reachable: 127.0.0.1:$b_PORT: connection refused" \
		"tlsmux: conn client=127.0.0.1:PORT path=tls backend=- version=TLS1.3 cipher=AES-256-GCM sni=localhost in=0 out=0 duration=D closed=tlsmux client_eof=- phase=connect exit=69"
	assert_exits 69 69
}

@test "backend accepts, then resets (SO_LINGER 0): exit 74, the log says the backend reset" {
	start_backend b reset
	start --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	run tcp_echo_client
	wait_for_summary
	assert_log_lines \
		"tlsmux: backend: connection reset by peer" \
		"tlsmux: conn client=127.0.0.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=6 out=0 duration=D closed=backend client_eof=- phase=pump exit=74"
	assert_exits 74
}

# One line, then wait for the server to end (reset or EOF).
tcp_echo_client() {
	timeout 20 python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=15)
s.sendall(b"hello\n")
try:
    while s.recv(65536):
        pass
except ConnectionResetError:
    pass' "$PORT"
}

@test "TLS: backend accepts, then resets: exit 74, the client gets a TLS close" {
	start_backend b reset
	start --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	run py_client --tls send:hello
	wait_for_summary
	assert_log_lines \
		"tlsmux: backend: connection reset by peer" \
		"tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=5 out=0 duration=D closed=backend client_eof=- phase=pump exit=74"
	assert_exits 74
}

# kill_backend NAME: SIGKILL the backend's process group.
kill_backend() { kill -KILL -- "-${PIDS[0]}"; }

@test "backend dies mid-transfer (SIGKILL): exit 74, no process left" {
	head -c 67108864 /dev/zero >"$T/up"
	start_backend b echo
	start --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	py_client --out "$T/received" sendfile:"$T/up" shut >/dev/null 2>&1 &
	local client=$!
	wait_until 20 eval '[ "$(stat -c %s "$T/received" 2>/dev/null || echo 0)" -gt 1048576 ]'
	kill_backend
	wait "$client" || true
	wait_for_summary
	run log_counts_free
	# The kernel says reset, or broken pipe when the backend's FIN came first.
	assert_output --regexp "^tlsmux: backend: (connection reset by peer|broken pipe)
tlsmux: conn client=127\.0\.0\.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=N out=N duration=D closed=backend client_eof=- phase=pump exit=74\$"
	assert_exits 74
}

@test "TLS: backend dies mid-transfer (SIGKILL): exit 74, no process left" {
	head -c 67108864 /dev/zero >"$T/up"
	start_backend b echo
	start --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	py_client --tls --out "$T/received" sendfile:"$T/up" shut >/dev/null 2>&1 &
	local client=$!
	wait_until 20 eval '[ "$(stat -c %s "$T/received" 2>/dev/null || echo 0)" -gt 1048576 ]'
	kill_backend
	wait "$client" || true
	wait_for_summary
	run log_counts_free
	assert_output --regexp "^tlsmux: backend: (connection reset by peer|broken pipe)
tlsmux: conn client=127\.0\.0\.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=N out=N duration=D closed=backend client_eof=- phase=pump exit=74\$"
	assert_exits 74
}

@test "client resets mid-transfer: exit 74, the backend sees the end, no process left" {
	start_backend b echo
	start --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	run fault_client reset-after 33554432
	assert_success
	wait_for_summary
	run log_counts_free
	assert_output "tlsmux: client: connection reset by peer
tlsmux: conn client=127.0.0.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=N out=N duration=D closed=client client_eof=- phase=pump exit=74"
	assert_exits 74
	wait_for_record b
}

asan_build() { ldd "$TLSMUX" | grep -q libasan; }

# rss_kib PID: resident memory of a process.
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
sent_total() { cat "$T/b.record.sent" 2>/dev/null || echo 0; }

# stop_reading PATH: a client that stops reading while the backend floods;
# the backend must stall (back-pressure) and tlsmux's memory stay bounded;
# then --idle-timeout ends it.
stop_reading() {
	local tls=$1 pid before after rss
	start_backend b flood
	start --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" --idle-timeout 4s
	if [ "$tls" = tls ]; then
		py_client --tls --read-delay 3600 send:x >/dev/null 2>&1 &
	else
		fault_client stop-reading "$T/done" >/dev/null 2>&1 &
	fi
	local client=$!
	wait_until 20 eval '[ "$(sent_total)" -gt 1048576 ]'
	# Back-pressure: the total stops growing (within 20 s).
	before=-1
	for _ in $(seq 20); do
		[ "$before" != "$(sent_total)" ] || break
		before=$(sent_total)
		sleep 1
	done
	[ "$before" = "$(sent_total)" ]
	after=$(sent_total)
	pid=$(pgrep -P "$LAUNCHER" | head -n 1)
	rss=$(rss_kib "$pid")
	echo "backend stalled after $after bytes; tlsmux RSS ${rss} KiB"
	# What the kernel's socket buffers hold, and no more: not the flood.
	[ "$after" -lt $((48 * 1048576)) ]
	[ "$rss" -lt "${RSS_LIMIT_KIB:-16384}" ]
	wait_for_summary
	touch "$T/done"
	kill "$client" 2>/dev/null || true
	wait "$client" || true
}

@test "client stops reading: the backend is held back, memory stays bounded, idle timeout ends it" {
	asan_build && RSS_LIMIT_KIB=131072	# ASan's shadow memory and quarantine
	stop_reading plain
	run log_counts_free
	assert_output "tlsmux: idle for 4.000s: closing
tlsmux: conn client=127.0.0.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=N out=N duration=D closed=tlsmux client_eof=- phase=pump exit=75"
	assert_exits 75
}

@test "TLS: client stops reading: the backend is held back, memory stays bounded, idle timeout ends it" {
	asan_build && RSS_LIMIT_KIB=131072
	stop_reading tls
	run log_counts_free
	assert_output "tlsmux: idle for 4.000s: closing
tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=N out=N duration=D closed=tlsmux client_eof=- phase=pump exit=75"
	assert_exits 75
}

@test "slowloris during detection: a silent client is closed at --detect-timeout (--on-silence close)" {
	start_backend b echo
	start --backend "127.0.0.1:$b_PORT" --detect-timeout 1s --on-silence close
	run fault_client silent
	assert_success
	assert_output "received=0 end=eof"
	wait_for_summary
	assert_log_lines \
		"tlsmux: client silent for 1.000s: closing" \
		"tlsmux: conn client=127.0.0.1:PORT path=none backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=detect exit=75"
	assert_exits 75
	[ ! -e "$T/b.record" ]
}

@test "slowloris during the handshake: a hello trickled a byte at a time hits --handshake-timeout" {
	python3 "$FAULT_CLIENT" - hello >"$T/hello"
	start_backend b echo
	start --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" --handshake-timeout 1s
	run fault_client trickle "$T/hello" 0.1
	assert_success
	wait_for_summary
	assert_log_lines \
		"tlsmux: TLS handshake timed out after 1.000s" \
		"tlsmux: conn client=127.0.0.1:PORT path=tls backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=handshake exit=75"
	assert_exits 75
	# The deadline counts from the start, not from the last byte.
	run at_least "$(summary_field duration | tr -d s)" 2.5
	assert_failure
	[ ! -e "$T/b.record" ]
}

@test "idle timeout: nothing moves for --idle-timeout 1s on either path: closed, exit 75" {
	start_backend b echo
	start --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" --idle-timeout 1s
	run py_client send:hi expect:hi
	assert_output "hi"
	wait_for_summary 1
	run py_client --tls send:hi expect:hi
	assert_output "hi"
	wait_for_summary 2
	assert_log_lines \
		"tlsmux: idle for 1.000s: closing" \
		"tlsmux: conn client=127.0.0.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=2 out=2 duration=D closed=tlsmux client_eof=- phase=pump exit=75" \
		"tlsmux: idle for 1.000s: closing" \
		"tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=2 out=2 duration=D closed=tlsmux client_eof=- phase=pump exit=75"
	assert_exits 75 75
}

@test "half-open: the client ended its side, the backend never answers: the idle timer ends it" {
	start_backend b hold
	start --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" --idle-timeout 1s
	run py_client send:request shut
	assert_success
	assert_output ""
	wait_for_summary
	assert_log_lines \
		"tlsmux: idle for 1.000s: closing" \
		"tlsmux: conn client=127.0.0.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=7 out=0 duration=D closed=tlsmux client_eof=- phase=pump exit=75"
	assert_exits 75
}

@test "1 MiB of garbage goes plain and arrives intact" {
	{ printf 'G'; head -c 1048575 /dev/urandom; } >"$T/garbage"
	start_backend b reply
	start --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	run py_client sendfile:"$T/garbage" shut
	assert_success
	assert_output "got 1048576 sha256=$(sha256_of "$T/garbage")"
	wait_for_summary
	run log_normalized
	assert_output "tlsmux: conn client=127.0.0.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=1048576 out=$(printf 'got 1048576 sha256=%064d\n' 0 | wc -c) duration=D closed=client client_eof=- phase=done exit=0"
	assert_exits 0
}

@test "1 MiB of garbage behind a ClientHello header is refused by the handshake, exit 76" {
	{ printf '\x16\x03\x01\x40\x00\x01'; head -c 1048576 /dev/urandom; } >"$T/garbage"
	start_backend b echo
	start --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	run py_client sendfile:"$T/garbage" shut
	wait_for_summary
	run log_normalized
	assert_output --regexp "^tlsmux: TLS handshake failed: [^
]+
tlsmux: conn client=127\.0\.0\.1:PORT path=tls backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=handshake exit=76\$"
	assert_exits 76
	[ ! -e "$T/b.record" ]
}

@test "TLS records of the maximum size (16 KiB) both ways, 4 MiB intact" {
	start_backend b echo
	start --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	run fault_client max-records "$CA"
	assert_success
	local sum
	sum=$(sed -nE 's/^sent_sha256=([0-9a-f]+) .*/\1/p' <<<"$output")
	assert_line "sent_sha256=$sum received=4194304 received_sha256=$sum"
	# 16384 bytes of data + content type + AEAD tag: full records each way.
	# How the echo arrives decides the size of the rest of tlsmux's records.
	assert_line --regexp '^max_out=16401 full_out=256 max_in=16401 full_in=[1-9][0-9]*$'
	wait_for_summary
	assert_log_lines "tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=4194304 out=4194304 duration=D closed=client client_eof=close_notify phase=done exit=0"
	assert_exits 0
}

@test "a 40 KiB ClientHello over three TLS records and 1000-byte segments is served" {
	start_backend b echo
	start --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	run fault_client big-hello "$CA"
	assert_success
	local sum
	assert_line --regexp '^hello_bytes=4[0-9]{4} hello_records=3 version=TLSv1\.3$'
	sum=$(sed -nE 's/^sent_sha256=([0-9a-f]+) .*/\1/p' <<<"$output")
	assert_line "sent_sha256=$sum received=1048576 received_sha256=$sum"
	wait_for_summary
	assert_log_lines "tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=1048576 out=1048576 duration=D closed=client client_eof=close_notify phase=done exit=0"
	assert_exits 0
}
