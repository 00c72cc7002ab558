#!/usr/bin/env bats
# Faults under load: during a soak run (tests/lib/soak.py, TLS and plain
# mixed, every byte checked at both ends) the backend is killed and
# restarted, one backend of a failover list stops accepting, the
# certificate goes missing then truncated, logging goes to a full disk or
# to a journal that is gone.  The driver puts every connection in a class
# (ok, changed, closed, reset, alert, ...) with its times and the faults'
# times; each test asserts which connections failed, how, that each such
# failure has its log line, that none changed, and that every connection
# outside the fault's window was served whole.
#
# SOAK_FAULT_CONNECTIONS (default 200) sizes each run: 100 at a time at
# most, some 50 new a second, each held 0.3 s, so a run takes seconds.
# SOAK_FAULT_CONCURRENCY=C asks for the large form: C open at once while
# each fault happens.  Each connection is then held SOAK_FAULT_PACE
# seconds (default C / 50) between "ready" and its data, the connections
# start at a tenth more than C / PACE a second, and the first fault
# waits, past a pace and 2 s, for C connections open at once (at most
# 60 s); the others keep their distance from it.  Each test asserts that
# C were open when its fault began, nine tenths of them through tlsmux to
# the backend (for the faults that last the whole run: at the peak).
# `make check-long` runs 3,000 connections, 1,000 at a time.
#
# The awk conditions are single-quoted on purpose.
# shellcheck disable=SC2016

export BATS_TEST_TIMEOUT=${SOAK_TEST_TIMEOUT:-600}

load lib/common

SOAK_PY="$TLSMUX_ROOT/tests/lib/soak.py"
CONNECTIONS=${SOAK_FAULT_CONNECTIONS:-200}
# Started over SPREAD seconds, each held PACE seconds before its data: at
# any moment some connections are being made and some are in transfer.
# The faults start at FAULT_AT seconds (their distances fixed below).
if [ -z "${SOAK_FAULT_CONCURRENCY:-}" ]; then
	CONCURRENCY=100 LOAD=0 PACE=0.3 FAULT_AT=1.5
	SPREAD=$(awk -v n="$CONNECTIONS" 'BEGIN { s = n / 50; print (s < 4 ? 4 : s) }')
else
	# The first fault once some connections have ended (a pace and 2 s
	# in), and C are open.
	CONCURRENCY=$SOAK_FAULT_CONCURRENCY LOAD=$SOAK_FAULT_CONCURRENCY
	PACE=${SOAK_FAULT_PACE:-$((CONCURRENCY / 50))}
	SPREAD=$(awk -v n="$CONNECTIONS" -v c="$CONCURRENCY" -v p="$PACE" 'BEGIN { print n * p / (c * 1.1) }')
	FAULT_AT=$(awk -v p="$PACE" 'BEGIN { print p + 2 }')
fi
# at SECONDS: FAULT_AT + SECONDS.
at() { awk -v a="$FAULT_AT" -v d="$1" 'BEGIN { print a + d }'; }
# One Python process drives every client: at full load it can take
# longer than the default 2 s to send a ClientHello, and tlsmux would
# rightly take the silent client for a plain one (tests/detect.bats).
DETECT=(--detect-timeout 30s)

setup() {
	common_setup
	mkdir -p "$T/gen-a"
	cp "$CERT" "$T/gen-a/cert.pem"
	cp "$KEY" "$T/gen-a/key.pem"
	ln -s gen-a "$T/live"
	# Each connection: a descriptor in the driver and one in the backend
	# (each its own process), two in tlsmux (whose own limit the launcher
	# resets to 1024; it needs a handful).
	local need=$((CONCURRENCY * 2 + 1024))
	[ "$(ulimit -Hn)" -ge "$need" ] || ulimit -Hn "$need"
	[ "$(ulimit -n)" -ge "$need" ] || ulimit -n "$need"
}
teardown() {
	# A backend restarted by a test's event.
	[ ! -s "$T/restarted.pid" ] || PIDS+=("$(cat "$T/restarted.pid")")
	common_teardown
}

