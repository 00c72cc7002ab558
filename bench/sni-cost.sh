#!/bin/bash
# The cost of a TLS connection served from a --cert-dir of 1 certificate
# against one of 1,000: the entry is opened by name, so the two should
# cost the same.  Both directories serve the same certificate file to the
# same server name (host0500.example.test); the big one has 999 others.
#
# Two measures, both of tlsmux-tls started per connection by
# systemd-socket-activate --accept (the client is not counted):
#   perf       task-clock per connection, ROUNDS rounds of CONNECTIONS
#              each, the two directories taking turns so that drift on a
#              shared machine hits both alike;
#   callgrind  instructions per connection (valgrind), a few connections
#              each: the same count whatever else the machine is doing.
#
#   bench/sni-cost.sh [CONNECTIONS [ROUNDS [CALLGRIND-CONNECTIONS]]]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
rounds=${2:-3}
cg_n=${3:-5}
name=host0500.example.test
# shellcheck source=bench/lib.sh disable=SC1091
. bench/lib.sh
bench_scratch

need perf:linux-perf valgrind
make -s all


# 1,000 distinct certificates (ECDSA P-256, one CA), then the two directories.
echo "making 1000 certificates..." >&2
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	-subj /CN=bench-ca -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
mkdir -p "$work/big" "$work/one"
for i in $(seq -w 0 999); do
	host=host0$i.example.test
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$host" \
		-keyout "$work/k.pem" -out "$work/r.csr" 2>/dev/null
	openssl x509 -req -in "$work/r.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
		-CAcreateserial -days 30 -out "$work/c.pem" \
		-extfile <(printf 'subjectAltName=DNS:%s\n' "$host") 2>/dev/null
	cat "$work/c.pem" "$work/k.pem" >"$work/big/$host.pem"
done
cp "$work/big/$name.pem" "$work/one/"
[ "$(find "$work/big" -name '*.pem' | wc -l)" = 1000 ] || { echo "certificates missing" >&2; exit 1; }

echo_backend

# client PORT [SECONDS]: one TLS connection asking for $name.
client() {
	echo ping | timeout "${2:-5}" gnutls-cli --logfile=/dev/null --insecure \
		--sni-hostname "$name" -p "$1" 127.0.0.1 >/dev/null 2>&1
}


# perf_round DIR: msec of CPU per connection.
perf_round() {
	local dir=$1 port pid
	port=$(free_port)
	perf stat -x, -e task-clock -o "$work/perf.out" -- \
		systemd-socket-activate -l "127.0.0.1:$port" --accept \
		./tlsmux-tls --log syslog --backend "127.0.0.1:$backend" --cert-dir "$dir" 2>/dev/null &
	pid=$!
	wait_listening "$port"
	for ((i = 0; i < n; i++)); do client "$port"; done
	stop_launcher "$(pgrep -P "$pid")" "$pid"
	awk -F, -v n="$n" '/task-clock/ { printf "%.3f", $1 / n }' "$work/perf.out"
}

# callgrind_run DIR: instructions per connection, the median of cg_n.
callgrind_run() {
	local dir=$1 port pid
	port=$(free_port)
	rm -f "$work"/cg.*
	systemd-socket-activate -l "127.0.0.1:$port" --accept \
		valgrind --tool=callgrind --callgrind-out-file="$work/cg.%p" \
		./tlsmux-tls --log syslog --backend "127.0.0.1:$backend" --cert-dir "$dir" 2>/dev/null &
	pid=$!
	wait_listening "$port"
	for ((i = 0; i < cg_n; i++)); do client "$port" 30; done
	stop_launcher "$pid" "$pid"
	for f in "$work"/cg.*; do sed -n 's/^totals: //p' "$f"; done | sort -n |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

declare -a one_ms big_ms
for ((r = 0; r < rounds; r++)); do
	one_ms+=("$(perf_round "$work/one")")
	big_ms+=("$(perf_round "$work/big")")
	echo "round $((r + 1)): 1 cert ${one_ms[r]} ms, 1000 certs ${big_ms[r]} ms" >&2
done
one_cg=$(callgrind_run "$work/one")
big_cg=$(callgrind_run "$work/big")

mean() { printf '%s\n' "$@" | awk '{ s += $1 } END { printf "%.3f", s / NR }'; }
one_mean=$(mean "${one_ms[@]}")
big_mean=$(mean "${big_ms[@]}")

printf '%-44s %12s %12s %8s\n' "TLS 1.3 connection, --cert-dir of" "1 cert" "1000 certs" "ratio"
printf '%-44s %12s %12s %8.3f\n' "CPU ms per connection (perf, $rounds x $n)" \
	"$one_mean" "$big_mean" "$(echo "$big_mean / $one_mean" | bc -l)"
printf '%-44s %12s %12s %8.3f\n' "instructions per connection (callgrind)" \
	"$one_cg" "$big_cg" "$(echo "$big_cg / $one_cg" | bc -l)"
