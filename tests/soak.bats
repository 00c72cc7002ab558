#!/usr/bin/env bats
# Load and soak under systemd-socket-activate: many concurrent connections,
# TLS and plain mixed, random data both ways checked by sha256 per
# connection; then the same while the certificate is swapped every second.
# SOAK_CONNECTIONS (default 100) and SOAK_BYTES (each way, per connection,
# default 128 KiB) size it; `make check-long` runs 500 connections.

# Long tests: the per-test deadline is counted from before setup().
export BATS_TEST_TIMEOUT=600

load lib/common

SOAK_PY="$TLSMUX_ROOT/tests/lib/soak.py"
CONNECTIONS=${SOAK_CONNECTIONS:-100}
BYTES=${SOAK_BYTES:-131072}

setup() {
	common_setup
	# Two certificates from one CA; "live" is a symlink swapped atomically
	# (what certbot's live/ directory does).
	mkdir -p "$T/gen-a" "$T/gen-b"
	cp "$CERT" "$T/gen-a/cert.pem"
	cp "$KEY" "$T/gen-a/key.pem"
	make_certs "$BATS_FILE_TMPDIR" renewed
	cp "$BATS_FILE_TMPDIR/renewed.pem" "$T/gen-b/cert.pem"
	cp "$BATS_FILE_TMPDIR/renewed.key" "$T/gen-b/key.pem"
	ln -s gen-a "$T/live"
}
teardown() { common_teardown; }

# soak [soak.py options]: the driver and its backend, tlsmux in between.
soak() {
	timeout 500 python3 "$SOAK_PY" --port-file "$T/backend.port" \
		--tlsmux-port-file "$T/tlsmux.port" --cafile "$CA" \
		--connections "$CONNECTIONS" --up "$BYTES" --down "$BYTES" \
		--report "$T/report" "$@" 2>"$T/soak.log" 3>&- &
	local driver=$!
	PIDS+=("$driver")
	wait_until 20 test -s "$T/backend.port"
	start_tlsmux sa --backend "127.0.0.1:$(cat "$T/backend.port")" \
		--cert "$T/live/cert.pem" --key "$T/live/key.pem"
	echo "$PORT" >"$T/tlsmux.port.tmp"
	mv "$T/tlsmux.port.tmp" "$T/tlsmux.port"
	wait "$driver"
	DRIVER_STATUS=$?
	echo "# $(tr '\n' ' ' <"$T/report")" >&3
}

report() { sed -n "s/^$1=//p" "$T/report"; }

# Every connection ended well: the driver's counts and tlsmux's own lines.
assert_all_served() {
	assert_equal "$DRIVER_STATUS" 0
	assert_equal "$(report ok)" "$CONNECTIONS"
	assert_equal "$(report failed)" 0
	assert_equal "$(report mismatched)" 0
	# Each way: the random bytes (the header and trailer on top).
	at_least "$(report bytes_down)" $((CONNECTIONS * BYTES))
	at_least "$(report bytes_up)" $((CONNECTIONS * BYTES))
	wait_for_summary "$CONNECTIONS"
	run grep -c ' conn client=.* phase=done exit=0$' "$LOG"
	assert_output "$CONNECTIONS"
	run grep -c ' path=tls .* exit=0$' "$LOG"
	assert_output "$(report tls)"
	# No error line at all.
	run bash -c "grep -E '^tlsmux\\[[0-9]+\\]: ' '$LOG' | grep -vc ' conn client='"
	assert_output 0
	run bash -c "grep -c '^Child [0-9]* died with code 0$' '$LOG'"
	assert_output "$CONNECTIONS"
}

@test "soak: concurrent TLS and plain connections, random data both ways, all intact" {
	soak --chunks 8 --pause 0.2
	assert_all_served
	# They overlapped: most were open at once.
	at_least "$(report max_concurrent)" $((CONNECTIONS * 9 / 10))
}

@test "soak: the certificate swapped every second; no connection fails or changes" {
	soak --chunks 8 --pause 0.5 --spread 3 --swap "$T/live" gen-b gen-a
	assert_all_served
	at_least "$(report cert_swaps)" 3
	# New connections got both certificates; running ones kept theirs.
	assert_equal "$(report certs_seen)" 2
	at_least "$(report max_concurrent)" $((CONNECTIONS / 2))
}