# soak_backend NAME [serve options]: the driver's backend; sets NAME_PORT, NAME_PID.
soak_backend() {
	local name=$1
	shift
	setsid python3 "$SOAK_PY" serve --port-file "$T/$name.port" \
		--record "$T/$name.record" "$@" 2>>"$T/$name.log" 3>&- &
	PIDS+=($!)
	printf -v "${name}_PID" '%s' "$!"
	wait_until 10 test -s "$T/$name.port"
	printf -v "${name}_PORT" '%s' "$(cat "$T/$name.port")"
}

# drive [soak.py run options]: the clients toward tlsmux on $PORT; some may fail.
drive() {
	echo "$PORT" >"$T/tlsmux.port"
	timeout $((BATS_TEST_TIMEOUT - 60)) python3 "$SOAK_PY" run \
		--port-file "$T/tlsmux.port" --cafile "$CA" \
		--connections "$CONNECTIONS" --concurrency "$CONCURRENCY" --max-size 262144 \
		--spread "$SPREAD" --pace "$PACE" --events-open "$LOAD" --allow-failures \
		--report "$T/report" --outcomes "$T/outcomes" "$@" 2>"$T/soak.log" 3>&-
	DRIVER_STATUS=$?
	echo "# $(tr '\n' ' ' <"$T/report")" >&3
	awk '$1 == "event" { print "# event " $2 " at " $3 "-" $4 " s, open " $6 ", through " $7 }' \
		"$T/outcomes" >&3
	# Exit 2 would mean a changed byte: never.
	assert_equal "$DRIVER_STATUS" 0
	assert_equal "$(report changed)" 0
}

report() { sed -n "s/^$1=//p" "$T/report"; }
# event NAME start|end|open|through: when the driver ran a fault's
# command; how many connections were open when it began, how many of
# them through tlsmux to the backend.
event() {
	awk -v n="$1" -v f="$2" '$1 == "event" && $2 == n {
		print (f == "start" ? $3 : f == "end" ? $4 : f == "open" ? $6 : $7) }' "$T/outcomes"
}
# conns AWK-CONDITION: how many connections match.  Fields: $1 number,
# $2 path, $3 class, $4 stage, $5 start, $6 end (seconds), $7 detail.
conns() { awk -v a="${A:-0}" -v b="${B:-0}" '$1 != "event" && ('"$1"') { n++ } END { print n + 0 }' "$T/outcomes"; }
log_count() { grep -cE "$1" "$LOG"; }

# Every failure overlaps the window [A, B]; every connection started after
# it is ok, and there are some; none changed.
assert_failures_inside_window() {
	assert_equal "$(conns '$3 != "ok" && ($6 < a || $5 > b)')" 0
	assert_equal "$(conns '$3 == "changed"')" 0
	at_least "$(conns '$3 == "ok" && $5 > b')" 1
	at_least "$(conns '$3 == "ok" && $6 < a')" 1
}

