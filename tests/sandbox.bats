#!/usr/bin/env bats
# The sandbox seen from outside: a live connection's process has no new
# privileges and a seccomp filter on both paths, runs as --user when
# started as root, and still relays.

load lib/common

setup() { common_setup; }
teardown() {
	touch "$T/done" 2>/dev/null
	common_teardown
}

# hold_connection [--tls]: a client that exchanges a line and then keeps
# the connection open until $T/done exists; sets CONN_PID to the process
# serving it (tlsmux, or tlsmux-tls after the exec).
hold_connection() {
	py_client "$@" send:ping expect:ping touch:"$T/live" wait:"$T/done" shut \
		>"$T/client.out" 2>&1 &
	CLIENT=$!
	wait_until 20 test -e "$T/live"
	CONN_PID=$(pgrep -P "${PIDS[-1]}" | head -n 1)
	[ -n "$CONN_PID" ]
}

# Ends the held connection; the client got its line back.
release_connection() {
	touch "$T/done"
	wait "$CLIENT"
	run cat "$T/client.out"
	assert_output ping
}

status_of() { grep -E "^($1):" "/proc/$CONN_PID/status" | tr -s '\t' ' '; }

@test "plain: a live connection runs with no new privileges and the relay's seccomp filter" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	hold_connection
	run status_of 'NoNewPrivs|Seccomp|Seccomp_filters'
	assert_output "NoNewPrivs: 1
Seccomp: 2
Seccomp_filters: 1"
	run cat "/proc/$CONN_PID/comm"
	assert_output tlsmux
	release_connection
	wait_for_summary
	assert_log_lines "tlsmux: conn client=127.0.0.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=4 out=4 duration=D closed=client client_eof=- phase=done exit=0"
}

@test "TLS: a live connection runs with no new privileges and two seccomp filters" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	hold_connection --tls
	run status_of 'NoNewPrivs|Seccomp|Seccomp_filters'
	assert_output "NoNewPrivs: 1
Seccomp: 2
Seccomp_filters: 2"
	run cat "/proc/$CONN_PID/comm"
	assert_output tlsmux-tls
	release_connection
	wait_for_summary
	assert_log_lines "tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=4 out=4 duration=D closed=client client_eof=close_notify phase=done exit=0"
}

@test "--user nobody: a root-only key is read, then both paths run as nobody" {
	[ "$(id -u)" = 0 ] || skip "needs root"
	local nobody
	nobody=$(id -u nobody)
	# Readable by root only: the TLS path must read it before the switch.
	install -m 600 "$KEY" "$T/root-only.key"
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$T/root-only.key" \
		--user nobody
	for tls in "" --tls; do
		rm -f "$T/live" "$T/done"
		hold_connection $tls
		run status_of 'Uid|Gid|Groups'
		assert_output "Uid: $nobody $nobody $nobody $nobody
Gid: $(id -g nobody) $(id -g nobody) $(id -g nobody) $(id -g nobody)
Groups: $(id -g nobody) "
		release_connection
	done
	wait_for_summary 2
	run log_normalized
	assert_line --regexp "path=plain .* in=4 out=4 .* exit=0$"
	assert_line --regexp "path=tls .* in=4 out=4 .* exit=0$"
}

@test "--user with an unknown name: the connection ends with exit 67 and a clear line" {
	[ "$(id -u)" = 0 ] || skip "needs root"
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" \
		--user no-such-user-here
	run plain_client <<<"hello"
	assert_output ""
	wait_for_summary 1
	run gnutls_client <<<"hello"
	assert_failure
	wait_for_summary 2
	assert_log_lines \
		"tlsmux: --user no-such-user-here: no such user" \
		"tlsmux: conn client=127.0.0.1:PORT path=plain backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=connect exit=67" \
		"tlsmux: --user no-such-user-here: no such user" \
		"tlsmux: conn client=127.0.0.1:PORT path=tls backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=handshake exit=67"
	[ ! -e "$T/b.record" ]
}

