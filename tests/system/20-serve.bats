#!/usr/bin/env bats
# The shipped tlsmux.socket and tlsmux@.service under a real systemd:
# Accept=yes instances, both paths on one port, half-close, the sandbox
# of the unit together with tlsmux's own, and the journal.

load lib

setup_file() {
	system_setup_file
	start_backend echo echo
	configure_tlsmux "127.0.0.1:$echo_PORT"
	ct_sh "head -c 3000000 /dev/urandom >$W/up.bin"
}
# Each test starts from the echo backend, whatever the last one left.
setup() {
	ct_sh "sed -i '/^exec /d' /etc/tlsmux/tlsmux.conf"
	set_backend "127.0.0.1:$echo_PORT"
}
teardown_file() {
	ct rm -f /usr/local/bin/tlsmux-test-exec
	system_teardown_file
}
teardown() { dump_system; }

# pid_of_instance: the main process of the one running tlsmux@ instance.
pid_of_instance() { ct systemctl show -P MainPID "$(instances | head -n 1)"; }

@test "a plain client and a TLS client on the one shipped port" {
	assert_hello_both_paths
}

@test "3 MB each way on both paths: sha256 equal at the client and at the backend" {
	local sum path tls
	sum=$(sha256sum <"$HW/up.bin" | cut -d' ' -f1)
	for path in plain tls; do
		tls=()
		[ $path = tls ] && tls=(--tls)
		run client "${tls[@]}" --report "$W/bulk-$path.report" --out /dev/null \
			"sendfile:$W/up.bin" shut eof
		assert_success
		assert_equal "$(report_field bulk-$path.report sent_sha256)" "$sum"
		assert_equal "$(report_field bulk-$path.report received_sha256)" "$sum"
		grep -q "sha256=$sum" "$HW/echo.record"
	done
}

@test "one tlsmux@ instance per connection, each gone after its connection" {
	wait_until 10 no_instances
	live_client a
	live_client b --tls
	run instances
	assert_equal "${#lines[@]}" 2
	assert_output --regexp 'tlsmux@[0-9]+-127\.0\.0\.1:9018-127\.0\.0\.1:[0-9]+\.service'
	end_client a
	end_client b
	assert_equal "$(report_field a.report received)" 12
	wait_until 10 no_instances
}

@test "half-close: the reply still comes after the client ends its side (plain FIN, TLS close_notify and bare FIN)" {
	start_backend reply reply
	set_backend "127.0.0.1:$reply_PORT"
	run client 'send:request\n' fin 'expect:got 8 ' eof
	assert_success
	assert_output --partial "got 8 sha256="
	run client --tls 'send:request\n' shut 'expect:got 8 ' eof
	assert_success
	assert_output --partial "got 8 sha256="
	run client --tls 'send:request\n' fin 'expect:got 8 ' eof
	assert_success
	assert_output --partial "got 8 sha256="
	set_backend "127.0.0.1:$echo_PORT"
}

@test "the key is 0640 root:tlsmux: tlsmux reads it from its file, no other user can" {
	run ct stat -c '%a %U:%G' /etc/tlsmux/key.pem
	assert_output "640 root:tlsmux"
	run ct setpriv --reuid=nobody --regid=nogroup --clear-groups cat /etc/tlsmux/key.pem
	assert_failure
	assert_output --partial "Permission denied"
	live_client keyfile --tls
	local pid
	pid=$(pid_of_instance)
	run ct_sh "tr '\\0' ' ' </proc/$pid/cmdline"
	assert_output --partial "-f /etc/tlsmux/tlsmux.conf"
	refute_output --partial /run/credentials
	run ct ls /run/credentials
	refute_output --partial tlsmux@
	end_client keyfile
	assert_whole keyfile
}

@test "each path runs as the system user tlsmux, no new privileges, tlsmux's seccomp on top of the unit's" {
	local path pid tls uid
	uid=$(ct id -u tlsmux)
	for path in plain tls; do
		tls=()
		[ $path = tls ] && tls=(--tls)
		live_client "id-$path" "${tls[@]}"
		pid=$(pid_of_instance)
		run ct grep -E '^(Uid|NoNewPrivs|Seccomp|Seccomp_filters|CapEff):' "/proc/$pid/status"

		assert_line --regexp "^Uid:[[:space:]]+$uid[[:space:]]"
		assert_line --regexp '^NoNewPrivs:[[:space:]]+1$'
		assert_line --regexp '^Seccomp:[[:space:]]+2$'
		assert_line --regexp '^CapEff:[[:space:]]+0+$'
		# The unit's filter plus tlsmux's own relay filter at least.
		local filters
		filters=$(sed -nE 's/^Seccomp_filters:[[:space:]]+//p' <<<"$output")
		[ "$filters" -ge 2 ]
		end_client "id-$path"
	done
}