# assert_under_load [EVENT]: in the large form, LOAD connections were open
# at once when EVENT began (without one: at the peak), nine tenths of
# them through tlsmux to the backend.
assert_under_load() {
	[ "$LOAD" -gt 0 ] || return 0
	if [ $# = 1 ]; then
		at_least "$(event "$1" open)" "$LOAD"
		at_least "$(event "$1" through)" $((LOAD * 9 / 10))
	else
		at_least "$(report max_concurrent)" "$LOAD"
		at_least "$(report max_through)" $((LOAD * 9 / 10))
	fi
}

assert_no_process_left() {
	wait_until 20 eval '! pgrep -P "$LAUNCHER" >/dev/null'
}

@test "faults under load: the backend killed and restarted in place" {
	soak_backend b
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" "${DETECT[@]}" \
		--cert "$T/live/cert.pem" --key "$T/live/key.pem"
	LAUNCHER=${PIDS[-1]}
	drive --event "$(at 0)" kill "/bin/kill -KILL -- -$b_PID" \
		--event "$(at 1)" restart "setsid python3 '$SOAK_PY' serve --port $b_PORT --port-file '$T/b2.port' --record '$T/b.record' 2>>'$T/b.log' 3>&- & echo \$! >'$T/restarted.pid'; for _ in \$(seq 500); do [ -s '$T/b2.port' ] && break; sleep 0.02; done"
	assert_under_load kill
	A=$(event kill start) B=$(event restart end)
	assert_failures_inside_window
	# Started and ended while it was down: a clean close once tlsmux
	# found no backend (plain: EOF; TLS: the handshake done, an
	# internal_error alert), one line naming the reason, exit 69.  (One
	# started then but slow to reach the backend, under load, may find
	# it back.)  Those that reached it just before it died end in the
	# same stage (before "ready"), and are counted with the live ones
	# below.
	local down gone reasons during
	A=$(event kill end) B=$(event restart start)
	during=$(conns '$5 > a && $6 < b')
	down='($2 == "plain" && $3 == "closed" || $2 == "tls" && $3 == "alert" && $7 ~ /INTERNAL_ERROR/) && $4 == "connect"'
	at_least "$during" 1
	assert_equal "$(conns '$5 > a && $6 < b && !('"$down"')')" 0
	A=$(event kill start) B=$(event restart end)
	gone=$(conns '$4 == "connect" && $3 != "ok"')
	reasons=$(log_count ": no backend reachable: 127\.0\.0\.1:$b_PORT: connection refused$")
	assert_equal "$(log_count ' phase=connect exit=69$')" "$reasons"
	at_least "$reasons" "$during"
	at_least "$gone" "$reasons"
	[ "$(conns "$down")" -ge "$reasons" ]
	# Live on it when it died: ended early, a clean close or a reset, every
	# byte received until then right.  tlsmux says "backend: connection
	# reset by peer" (or broken pipe) and exits 74, or, when the dead
	# backend's FIN came with nothing unread, ends normally (exit 0).
	local live
	live=$(($(conns '$3 != "ok"') - reasons))
	at_least "$(conns '$4 == "transfer" && $3 != "ok"')" 1
	assert_equal "$(conns '$4 == "transfer" && $3 != "ok" && $3 != "closed" && $3 != "reset"')" 0
	assert_equal "$(conns '$4 == "connect" && $3 != "ok" && !('"$down"' || $3 == "reset")')" 0
	assert_equal "$(conns '$3 != "ok" && $4 != "connect" && $4 != "transfer"')" 0
	local errors
	errors=$(log_count ': backend: (connection reset by peer|broken pipe)$')
	assert_equal "$(log_count ' closed=backend client_eof=- phase=pump exit=74$')" "$errors"
	[ "$errors" -le "$live" ]
	# Nothing else went wrong: exits 0, 69 and 74 only, one per connection.
	run grep -c '^Child [0-9]* died with code \(0\|69\|74\)$' "$LOG"
	assert_output "$CONNECTIONS"
	assert_no_process_left
}

@test "faults under load: the first backend of a failover list stops accepting; none lost" {
	soak_backend a
	soak_backend b
	start_tlsmux sa --backend "127.0.0.1:$a_PORT" --backend "127.0.0.1:$b_PORT" "${DETECT[@]}" \
		--cert "$T/live/cert.pem" --key "$T/live/key.pem"
	LAUNCHER=${PIDS[-1]}
	# SIGUSR1: the first closes its listening socket, serves its own to the end.
	drive --event "$(at 0)" unreachable "kill -USR1 $a_PID"
	assert_under_load unreachable
	assert_equal "$(report ok)" "$CONNECTIONS"
	# Each connection went to one backend, whole; the second took over.
	local to_a to_b
	to_a=$(grep -c ' up=ok ' "$T/a.record")
	to_b=$(grep -c ' up=ok ' "$T/b.record")
	at_least "$to_a" 1
	at_least "$to_b" 1
	assert_equal $((to_a + to_b)) "$CONNECTIONS"
	# One line each for those that failed over, nothing else.
	assert_equal "$(log_count ": backend failover: 127\.0\.0\.1:$a_PORT: connection refused; using 127\.0\.0\.1:$b_PORT$")" "$to_b"
	run bash -c "grep -E '^tlsmux\\[[0-9]+\\]: ' '$LOG' | grep -v ' conn client=.* exit=0$' | grep -vc ': backend failover: '"
	assert_output 0
	run grep -c '^Child [0-9]* died with code 0$' "$LOG"
	assert_output "$CONNECTIONS"
	assert_no_process_left
}

@test "faults under load: the certificate missing, then truncated, then back; plain untouched" {
	soak_backend b
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" "${DETECT[@]}" \
		--cert "$T/live/cert.pem" --key "$T/live/key.pem"
	LAUNCHER=${PIDS[-1]}
	local c=$T/gen-a/cert.pem
	drive --event "$(at 0)" missing "mv '$c' '$c.away'" \
		--event "$(at 0.5)" truncated "head -c 300 '$c.away' >'$c'" \
		--event "$(at 1)" restored "mv '$c.away' '$c'"
	assert_under_load missing
	A=$(event missing start) B=$(event restored end)
	assert_failures_inside_window
	assert_equal "$(conns '$2 == "plain" && $3 != "ok"')" 0
	# TLS handshakes in that window: a clean close (no alert, no reset),
	# one line naming the file and what is wrong with it, exit 78.  (The
	# shell's ">" leaves it empty for an instant before the 300 bytes.)
	local failed
	failed=$(conns '$3 != "ok"')
	at_least "$failed" 2
	assert_equal "$(conns '$3 != "ok" && !($2 == "tls" && $3 == "closed" && $4 == "handshake")')" 0
	assert_equal "$(log_count ": cert $T/live/cert\.pem: (cannot read: no such file or directory|cannot parse: .*|empty file)$")" "$failed"
	assert_equal "$(log_count ' path=tls .* phase=handshake exit=78$')" "$failed"
	# Both faults were seen.
	grep -q ': cannot read: no such file or directory$' "$LOG"
	grep -q ': cannot parse: ' "$LOG"
	run grep -c '^Child [0-9]* died with code \(0\|78\)$' "$LOG"
	assert_output "$CONNECTIONS"
	assert_no_process_left
}

# start_wrapped COMMAND...: COMMAND per connection under systemd-socket-activate.
start_wrapped() {
	local env=()
	[ -z "${ASAN_OPTIONS:-}" ] || env+=(-E ASAN_OPTIONS)
	[ -z "${UBSAN_OPTIONS:-}" ] || env+=(-E UBSAN_OPTIONS)
	PORT=$(free_port)
	setsid systemd-socket-activate -l "127.0.0.1:$PORT" --accept "${env[@]}" \
		"$@" 2>>"$LOG" 3>&- &
	PIDS+=($!)
	LAUNCHER=$!
	wait_until 10 port_listening "$PORT"
}

@test "faults under load: logging to a full disk; every connection is served" {
	soak_backend b
	# shellcheck disable=SC2016
	start_wrapped sh -c 'exec "$0" "$@" 2>/dev/full' "$TLSMUX" \
		--backend "127.0.0.1:$b_PORT" "${DETECT[@]}" --cert "$CERT" --key "$KEY"
	drive
	assert_under_load
	assert_equal "$(report ok)" "$CONNECTIONS"
	# Every line was lost (ENOSPC), none reached the client or the launcher.
	run grep -c '^tlsmux' "$LOG"
	assert_output 0
	run grep -c '^Child [0-9]* died with code 0$' "$LOG"
	assert_output "$CONNECTIONS"
	assert_no_process_left
}

@test "faults under load: the journal gone (its stream closed, no journal socket); every connection is served" {
	[ ! -S /run/systemd/journal/socket ] || skip "a journal listens here"
	soak_backend b
	# Each tlsmux's fd 2: a stream socket whose peer is closed, named by
	# JOURNAL_STREAM, as StandardError=journal leaves it once journald has
	# gone.  (The launcher's own stderr stays on the log: its child would
	# die of SIGPIPE writing there before it could exec.)
	# Perl: it starts in a few milliseconds, once per connection.
	# shellcheck disable=SC2016
	start_wrapped perl -MSocket -e '
		socketpair(my $mine, my $peer, AF_UNIX, SOCK_STREAM, 0) or die "socketpair: $!";
		close $peer;
		open(STDERR, ">&", $mine) or die "dup: $!";
		my @st = stat(STDERR);
		$ENV{JOURNAL_STREAM} = "$st[0]:$st[1]";
		exec { $ARGV[0] } @ARGV or die "exec: $!";' "$TLSMUX" \
		--backend "127.0.0.1:$b_PORT" "${DETECT[@]}" --cert "$CERT" --key "$KEY"
	drive
	assert_under_load
	assert_equal "$(report ok)" "$CONNECTIONS"
	run grep -c ' up=ok ' "$T/b.record"
	assert_output "$CONNECTIONS"
	# Every line was lost, none reached the client or the launcher.
	run grep -c '^tlsmux' "$LOG"
	assert_output 0
	run grep -c '^Child [0-9]* died with code 0$' "$LOG"
	assert_output "$CONNECTIONS"
	assert_no_process_left
}
