#!/bin/bash
# CPU time per connection under systemd-socket-activate --accept:
# an empty C program (the floor), tlsmux on the plain path, tlsmux on
# the TLS path.  task-clock of the launcher and everything it spawns,
# divided by the number of connections; the client is not counted.
#   bench/conncost.sh [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-300}
# shellcheck source=bench/lib.sh disable=SC1091
. bench/lib.sh
bench_scratch

need perf:linux-perf
make -s all
cc -O2 -o "$work/empty" bench/empty.c
self_signed server


echo_backend

# measure NAME CLIENT PROGRAM ARGS...: prints msec of CPU per connection.
measure() {
	local name=$1 client=$2
	shift 2
	local port
	port=$(free_port)
	perf stat -x, -e task-clock -o "$work/$name.perf" -- \
		systemd-socket-activate -l "127.0.0.1:$port" --accept "$@" 2>/dev/null &
	local pid=$!
	wait_listening "$port"
	for ((i = 0; i < n; i++)); do
		"$client" "$port"
	done
	# The launcher reaps its children; let the last ones finish first.
	local deadline=$((SECONDS + 10))
	while pgrep -P "$(pgrep -P "$pid" | head -n1)" >/dev/null 2>&1 && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.05
	done
	kill -INT "$(pgrep -P "$pid")" 2>/dev/null || true
	wait "$pid" || true
	awk -F, -v n="$n" '/task-clock/ { printf "%.3f", $1 / n }' "$work/$name.perf"
}

plain_client() { echo ping | timeout 5 socat -t 5 - "TCP:127.0.0.1:$1" >/dev/null; }
tls_client() {
	echo ping | timeout 5 gnutls-cli --logfile=/dev/null --insecure -p "$1" 127.0.0.1 >/dev/null 2>&1
}

empty_plain=$(measure empty-plain plain_client "$work/empty")
plain=$(measure tlsmux-plain plain_client ./tlsmux --log syslog --backend "127.0.0.1:$backend")
tls=$(measure tlsmux-tls tls_client ./tlsmux --log syslog --backend "127.0.0.1:$backend" \
	--cert "$work/server.pem" --key "$work/server.key")

printf '%-34s %10s %8s\n' "per connection ($n each)" "CPU ms" "x empty"
printf '%-34s %10s %8s\n' "empty C program (floor)" "$empty_plain" "1.00"
printf '%-34s %10s %8.2f\n' "tlsmux, plain" "$plain" "$(echo "$plain / $empty_plain" | bc -l)"
printf '%-34s %10s %8.2f\n' "tlsmux, TLS 1.3 (ECDSA P-256)" "$tls" "$(echo "$tls / $empty_plain" | bc -l)"