@test "unix: and @abstract backends through the unit's RestrictAddressFamilies" {
	local where
	ct mkdir -p /run/tlsmux-test
	start_backend unixecho echo --listen unix:/run/tlsmux-test/echo.sock
	start_backend abstract echo --listen @tlsmux-test-echo
	for where in unix:/run/tlsmux-test/echo.sock @tlsmux-test-echo; do
		set_backend "$where"
		run plain_client <<<"plain via $where"
		assert_output "plain via $where"
		run gnutls_client <<<"tls via $where"
		assert_output --partial "tls via $where"
	done
	set_backend "127.0.0.1:$echo_PORT"
	stop_backend unixecho
	stop_backend abstract
}

@test "--exec under the unit: the program runs with the ucspi environment on both paths" {
	ct_sh "printf '#!/bin/sh\necho \"uid=\$(id -u) proto=\$PROTO remote=\$TCPREMOTEIP tls=\${SSL_PROTOCOL:-none}\"\nexec cat\n' >/usr/local/bin/tlsmux-test-exec && chmod 755 /usr/local/bin/tlsmux-test-exec"
	ct_sh "sed -i '/^backend /d' /etc/tlsmux/tlsmux.conf && echo 'exec /usr/local/bin/tlsmux-test-exec' >>/etc/tlsmux/tlsmux.conf"
	local uid
	uid=$(ct id -u tlsmux)
	run plain_client <<<"plain to a program"
	assert_line --regexp "^uid=$uid proto=TCP remote=127\.0\.0\.1 tls=none$"
	assert_line "plain to a program"
	run gnutls_client <<<"tls to a program"
	assert_output --regexp "uid=$uid proto=TCP remote=127\.0\.0\.1 tls=TLS"
	assert_output --partial "tls to a program"
	ct_sh "sed -i '/^exec /d' /etc/tlsmux/tlsmux.conf"
	set_backend "127.0.0.1:$echo_PORT"
}

@test "the journal: one entry per connection with its structured fields, by tlsmux's native protocol" {
	ct journalctl --rotate >/dev/null 2>&1 || true
	local since
	since=$(ct date +%s)
	run gnutls_client <<<"journal hello"
	assert_success
	wait_until 20 eval 'journal_json --since "@$since" TLSMUX_PATH=tls | grep -q .'
	local entry
	entry=$(journal_json --since "@$since" TLSMUX_PATH=tls | tail -n 1)
	echo "$entry" >&3
	run python3 -c '
import json, sys
e = json.loads(sys.argv[1])
for k in ("TLSMUX_CLIENT", "TLSMUX_PATH", "TLSMUX_TLS_VERSION", "TLSMUX_SNI", "TLSMUX_BACKEND",
          "TLSMUX_BYTES_IN", "TLSMUX_BYTES_OUT", "TLSMUX_DURATION", "TLSMUX_CLOSED"):
    print(k + "=" + str(e.get(k)))
print("_TRANSPORT=" + e["_TRANSPORT"])
print("PRIORITY=" + e["PRIORITY"])
print("uid=" + e["_UID"])
print("unit=" + e.get("_SYSTEMD_UNIT", "").split("@")[0])
' "$entry"
	assert_success
	assert_line --regexp '^TLSMUX_CLIENT=127\.0\.0\.1:[0-9]+$'
	assert_line TLSMUX_PATH=tls
	assert_line TLSMUX_TLS_VERSION=TLS1.3
	assert_line TLSMUX_SNI=localhost
	assert_line "TLSMUX_BACKEND=127.0.0.1:$echo_PORT"
	assert_line TLSMUX_BYTES_IN=14
	assert_line TLSMUX_BYTES_OUT=14
	assert_line --regexp '^TLSMUX_DURATION=[0-9.]+'
	assert_line --regexp '^TLSMUX_CLOSED=(client|backend)$'
	assert_line _TRANSPORT=journal
	assert_line PRIORITY=6
	assert_line "uid=$(ct id -u tlsmux)"
	assert_line unit=tlsmux
}

@test "an error line has its priority: a dead backend is logged at err" {
	local since dead
	dead=$(ct python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	set_backend "127.0.0.1:$dead"
	since=$(ct date +%s)
	run plain_client <<<"nobody home"
	wait_until 20 eval 'journal_json --since "@$since" PRIORITY=3 | grep -q .'
	run ct journalctl --no-pager -o cat --since "@$since" SYSLOG_IDENTIFIER=tlsmux PRIORITY=3
	assert_output "no backend reachable: 127.0.0.1:$dead: connection refused"
	set_backend "127.0.0.1:$echo_PORT"
}