# The program serving the held connection, a child of CONN_PID.
program_pid() {
	PROGRAM_PID=$(pgrep -P "$CONN_PID" | head -n 1)
	[ -n "$PROGRAM_PID" ]
}

@test "--exec: the program runs unfiltered, tlsmux waits for it under the relaying filter" {
	start_tlsmux sa --exec /bin/cat --cert "$CERT" --key "$KEY"
	# Plain: the program has the client's socket, tlsmux only waits (one filter).
	# TLS: the spawner execs it after the handshake (connect + relay filters).
	local tls filters
	for tls in "" --tls; do
		rm -f "$T/live" "$T/done"
		filters=1
		[ -n "$tls" ] && filters=2
		hold_connection $tls
		wait_until 20 program_pid
		wait_until 20 grep -Eq "^Seccomp_filters:[[:space:]]+$filters$" "/proc/$CONN_PID/status"
		run status_of 'NoNewPrivs|Seccomp|Seccomp_filters'
		assert_output "NoNewPrivs: 1
Seccomp: 2
Seccomp_filters: $filters"
		run cat "/proc/$PROGRAM_PID/comm"
		assert_output cat
		run grep -E '^(NoNewPrivs|Seccomp|Seccomp_filters):' "/proc/$PROGRAM_PID/status"
		assert_output --regexp "^NoNewPrivs:.0
Seccomp:.0
Seccomp_filters:.0$"
		release_connection
	done
	wait_for_summary 2
	run log_normalized
	assert_line "tlsmux: conn client=127.0.0.1:PORT path=plain backend=exec:/bin/cat version=- cipher=- sni=- in=- out=- duration=D closed=- client_eof=- phase=done exit=0 program=exit:0"
	assert_line "tlsmux: conn client=127.0.0.1:PORT path=tls backend=exec:/bin/cat version=TLS1.3 cipher=AES-256-GCM sni=localhost in=4 out=4 duration=D closed=client client_eof=close_notify phase=done exit=0 program=exit:0"
	refute_output --partial "sandbox:"
}

@test "--exec with --user nobody: the program runs as nobody on both paths" {
	[ "$(id -u)" = 0 ] || skip "needs root"
	local nobody tls
	nobody=$(id -u nobody)
	install -m 600 "$KEY" "$T/root-only.key"
	start_tlsmux sa --exec /bin/cat --cert "$CERT" --key "$T/root-only.key" --user nobody
	for tls in "" --tls; do
		rm -f "$T/live" "$T/done"
		hold_connection $tls
		wait_until 20 program_pid
		run grep -E '^Uid:' "/proc/$PROGRAM_PID/status"
		assert_output --regexp "^Uid:.$nobody.$nobody.$nobody.$nobody$"
		release_connection
	done
	wait_for_summary 2
	run log_normalized
	assert_line --regexp "path=plain backend=exec:/bin/cat .* exit=0 program=exit:0$"
	assert_line --regexp "path=tls backend=exec:/bin/cat .* exit=0 program=exit:0$"
}

@test "--exec and a route taken instead: the spawner never runs the program, the relay is filtered" {
	start_backend b echo
	printf 'touch "%s/ran"\nexec cat\n' "$T" >"$T/prog.sh"
	start_tlsmux sa --exec "/bin/sh $T/prog.sh" --route "sni=localhost=127.0.0.1:$b_PORT" \
		--cert "$CERT" --key "$KEY"
	hold_connection --tls
	run status_of 'Seccomp_filters'
	assert_output "Seccomp_filters: 2"
	# The spawner is gone: nothing left under tlsmux-tls.
	run pgrep -P "$CONN_PID"
	assert_failure
	release_connection
	wait_for_summary
	assert_log_lines "tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=4 out=4 duration=D closed=client client_eof=close_notify phase=done exit=0"
	[ ! -e "$T/ran" ]
}

