#!/bin/bash
# What one plain connection's process costs (bench/proccost.c): CPU from
# fork to exit, minor page faults and context switches, median over
# ROUNDS connections, one at a time, the contenders in turns: the minimal
# static pump (bench/pump.c) first, then each tlsmux binary given (the
# tree's by default), all on an nginx serving 1 KiB.
#   bench/proccost.sh [ROUNDS [TLSMUX...]]
# e.g. against a peeker built with musl:
#   make PEEKER_LIBC=musl tlsmux && cp tlsmux /tmp/tlsmux-musl && make all
#   bench/proccost.sh 300 ./tlsmux /tmp/tlsmux-musl
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-300}
[ $# -le 1 ] || shift
[ $# -gt 0 ] || set -- ./tlsmux
# shellcheck source=bench/lib.sh disable=SC1091
. bench/lib.sh
bench_scratch
chmod 755 "$work"	# nginx's worker reads the files as another user

need nginx cc
make -s all
cc -O2 -Wall -Wextra -static -o "$work/pump" bench/pump.c
cc -O2 -Wall -Wextra -o "$work/proccost" bench/proccost.c
nginx_port=$(free_port)
nginx_site "$nginx_port"
nginx -p "$work" -c "$work/nginx.conf" </dev/null >"$work/nginx.log" 2>&1 &
pids+=($!)
wait_listening "$nginx_port" nginx

commands=("$work/pump 127.0.0.1 $nginx_port")
for t; do
	commands+=("$(realpath "$t") --log stderr --backend 127.0.0.1:$nginx_port")
done
"$work/proccost" "$rounds" "${commands[@]}" 2>"$work/proccost.log" ||
	{ tail -n 5 "$work/proccost.log" >&2; exit 1; }
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
