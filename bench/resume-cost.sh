#!/bin/bash
# The CPU a resumed session saves: a TLS connection with a full handshake
# against one that resumes, in a new process, a session sealed with the
# shared --ticket-key.  Both under systemd-socket-activate --accept, both
# with --ticket-key set (a full handshake then also seals a ticket); the
# client (openssl s_client, -sess_in for the resumed ones) is not counted.
#
#   perf       task-clock of the launcher and all it spawns (tlsmux, then
#              tlsmux-tls), per connection; ROUNDS rounds of CONNECTIONS,
#              full and resumed taking turns;
#   callgrind  instructions of tlsmux-tls per connection (the median of a
#              few), which other work on the machine does not change.
# For ECDSA P-256 and RSA-2048 certificates, TLS 1.3 and TLS 1.2.  Every
# connection's log line is checked: no resumed=no among the resumed ones,
# no resumed=yes among the others (and a connection that did not complete
# is reported).
#
#   bench/resume-cost.sh [CONNECTIONS [ROUNDS [CALLGRIND-CONNECTIONS]]]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
rounds=${2:-3}
cg_n=${3:-5}
# shellcheck source=bench/lib.sh disable=SC1091
. bench/lib.sh
bench_scratch

need perf:linux-perf valgrind
make -s all
./tlsmux --new-ticket-key "$work/ticket.key"
self_signed ecdsa
self_signed rsa rsa:2048


echo_backend

# client PORT VERSION [SESSION] [SECONDS]: one connection, resuming SESSION if given.
client() {
	local resume=()
	[ -z "${3:-}" ] || resume=(-sess_in "$3")
	echo ping | timeout "${4:-5}" openssl s_client -quiet -no_ign_eof -nocommands \
		"-$2" "${resume[@]}" -connect "127.0.0.1:$1" >/dev/null 2>&1 || true
}

# session PORT VERSION OUT: a session to resume, kept open until its ticket came.
session() {
	rm -f "$3"
	{
		echo ping
		local deadline=$((SECONDS + 10))
		until [ -s "$3" ] || [ "$SECONDS" -ge "$deadline" ]; do sleep 0.02; done
	} | timeout 15 openssl s_client -quiet -no_ign_eof -nocommands "-$2" \
		-sess_out "$3" -connect "127.0.0.1:$1" >/dev/null 2>&1 || true
	[ -s "$3" ] || { echo "no session ticket from port $1" >&2; exit 1; }
}


# A launcher for tlsmux with one certificate; sets PORT and LAUNCHER.
start() {
	local cert=$1 log=$2
	shift 2
	PORT=$(free_port)
	"$@" systemd-socket-activate -l "127.0.0.1:$PORT" --accept ./tlsmux --log stderr \
		--backend "127.0.0.1:$backend" --cert "$work/$cert.pem" --key "$work/$cert.key" \
		--ticket-key "$work/ticket.key" 2>>"$log" &
	LAUNCHER=$!
	wait_listening "$PORT"
}

# count LOG VALUE: summary lines with resumed=VALUE.
count() { grep -c " resumed=$2\$" "$1" || true; }

# perf_round CERT VERSION MODE: msec of CPU per connection (MODE full or resumed).
perf_round() {
	local cert=$1 version=$2 mode=$3 session="" log=$work/round.log
	: >"$log"
	[ "$mode" = full ] || session=$work/$cert-$version.session
	start "$cert" "$log" perf stat -x, -e task-clock -o "$work/perf.out" --
	for ((i = 0; i < n; i++)); do client "$PORT" "$version" "$session"; done
	stop_launcher "$(pgrep -P "$LAUNCHER")" "$LAUNCHER"
	local want=no other=yes
	[ "$mode" = full ] || { want=yes; other=no; }
	[ "$(count "$log" "$other")" = 0 ] || {
		echo "$cert $version $mode: $(count "$log" "$other") connections logged resumed=$other" >&2
		exit 1
	}
	[ "$(count "$log" "$want")" = "$n" ] ||
		echo "$cert $version $mode: only $(count "$log" "$want") of $n connections completed" >&2
	awk -F, -v n="$n" '/task-clock/ { printf "%.3f", $1 / n }' "$work/perf.out"
}

# callgrind_run CERT VERSION MODE: instructions of tlsmux-tls per connection.
callgrind_run() {
	local cert=$1 version=$2 mode=$3 session="" port pid
	[ "$mode" = full ] || session=$work/$cert-$version.session
	port=$(free_port)
	rm -f "$work"/cg.*
	systemd-socket-activate -l "127.0.0.1:$port" --accept \
		valgrind --tool=callgrind --callgrind-out-file="$work/cg.%p" \
		./tlsmux-tls --log syslog --backend "127.0.0.1:$backend" \
		--cert "$work/$cert.pem" --key "$work/$cert.key" \
		--ticket-key "$work/ticket.key" --handshake-timeout 60s 2>/dev/null &
	pid=$!
	wait_listening "$port"
	for ((i = 0; i < cg_n; i++)); do client "$port" "$version" "$session" 60; done
	stop_launcher "$pid" "$pid"
	for f in "$work"/cg.*; do sed -n 's/^totals: //p' "$f"; done | sort -n |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

mean() { printf '%s\n' "$@" | awk '{ s += $1 } END { printf "%.3f", s / NR }'; }

printf '%-28s %12s %12s %12s\n' "per connection ($rounds x $n)" "full" "resumed" "saved"
for cert in ecdsa rsa; do
	for version in tls1_3 tls1_2; do
		start "$cert" /dev/null
		session "$PORT" "$version" "$work/$cert-$version.session"
		stop_launcher "$LAUNCHER" "$LAUNCHER"
		full=() resumed=()
		for ((r = 0; r < rounds; r++)); do
			full+=("$(perf_round "$cert" "$version" full)")
			resumed+=("$(perf_round "$cert" "$version" resumed)")
		done
		f=$(mean "${full[@]}")
		s=$(mean "${resumed[@]}")
		fi=$(callgrind_run "$cert" "$version" full)
		si=$(callgrind_run "$cert" "$version" resumed)
		label="$cert ${version/_/.}"
		printf '%-28s %12s %12s %7.3f (%2.0f%%)\n' "$label, CPU ms (perf)" "$f" "$s" \
			"$(echo "$f - $s" | bc -l)" "$(echo "100 * ($f - $s) / $f" | bc -l)"
		printf '%-28s %12s %12s %7.2fM (%2.0f%%)\n' "$label, instructions" "$fi" "$si" \
			"$(echo "($fi - $si) / 1000000" | bc -l)" "$(echo "100 * ($fi - $si) / $fi" | bc -l)"
	done
done
