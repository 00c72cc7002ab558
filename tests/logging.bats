#!/usr/bin/env bats
# Where log lines go: the journal (structured), stderr, never the client.

load lib/common

setup() { common_setup; }
teardown() { common_teardown; }

# Run tlsmux with a private /run/systemd holding a journal socket we read.
journal_run() {
	unshare -m --propagation private bash -c '
		mount -t tmpfs tmpfs /run/systemd || exit 99
		mkdir -p /run/systemd/journal
		exec python3 "$0" /run/systemd/journal/socket "$@"' \
		"$TLSMUX_ROOT/tests/lib/journal_run.py" "$@"
}

@test "under systemd's journal stream, the summary goes to the journal with structured fields" {
	start_backend b echo
	run journal_run "$TLSMUX" --backend "127.0.0.1:$b_PORT" <<<"to the journal"
	assert_success
	assert_line "exit:0"
	assert_line --regexp "^datagram:PRIORITY=6\|SYSLOG_IDENTIFIER=tlsmux\|MESSAGE=conn client=pipe path=plain backend=127.0.0.1:$b_PORT .* in=15 out=15 .*\|TLSMUX_CLIENT=pipe\|TLSMUX_PATH=plain\|TLSMUX_BACKEND=127.0.0.1:$b_PORT\|.*TLSMUX_BYTES_IN=15\|TLSMUX_BYTES_OUT=15\|.*TLSMUX_PHASE=done\|TLSMUX_EXIT=0$"
	refute_line --partial "stderr:"
}

@test "errors reach the journal at error priority" {
	port=$(free_port)
	run journal_run "$TLSMUX" --backend "127.0.0.1:$port" <<<"nobody home"
	assert_line "exit:69"
	assert_line "datagram:PRIORITY=3|SYSLOG_IDENTIFIER=tlsmux|MESSAGE=no backend reachable: 127.0.0.1:$port: connection refused"
	assert_line --regexp "^datagram:PRIORITY=6\|.*TLSMUX_PHASE=connect\|TLSMUX_EXIT=69$"
}

@test "--log stderr writes plain lines to stderr" {
	start_backend b echo
	run bash -c '"$0" --log stderr --backend "127.0.0.1:$1" <<<"x" 2>&1 >/dev/null' "$TLSMUX" "$b_PORT"
	assert_success
	assert_output --regexp "^tlsmux\[[0-9]+\]: conn client=pipe path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=2 out=2 duration=[0-9]+\.[0-9]{3}s closed=client client_eof=- phase=done exit=0$"
}

@test "a socket on fd 2 that is not the journal is never written to" {
	port=$(free_port)
	# fd 2 is the very socket the client reads, as under xinetd.
	run timeout 20 python3 - "$TLSMUX" "$port" <<'PY'
import socket, subprocess, sys
a, b = socket.socketpair()
p = subprocess.Popen([sys.argv[1], "--log", "stderr", "--backend", "127.0.0.1:" + sys.argv[2]],
                     stdin=b.fileno(), stdout=b.fileno(), stderr=b.fileno())
b.close()
a.sendall(b"hello\n")
a.shutdown(socket.SHUT_WR)
got = b""
while True:
    d = a.recv(4096)
    if not d:
        break
    got += d
print("exit=%d got=%r" % (p.wait(timeout=10), got))
PY
	assert_success
	assert_output "exit=69 got=b''"
}

@test "stderr on a character device (/dev/null here, a terminal alike): both paths log and exit 0 under the seccomp filter" {
	start_backend b echo
	# The exit status of each connection, with tlsmux's stderr on /dev/null.
	cat >"$T/devnull-tlsmux" <<-EOF
		#!/bin/sh
		"$TLSMUX" "\$@" 2>/dev/null
		echo "exit=\$?" >>"$T/exits"
	EOF
	chmod +x "$T/devnull-tlsmux"
	TLSMUX=$T/devnull-tlsmux start_tlsmux sa-inetd \
		--backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	assert_hello_both_paths
	wait_until 20 eval '[ "$(wc -l <"$T/exits" 2>/dev/null)" -ge 2 ]'
	run cat "$T/exits"
	assert_output "exit=0
exit=0"
}
