#!/usr/bin/env bats
# One port, two paths: TLS and plain clients through every launcher.

load lib/common

setup() { common_setup; }
teardown() { common_teardown; }

@test "plain and TLS clients share one port (systemd-socket-activate, LISTEN_FDS)" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	assert_hello_both_paths
	wait_for_summary 2
	run grep -c "path=plain backend=127.0.0.1:$b_PORT .* in=12 out=12 .* closed=client client_eof=- phase=done exit=0" "$LOG"
	assert_output 1
	run grep -c "path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=10 out=10 .* closed=client client_eof=close_notify phase=done exit=0" "$LOG"
	assert_output 1
	# The backend saw plaintext both times.
	run cut -d' ' -f5 "$T/b.record"
	assert_line "first=706c61696e2068656c6c6f0a"
	assert_line "first=746c732068656c6c6f0a"
}
