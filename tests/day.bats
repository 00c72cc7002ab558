#!/usr/bin/env bats
# A trading day in one run (tests/lib/fixday.py): one TLS and one plain
# FIX-like session stay open, heartbeating both ways with checked sequence
# numbers, while the certificate is renewed through the certbot deploy hook
# and the session ticket key is rotated, each many times.  And the idle
# timeout: a quiet but alive session stays, a silent one goes.
# DAY_RENEWALS, DAY_ROTATIONS (default 10 each) and DAY_INTERVAL (seconds
# between heartbeats, default 0.02) and DAY_PAUSE (seconds between renewal
# rounds, default 0) size it; `make check-long` runs 100
# renewals and 100 rotations.

export BATS_TEST_TIMEOUT=900

load lib/common

FIXDAY="$TLSMUX_ROOT/tests/lib/fixday.py"
RENEWALS=${DAY_RENEWALS:-10}
ROTATIONS=${DAY_ROTATIONS:-10}
INTERVAL=${DAY_INTERVAL:-0.02}
PAUSE=${DAY_PAUSE:-0}

setup() {
	common_setup
	cp "$CERT" "$T/cert.pem"
	cp "$KEY" "$T/key.pem"
	chmod 600 "$T/key.pem"
	"$TLSMUX" --new-ticket-key "$T/ticket.key"
}
teardown() { common_teardown; }

# fixday SECONDS [fixday.py options]: the driver and its backend in the
# background, tlsmux (TLSMUX_ARGS) in between; sets DRIVER.
fixday() {
	local seconds=$1
	shift
	timeout "$seconds" python3 "$FIXDAY" --port-file "$T/backend.port" \
		--tlsmux-port-file "$T/tlsmux.port" --ca "$CA" "$@" \
		>"$T/fixday.out" 2>"$T/fixday.log" 3>&- &
	DRIVER=$!
	PIDS+=("$DRIVER")
	wait_until 20 test -s "$T/backend.port"
	local backend
	backend=127.0.0.1:$(cat "$T/backend.port")
	start_tlsmux sa --backend "$backend" "${TLSMUX_ARGS[@]}"
	# What the deploy hook checks a new pair against: the same settings.
	printf 'backend %s\n' "$backend" >"$T/tlsmux.conf"
	printf '%s\n' "${CONF_LINES[@]}" >>"$T/tlsmux.conf"
	echo "$PORT" >"$T/tlsmux.port"
}

@test "a TLS and a plain session stay up, message-exact, through certificate renewals and ticket-key rotations" {
	TLSMUX_ARGS=(--cert "$T/cert.pem" --key "$T/key.pem" --ticket-key "$T/ticket.key")
	CONF_LINES=("ticket-key $T/ticket.key")
	fixday 800 --interval "$INTERVAL" --renewals "$RENEWALS" --rotations "$ROTATIONS" \
		--pause "$PAUSE" \
		--ca-key "$BATS_FILE_TMPDIR/ca.key" --hook "$TLSMUX_ROOT/contrib/certbot-deploy-hook" \
		--tlsmux "$TLSMUX" --conf "$T/tlsmux.conf" --cert "$T/cert.pem" --key "$T/key.pem" \
		--ticket-key "$T/ticket.key"
	local rc=0
	wait "$DRIVER" || rc=$?
	echo "# $(cat "$T/fixday.out")" >&3
	assert_equal "$rc" 0
	run cat "$T/fixday.out"
	assert_output --regexp "^fixday: renewals=$RENEWALS rotations=$ROTATIONS .* errors=0$"
	# The two long sessions and every probe: one summary line each, all
	# ended by the client or the backend, none by tlsmux.
	local probes
	probes=$(sed -nE 's/.* probes=([0-9]+) .*/\1/p' "$T/fixday.out")
	wait_for_summary $((probes + 2))
	run grep -c ' conn client=.* exit=0' "$LOG"
	assert_output $((probes + 2))
	run grep -E 'idle for|error|refused' "$LOG"
	assert_failure
	# Two resumed connections per rotation: the ticket sealed before it,
	# just before it, and the one sealed after it.
	run grep -c ' path=tls .* resumed=yes' "$LOG"
	assert_output $((2 * ROTATIONS))
}

# quiet_session HEARTBEATS FIXDAY-ARGS...: under --idle-timeout 1s, both
# sessions heartbeat for 3 s (three times the timeout), then go silent:
# each stayed up, sent HEARTBEATS (a regexp), and was closed by tlsmux
# about a second into the silence, with the documented line and exit 75.
quiet_session() {
	local beats=$1
	shift
	TLSMUX_ARGS=(--cert "$CERT" --key "$KEY" --idle-timeout 1s)
	CONF_LINES=()
	fixday 60 --quiet-after 3 --quiet-limit 8 "$@"
	local rc=0 path
	wait "$DRIVER" || rc=$?
	assert_equal "$rc" 0
	run cat "$T/fixday.out"
	for path in tls plain; do
		assert_line --regexp "^fixday: $path heartbeats=$beats closed_after_silence=(0\.[5-9]|1\.[0-9]|2\.[0-9]).* how=eof\$"
	done
	wait_for_summary 2
	run grep -c 'idle for 1.000s: closing' "$LOG"
	assert_output 2
	run grep -c ' conn client=.* closed=tlsmux .*exit=75' "$LOG"
	assert_output 2
}

@test "--idle-timeout: heartbeats below it keep a session open well past it; silence closes it on both paths" {
	quiet_session '[0-9]+' --interval 0.3
}

@test "--idle-timeout: bytes one way only, the client's heartbeats, keep both paths open" {
	# The backend sends nothing after its logon reply.
	quiet_session '1[0-9]' --interval 0.25 --one-way
}

@test "the shipped units cap neither a session's length nor its quiet time, and keep the client's TCP keepalive on" {
	run grep -E '^(RuntimeMaxSec|TimeoutSec|WatchdogSec)=' \
		"$TLSMUX_ROOT/units/tlsmux@.service" "$TLSMUX_ROOT/units/tlsmux.socket"
	assert_failure
	run grep -E '^KeepAlive=yes$' "$TLSMUX_ROOT/units/tlsmux.socket"
	assert_success
}