# The kernel's Landlock ABI version, 0 without it.
landlock_abi() {
	python3 -c 'import ctypes; print(max(ctypes.CDLL(None).syscall(444, None, 0, 1), 0))'
}

@test "Landlock: a live connection's process cannot open a file it was not told about, on both paths" {
	[ "$(landlock_abi)" -gt 0 ] || skip "this kernel has no Landlock (landlock_create_ruleset fails): nothing to test"
	# World-readable, so that only Landlock can refuse it; not beneath
	# the config file's directory, whose files are readable (renewal puts
	# new files there).
	printf 'not for tlsmux\n' >"$T/outside.txt"
	chmod 644 "$T/outside.txt"
	export TLSMUX_SANDBOX_PROBE="$T/outside.txt:$CERT"
	start_backend b echo
	# A config file: the TLS helper reads it again, under the domain.
	mkdir "$T/conf"
	printf 'backend 127.0.0.1:%s\n' "$b_PORT" >"$T/conf/tlsmux.conf"
	start_tlsmux sa -f "$T/conf/tlsmux.conf" --cert "$CERT" --key "$KEY"
	for tls in "" --tls; do
		rm -f "$T/live" "$T/done"
		hold_connection $tls
		release_connection
	done
	wait_for_summary 2
	run log_normalized
	# The plain path: tlsmux; TLS: tlsmux, then tlsmux-tls under the
	# domain it inherited across the exec (it makes none of its own).
	assert_equal "$(grep -c "sandbox probe: $T/outside.txt: permission denied$" <<<"$output")" 3
	assert_equal "$(grep -c "sandbox probe: $CERT: opened$" <<<"$output")" 3
	refute_output --partial "outside.txt: opened"
	assert_line --regexp "path=plain .* in=4 out=4 .* exit=0$"
	assert_line --regexp "path=tls .* in=4 out=4 .* exit=0$"
}

@test "Landlock: tlsmux-tls started directly by a launcher narrows itself" {
	[ "$(landlock_abi)" -gt 0 ] || skip "this kernel has no Landlock (landlock_create_ruleset fails): nothing to test"
	printf 'not for tlsmux\n' >"$T/outside.txt"
	chmod 644 "$T/outside.txt"
	start_backend b echo
	PORT=$(free_port)
	# A state that does not parse is no peeker's: the helper is on its own.
	TLSMUX_STATE=garbage setsid systemd-socket-activate -l "127.0.0.1:$PORT" --accept \
		-E TLSMUX_STATE -E TLSMUX_SANDBOX_PROBE="$T/outside.txt:$CERT" \
		"$TLSMUX_ROOT/tlsmux-tls" --backend "127.0.0.1:$b_PORT" \
		--cert "$CERT" --key "$KEY" 2>>"$LOG" 3>&- &
	PIDS+=($!)
	wait_until 10 port_listening "$PORT"
	run py_client --tls send:"direct helper" shut
	assert_success
	assert_output "direct helper"
	wait_for_summary
	assert_log_lines "tlsmux: sandbox probe: $T/outside.txt: permission denied
tlsmux: sandbox probe: $CERT: opened
tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=13 out=13 duration=D closed=client client_eof=close_notify phase=done exit=0"
}

@test "Landlock with --exec: tlsmux is narrowed once the program runs, the program is not" {
	[ "$(landlock_abi)" -gt 0 ] || skip "this kernel has no Landlock (landlock_create_ruleset fails): nothing to test"
	printf 'for the program\n' >"$T/outside.txt"
	chmod 644 "$T/outside.txt"
	export TLSMUX_SANDBOX_PROBE="$T/outside.txt"
	printf '#!/bin/sh\nhead -n 1\ncat %s\n' "$T/outside.txt" >"$T/prog"
	chmod 755 "$T/prog"
	start_tlsmux sa --exec "$T/prog" --cert "$CERT" --key "$KEY"
	for tls in "" --tls; do
		run py_client $tls send:'hi\n' expect:'hi' expect:'for the program' shut
		assert_success
	done
	wait_for_summary 2
	run log_normalized
	assert_equal "$(grep -c "sandbox probe: $T/outside.txt: permission denied$" <<<"$output")" 2
}

