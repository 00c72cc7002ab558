#!/usr/bin/env bats
# The soak (tests/lib/soak.py: TLS and plain mixed, random sizes each way,
# every byte checked at both ends) against the shipped tlsmux.socket on
# port 9018, one tlsmux@ instance per connection, all inside the
# container.  Afterwards: no connection failed, no instance is left, the
# socket still listens, and the journal holds no sandbox refusal (exit 71).
#
# TLSMUX_SYSTEM_SOAK_CONNECTIONS (default 200) and _MAX_SIZE (bytes each
# way, default 256 KiB) size it; `make check-long` runs 2,000.  Each
# connection starts a sandboxed instance: about 6 a second on 2 cores
# (2,000 took 329 s), hence the sizes.  The
# concurrency stays under the shipped MaxConnectionsPerSource=64 (all
# clients come from 127.0.0.1): 48 at a time, _CONCURRENCY to change.

load lib

CONNECTIONS=${TLSMUX_SYSTEM_SOAK_CONNECTIONS:-200}
CONCURRENCY=${TLSMUX_SYSTEM_SOAK_CONCURRENCY:-48}
MAX_SIZE=${TLSMUX_SYSTEM_SOAK_MAX_SIZE:-262144}
export BATS_TEST_TIMEOUT=$((300 + CONNECTIONS * 3 / 10))

setup_file() {
	system_setup_file
	# The driver's backend, a transient service of the container.
	rm -f "$HW/b.port"
	ct systemd-run --quiet --collect --unit="tlsmux-test-$SUITE-b" -p UMask=0000 \
		python3 "$LIB/soak.py" serve --port-file "$W/b.port" --record "$W/b.record"
	wait_until 10 test -s "$HW/b.port"
	configure_tlsmux "127.0.0.1:$(cat "$HW/b.port")"
}
teardown_file() { system_teardown_file; }
teardown() { dump_system; }

report() { sed -n "s/^$1=//p" "$HW/report"; }

@test "soak under tlsmux.socket: every connection whole both ways, no instance left, no refusal" {
	local since
	since=$(ct date +%s)
	echo "$PORT" >"$HW/port"
	CT_TIMEOUT=$((BATS_TEST_TIMEOUT - 30)) run ct python3 "$LIB/soak.py" run \
		--port-file "$W/port" --cafile "$W/ca.pem" \
		--connections "$CONNECTIONS" --concurrency "$CONCURRENCY" \
		--max-size "$MAX_SIZE" --report "$W/report" --outcomes "$W/outcomes" \
		--deadline $((BATS_TEST_TIMEOUT - 60))
	echo "# system soak: $output" >&3
	assert_success
	assert_equal "$(report ok)" "$CONNECTIONS"
	assert_equal "$(report changed)" 0
	run grep -c ' up=ok ' "$HW/b.record"
	assert_output "$CONNECTIONS"
	# Every instance ends; the socket stays up.
	wait_until 120 no_instances
	run ct systemctl show -P ActiveState tlsmux.socket
	assert_output active
	run ct systemctl show -P Result tlsmux.socket
	assert_output success
	# One summary line each in the journal, exit 0; no refusal, no exit 71.
	# shellcheck disable=SC2016
	wait_until 60 eval '[ "$(ct journalctl --no-pager -o cat SYSLOG_IDENTIFIER=tlsmux --since "@$since" | grep -c " exit=0$")" -ge "$CONNECTIONS" ]'
	run ct_sh "journalctl --no-pager -o cat --since @$since | grep -E ' exit=71\$|refused: exiting|status=71/|Bad system call'"
	assert_output ""
	run ct_sh "journalctl --no-pager -o cat SYSLOG_IDENTIFIER=tlsmux --since @$since | grep -vc '^conn client=.* exit=0\$'"
	assert_output 0
}
