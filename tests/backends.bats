#!/usr/bin/env bats
# Backends: every address form, failover in order, and what a client and
# the log see when no backend can be reached.  All traffic stays on
# 127.0.0.1, ::1 and unix sockets.

load lib/common

setup() { common_setup; }
teardown() { common_teardown; }

PLAIN_FIELDS="version=- cipher=- sni=-"
TLS_FIELDS="version=TLS1.3 cipher=AES-256-GCM sni=localhost"

# A port on which nothing listens (asked from the kernel, then released).
down_port() { free_port; }

# One plain and one TLS echo through tlsmux, then both summary lines.
assert_echo_both_paths() {
	local backend=$1
	run plain_client <<<"plain via $backend"
	assert_success
	assert_output "plain via $backend"
	wait_for_summary 1
	run gnutls_client <<<"tls via $backend"
	assert_success
	assert_output "tls via $backend"
	wait_for_summary 2
	local plain_len=$((${#backend} + 11)) tls_len=$((${#backend} + 9))
	run log_normalized
	assert_line "tlsmux: conn client=127.0.0.1:PORT path=plain backend=$backend $PLAIN_FIELDS in=$plain_len out=$plain_len duration=D closed=client client_eof=- phase=done exit=0"
	assert_line "tlsmux: conn client=127.0.0.1:PORT path=tls backend=$backend $TLS_FIELDS in=$tls_len out=$tls_len duration=D closed=client client_eof=close_notify phase=done exit=0"
}

@test "backend down, plain path: the client is closed, exit 69 in phase connect" {
	down=$(down_port)
	start_tlsmux sa --backend "127.0.0.1:$down" --cert "$CERT" --key "$KEY"
	run plain_client <<<"hello"
	assert_success
	assert_output ""
	wait_for_summary
	run log_normalized
	assert_output - <<-EOF
		tlsmux: no backend reachable: 127.0.0.1:$down: connection refused
		tlsmux: conn client=127.0.0.1:PORT path=plain backend=- $PLAIN_FIELDS in=0 out=0 duration=D closed=tlsmux client_eof=- phase=connect exit=69
	EOF
}

@test "backend down, TLS path: the client gets an internal_error alert, exit 69 in phase connect" {
	down=$(down_port)
	start_tlsmux sa --backend "127.0.0.1:$down" --cert "$CERT" --key "$KEY"
	run py_client --tls send:hello shut
	assert_failure 2
	assert_output --partial "TLSV1_ALERT_INTERNAL_ERROR"
	wait_for_summary
	run log_normalized
	assert_output - <<-EOF
		tlsmux: no backend reachable: 127.0.0.1:$down: connection refused
		tlsmux: conn client=127.0.0.1:PORT path=tls backend=- $TLS_FIELDS in=0 out=0 duration=D closed=tlsmux client_eof=- phase=connect exit=69
	EOF
}

@test "every backend down: each one is named in the error line" {
	down1=$(down_port)
	down2=$(down_port)
	start_tlsmux sa --backend "127.0.0.1:$down1" --backend "unix:$T/missing.sock" \
		--backend "127.0.0.1:$down2" --cert "$CERT" --key "$KEY"
	run plain_client <<<"hello"
	assert_success
	assert_output ""
	wait_for_summary
	run log_normalized
	assert_output - <<-EOF
		tlsmux: no backend reachable: 127.0.0.1:$down1: connection refused; unix:$T/missing.sock: no such file or directory; 127.0.0.1:$down2: connection refused
		tlsmux: conn client=127.0.0.1:PORT path=plain backend=- $PLAIN_FIELDS in=0 out=0 duration=D closed=tlsmux client_eof=- phase=connect exit=69
	EOF
}

@test "failover: the first backend refuses, the second one gets the data (plain and TLS)" {
	down=$(down_port)
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$down" --backend "127.0.0.1:$b_PORT" \
		--cert "$CERT" --key "$KEY"
	assert_echo_both_paths "127.0.0.1:$b_PORT"
	run grep -c "backend failover" "$LOG"
	assert_output 2
	run log_normalized
	assert_line "tlsmux: backend failover: 127.0.0.1:$down: connection refused; using 127.0.0.1:$b_PORT"
	wait_for_record b 2
	backend="127.0.0.1:$b_PORT"
	run cut -d' ' -f1-3 "$T/b.record"
	assert_line "conn 1 bytes=$((${#backend} + 11))"
	assert_line "conn 2 bytes=$((${#backend} + 9))"
}

@test "IPv6 backend [::1]:port" {
	start_backend b echo --listen ::1
	start_tlsmux sa --backend "[::1]:$b_PORT" --cert "$CERT" --key "$KEY"
	assert_echo_both_paths "[::1]:$b_PORT"
}

@test "unix socket backend unix:/path" {
	start_backend b echo --listen "unix:$T/backend.sock"
	assert_equal "$b_PORT" "unix:$T/backend.sock"
	start_tlsmux sa --backend "unix:$T/backend.sock" --cert "$CERT" --key "$KEY"
	assert_echo_both_paths "unix:$T/backend.sock"
}

@test "abstract unix socket backend @name" {
	name="tlsmux-test-$$-$BATS_SUITE_TEST_NUMBER"
	start_backend b echo --listen "@$name"
	start_tlsmux tcpserver --backend "@$name" --cert "$CERT" --key "$KEY"
	assert_echo_both_paths "@$name"
}

@test "backend by DNS name localhost:port" {
	start_backend b echo
	start_tlsmux sa --backend "localhost:$b_PORT" --cert "$CERT" --key "$KEY"
	assert_echo_both_paths "localhost:$b_PORT"
}

# A listening socket whose queue is full drops SYNs: connect() neither
# succeeds nor fails, so only --connect-timeout ends the attempt.
@test "unreachable backend: --connect-timeout 0.5s gives up, exit 69" {
	start_backend hole fullbacklog
	start_tlsmux sa --backend "127.0.0.1:$hole_PORT" --connect-timeout 0.5s \
		--cert "$CERT" --key "$KEY"
	run plain_client <<<"hello"
	assert_success
	assert_output ""
	wait_for_summary
	run log_normalized
	assert_output - <<-EOF
		tlsmux: no backend reachable: 127.0.0.1:$hole_PORT: connection timed out
		tlsmux: conn client=127.0.0.1:PORT path=plain backend=- $PLAIN_FIELDS in=0 out=0 duration=D closed=tlsmux client_eof=- phase=connect exit=69
	EOF
	# The attempt lasted the timeout: not less, and not the default 5s.
	duration=$(grep -o 'duration=[0-9.]*' "$LOG" | cut -d= -f2)
	run awk -v d="$duration" 'BEGIN { exit !(d >= 0.5 && d < 2) }'
	assert_success
}

@test "unreachable backend, then a good one: failover after --connect-timeout (plain and TLS)" {
	start_backend hole fullbacklog
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$hole_PORT" --backend "127.0.0.1:$b_PORT" \
		--connect-timeout 0.5s --cert "$CERT" --key "$KEY"
	assert_echo_both_paths "127.0.0.1:$b_PORT"
	run grep -c "tlsmux\[[0-9]*\]: backend failover: 127.0.0.1:$hole_PORT: connection timed out; using 127.0.0.1:$b_PORT\$" "$LOG"
	assert_output 2
}
