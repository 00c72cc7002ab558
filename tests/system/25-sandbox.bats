#!/usr/bin/env bats
# What tlsmux@.service leaves to tlsmux itself, seen on the live process
# under the real systemd: the fixed system user, no capabilities, no new
# privileges, seccomp, and Landlock in place of the per-connection mount
# namespace: files outside what the connection reads cannot be opened,
# even where the user's permissions would let it.

load lib

setup_file() {
	system_setup_file
	start_backend echo echo
	configure_tlsmux "127.0.0.1:$echo_PORT"
	# World-readable: only Landlock stands between tlsmux and these.
	ct_sh "mkdir -p /home/someone && chmod 755 /home/someone && echo public >/home/someone/public.txt && chmod 644 /home/someone/public.txt"
	ct_sh "echo public >/etc/tlsmux-test-public && chmod 644 /etc/tlsmux-test-public"
	ct_sh "echo secret >/root/secret.txt && chmod 600 /root/secret.txt"
	probes=/etc/shadow:/root/secret.txt:/home/someone/public.txt:/etc/tlsmux-test-public:/tmp:/etc/tlsmux/cert.pem
	ct mkdir -p /etc/systemd/system/tlsmux@.service.d
	ct_sh "printf '[Service]\nEnvironment=TLSMUX_SANDBOX_PROBE=$probes\n' >/etc/systemd/system/tlsmux@.service.d/probe.conf"
	ct systemctl daemon-reload
}
teardown_file() {
	ct rm -rf /etc/systemd/system/tlsmux@.service.d /home/someone /etc/tlsmux-test-public /root/secret.txt
	ct systemctl daemon-reload
	system_teardown_file
}
teardown() { dump_system; }

pid_of_instance() { ct systemctl show -P MainPID "$(instances | head -n 1)"; }

landlock_abi() {
	ct python3 -c 'import ctypes; print(max(ctypes.CDLL(None).syscall(444, None, 0, 1), 0))'
}

@test "the package made the fixed system user tlsmux: no login, no home" {
	run ct getent passwd tlsmux
	assert_success
	assert_output --regexp '^tlsmux:x:[0-9]+:[0-9]+:[^:]*:/nonexistent:/usr/sbin/nologin$'
	local uid
	uid=$(ct id -u tlsmux)
	[ "$uid" -gt 0 ] && [ "$uid" -lt 1000 ]
	ct test -f /usr/lib/sysusers.d/tlsmux.conf
}

@test "both paths: the user tlsmux, no capabilities at all, no new privileges, seccomp" {
	local path pid tls uid gid
	uid=$(ct id -u tlsmux)
	gid=$(ct id -g tlsmux)
	for path in plain tls; do
		tls=()
		[ $path = tls ] && tls=(--tls)
		live_client "sb-$path" "${tls[@]}"
		pid=$(pid_of_instance)
		run ct grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' "/proc/$pid/status"
		assert_line --regexp "^Uid:[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid$"
		assert_line --regexp "^Groups:[[:space:]]*($gid)?[[:space:]]*$"
		local cap
		for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
			assert_line --regexp "^$cap:[[:space:]]+0+$"
		done
		assert_line --regexp '^NoNewPrivs:[[:space:]]+1$'
		assert_line --regexp '^Seccomp:[[:space:]]+2$'
		end_client "sb-$path"
	done
}

# pid_of_summary PATH BYTES: the process that logged this connection's summary.
pid_of_summary() {
	journal_json "TLSMUX_PATH=$1" "TLSMUX_BYTES_IN=$2" | tail -n 1 |
		python3 -c 'import json, sys; print(json.loads(sys.stdin.read())["_PID"])'
}

@test "both paths: the live process cannot open files outside what it reads, world-readable ones included" {
	[ "$(landlock_abi)" -gt 0 ] || skip "the kernel has no Landlock (landlock_create_ruleset fails): tlsmux runs without it"
	local pid path sets n kind bytes
	run plain_client <<<"plain probe"
	assert_output "plain probe"
	run gnutls_client <<<"tls probe 42"
	assert_output --partial "tls probe 42"
	# One probe set from tlsmux on the plain path; on the TLS path one from
	# tlsmux, then one from tlsmux-tls (the same pid after the exec), under
	# the domain it inherited: it makes none of its own then.  A
	# line may come through the stderr stream (tlsmux[PID]: ...) when the
	# journal's socket is busy.
	for sets in "1 plain 12" "2 tls 13"; do
		read -r n kind bytes <<<"$sets"
		wait_until 20 eval 'journal_json TLSMUX_PATH=$kind TLSMUX_BYTES_IN=$bytes | grep -q .'
		pid=$(pid_of_summary "$kind" "$bytes")
		[ -n "$pid" ]
		run ct journalctl --no-pager -o cat SYSLOG_IDENTIFIER=tlsmux "_PID=$pid"
		for path in /etc/shadow /root/secret.txt /home/someone/public.txt /etc/tlsmux-test-public /tmp; do
			assert_equal "$(grep -c "sandbox probe: $path: permission denied$" <<<"$output")" "$n"
			refute_line --partial "sandbox probe: $path: opened"
		done
		assert_equal "$(grep -c 'sandbox probe: /etc/tlsmux/cert.pem: opened$' <<<"$output")" "$n"
	done
}

@test "tlsmux's own seccomp filter is on top of the unit's on the live process" {
	live_client sb-filter
	local pid
	pid=$(pid_of_instance)
	run ct sed -nE 's/^Seccomp_filters:[[:space:]]+//p' "/proc/$pid/status"
	[ "$output" -ge 2 ]
	end_client sb-filter
}