# renewed_mid_connection MODE: a client connects and is held before its
# ClientHello until the peeker has narrowed itself (its probe line); the
# certificate and key are then renewed, and only then does the handshake
# start.  MODE rename: new files renamed over the old ones (the deploy
# hook's way); link: certbot's, live/ links moved to new files in archive/.
renewed_mid_connection() {
	local mode=$1
	[ "$(landlock_abi)" -gt 0 ] || skip "this kernel has no Landlock (landlock_create_ruleset fails): nothing to test"
	make_certs "$BATS_FILE_TMPDIR" renewed
	mkdir -p "$T/etc" "$T/archive" "$T/live"
	if [ "$mode" = rename ]; then
		cp "$CERT" "$T/etc/cert.pem"
		cp "$KEY" "$T/etc/key.pem"
		set -- --cert "$T/etc/cert.pem" --key "$T/etc/key.pem"
	else
		cp "$CERT" "$T/archive/cert1.pem"
		cp "$KEY" "$T/archive/key1.pem"
		ln -s ../archive/cert1.pem "$T/live/cert.pem"
		ln -s ../archive/key1.pem "$T/live/key.pem"
		set -- --cert "$T/live/cert.pem" --key "$T/live/key.pem"
	fi
	export TLSMUX_SANDBOX_PROBE=/dev/null
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" "$@"
	timeout 30 python3 -c 'import hashlib, os, socket, ssl, sys, time
port, ca, go = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), timeout=20)
deadline = time.monotonic() + 20
while not os.path.exists(go) and time.monotonic() < deadline:
    time.sleep(0.01)
t = ssl.create_default_context(cafile=ca).wrap_socket(s, server_hostname="localhost")
print(hashlib.sha256(t.getpeercert(binary_form=True)).hexdigest())
t.sendall(b"ping")
print(t.recv(4).decode())
t.unwrap()' "$PORT" "$CA" "$T/go" >"$T/client.out" 2>"$T/client.log" &
	local client=$!
	wait_until 20 grep -q 'sandbox probe: /dev/null: opened' "$LOG"
	if [ "$mode" = rename ]; then
		cp "$BATS_FILE_TMPDIR/renewed.key" "$T/etc/.key.new"
		cp "$BATS_FILE_TMPDIR/renewed.pem" "$T/etc/.cert.new"
		mv "$T/etc/.key.new" "$T/etc/key.pem"
		mv "$T/etc/.cert.new" "$T/etc/cert.pem"
	else
		cp "$BATS_FILE_TMPDIR/renewed.pem" "$T/archive/cert2.pem"
		cp "$BATS_FILE_TMPDIR/renewed.key" "$T/archive/key2.pem"
		ln -sfn ../archive/key2.pem "$T/live/key.pem"
		ln -sfn ../archive/cert2.pem "$T/live/cert.pem"
	fi
	touch "$T/go"
	local rc=0
	wait "$client" || rc=$?
	assert_equal "$rc" 0
	run cat "$T/client.out"
	assert_output "$(openssl x509 -in "$BATS_FILE_TMPDIR/renewed.pem" -outform DER | sha256sum | cut -d' ' -f1)
ping"
	wait_for_summary
	assert_log_lines "tlsmux: sandbox probe: /dev/null: opened
tlsmux: sandbox probe: /dev/null: opened
tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=4 out=4 duration=D closed=client client_eof=close_notify phase=done exit=0"
}

@test "Landlock: a certificate renewed by rename while a connection waits for its ClientHello is the one it gets" {
	renewed_mid_connection rename
}

@test "Landlock: certbot's links moved to a renewed certificate while a connection waits: it gets the new one" {
	renewed_mid_connection link
}
