#!/usr/bin/env bats
# Load and soak under systemd-socket-activate: many concurrent connections,
# TLS and plain mixed, random sizes each way, every byte checked at both
# ends (tests/lib/soak.py), while the certificate is swapped every second
# the way certbot's live/ symlink is.  Afterwards the launcher holds the
# descriptors and memory it held before, and no process is left.
#
# Sized by SOAK_CONNECTIONS (default 200), SOAK_CONCURRENCY (default 200),
# SOAK_MAX_SIZE (bytes each way, per connection, uniform from 0; default
# 1 MiB).  SOAK_SPREAD/SOAK_PACE (seconds; defaults 3 and 3 at the default
# size, 0 otherwise) start the connections over that time and hold each
# open that long, so that a small run still overlaps every connection and
# sees both certificates.  `make check-long` runs 10,000 connections, 1,000
# at a time.

# Long tests: the per-test deadline is counted from before setup().
export BATS_TEST_TIMEOUT=${SOAK_TEST_TIMEOUT:-1800}

load lib/common

SOAK_PY="$TLSMUX_ROOT/tests/lib/soak.py"
CONNECTIONS=${SOAK_CONNECTIONS:-200}
CONCURRENCY=${SOAK_CONCURRENCY:-200}
MAX_SIZE=${SOAK_MAX_SIZE:-1048576}
if [ -z "${SOAK_CONNECTIONS:-}" ]; then SPREAD=${SOAK_SPREAD:-3} PACE=${SOAK_PACE:-3}
else SPREAD=${SOAK_SPREAD:-0} PACE=${SOAK_PACE:-0}; fi
# The launcher's resident memory may grow this much over the run: glibc's
# heap keeps what the launcher's log lines took at the peak (measured:
# 8 KiB after 10,000 connections, 1,000 at a time).  Its descriptors may not.
RSS_TOLERANCE_KIB=${SOAK_RSS_TOLERANCE_KIB:-256}

setup() {
	common_setup
	# Two certificates from one CA; "live" is a symlink swapped atomically.
	mkdir -p "$T/gen-a" "$T/gen-b"
	cp "$CERT" "$T/gen-a/cert.pem"
	cp "$KEY" "$T/gen-a/key.pem"
	[ -f "$BATS_FILE_TMPDIR/renewed.pem" ] || make_certs "$BATS_FILE_TMPDIR" renewed
	cp "$BATS_FILE_TMPDIR/renewed.pem" "$T/gen-b/cert.pem"
	cp "$BATS_FILE_TMPDIR/renewed.key" "$T/gen-b/key.pem"
	ln -s gen-a "$T/live"
	# Each connection: a descriptor in the driver and one in the backend,
	# two in tlsmux (whose own limit systemd-socket-activate resets to
	# 1024; it needs a handful).  The launcher closes its copy at once.
	local need=$((CONCURRENCY * 2 + 1024))
	[ "$(ulimit -Hn)" -ge "$need" ] || ulimit -Hn "$need"
	[ "$(ulimit -n)" -ge "$need" ] || ulimit -n "$need"
}
teardown() { common_teardown; }

fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# soak_backend NAME: the driver's backend; sets NAME_PORT.
soak_backend() {
	setsid python3 "$SOAK_PY" serve --port-file "$T/$1.port" \
		--record "$T/$1.record" 2>>"$T/$1.log" 3>&- &
	PIDS+=($!)
	wait_until 10 test -s "$T/$1.port"
	printf -v "$1_PORT" '%s' "$(cat "$T/$1.port")"
}

# drive [soak.py run options]: the clients, toward tlsmux on $PORT.
drive() {
	echo "$PORT" >"$T/tlsmux.port"
	timeout $((BATS_TEST_TIMEOUT - 60)) python3 "$SOAK_PY" run \
		--port-file "$T/tlsmux.port" --cafile "$CA" \
		--connections "$CONNECTIONS" --concurrency "$CONCURRENCY" \
		--max-size "$MAX_SIZE" --spread "$SPREAD" --pace "$PACE" \
		--report "$T/report" --outcomes "$T/outcomes" "$@" 2>"$T/soak.log" 3>&-
	DRIVER_STATUS=$?
}

report() { sed -n "s/^$1=//p" "$T/report"; }

@test "soak: TLS and plain at once, random sizes both ways, certificate swapped every second: none fails or changes" {
	soak_backend b
	# One Python process drives every client: at full load it can take
	# longer than the default 2 s to send a ClientHello, and tlsmux would
	# rightly take the silent client for a plain one (tests/detect.bats).
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --detect-timeout 30s \
		--cert "$T/live/cert.pem" --key "$T/live/key.pem"
	local launcher=${PIDS[-1]} fds rss
	fds=$(fd_count "$launcher")
	rss=$(rss_kib "$launcher")
	drive --swap "$T/live" gen-b gen-a
	# Every tlsmux gone before the launcher is measured again.
	wait_until 60 eval '! pgrep -P '"$launcher"' >/dev/null'
	local fds_after rss_after
	fds_after=$(fd_count "$launcher")
	rss_after=$(rss_kib "$launcher")
	echo "# soak: connections=$(report connections) ok=$(report ok) failed=$(report failed)" \
		"changed=$(report changed) max_concurrent=$(report max_concurrent)" \
		"bytes_up=$(report bytes_up) bytes_down=$(report bytes_down)" \
		"swaps=$(report cert_swaps) seconds=$(report seconds)" \
		"launcher_fds=$fds/$fds_after launcher_rss_kib=$rss/$rss_after" >&3

	# The driver: every connection whole, both ways, checked at both ends.
	assert_equal "$DRIVER_STATUS" 0
	assert_equal "$(report ok)" "$CONNECTIONS"
	assert_equal "$(report changed)" 0
	assert_equal "$(report tls)" $((CONNECTIONS / 2))
	run grep -c ' up=ok ' "$T/b.record"
	assert_output "$CONNECTIONS"
	# They overlapped, and the swaps were seen.
	at_least "$(report max_concurrent)" $((CONCURRENCY * 9 / 10))
	at_least "$(report cert_swaps)" 2
	at_least "$(report cert_swaps)" "$(awk -v s="$(report seconds)" 'BEGIN { print int(s) - 1 }')"
	assert_equal "$(report certs_seen)" 2
	# tlsmux: one summary line each, exit 0, no other line; the launcher
	# saw every child exit 0 (no 71, the sandbox's refusal, above all).
	run grep -c ' conn client=.* phase=done exit=0$' "$LOG"
	assert_output "$CONNECTIONS"
	run grep -c ' path=tls .* exit=0$' "$LOG"
	assert_output $((CONNECTIONS / 2))
	run bash -c "grep -E '^tlsmux\\[[0-9]+\\]: ' '$LOG' | grep -vc ' conn client='"
	assert_output 0
	run grep -c '^Child [0-9]* died with code 0$' "$LOG"
	assert_output "$CONNECTIONS"
	run grep -c 'died with code [1-9]' "$LOG"
	assert_output 0
	# The launcher is back where it started.
	assert_equal "$fds_after" "$fds"
	[ "$rss_after" -le $((rss + RSS_TOLERANCE_KIB)) ]
}
