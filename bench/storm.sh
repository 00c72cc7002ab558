#!/bin/bash
# A reconnect storm, as when every client of a restarted server comes
# back at once: N TLS clients connect at the same instant (bench/connrate
# --once), each does its handshake and one 1 KiB HTTP request, to tlsmux
# under systemd-socket-activate --accept and to HAProxy (the seed
# configuration, nbthread 1).  Prints a Markdown table: the time until
# the last client is served, the median, and how many failed within the
# deadline.  Also what bounds the queue: the listen backlogs (ss) and
# the kernel's net.core.somaxconn and tcp_max_syn_backlog, which are read,
# never changed.
#   bench/storm.sh            (needs haproxy, nginx, libssl-dev)
# Knobs: STORM_SIZES (clients per storm, "100 500 1000"), STORM_ROUNDS
# (storms of each size per contender, best kept, 2), STORM_DEADLINE
# (seconds a client may take, 60).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
sizes=${STORM_SIZES:-100 500 1000}
rounds=${STORM_ROUNDS:-2}
deadline=${STORM_DEADLINE:-60}
# shellcheck source=bench/lib.sh disable=SC1091
. bench/lib.sh
bench_scratch
chmod 755 "$work"	# nginx's worker reads the files as another user

need haproxy nginx systemd-socket-activate openssl cc ss
make -s all
cc -O2 -Wall -Wextra -o "$work/connrate" bench/connrate.c -lssl -lcrypto
self_signed server
cat "$work/server.pem" "$work/server.key" >"$work/combined.pem"

mkdir -p "$work/www" "$work/nginx-tmp"
head -c 1024 /dev/urandom >"$work/www/1k"
nginx_port=$(free_port)
cat >"$work/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 8192; }
http {
	access_log off;
	client_body_temp_path $work/nginx-tmp/body;
	proxy_temp_path $work/nginx-tmp/proxy;
	fastcgi_temp_path $work/nginx-tmp/fastcgi;
	uwsgi_temp_path $work/nginx-tmp/uwsgi;
	scgi_temp_path $work/nginx-tmp/scgi;
	server { listen 127.0.0.1:$nginx_port backlog=4096; root $work/www; }
}
EOF
nginx -p "$work" -c "$work/nginx.conf" </dev/null >"$work/nginx.log" 2>&1 &
pids+=($!)
wait_listening "$nginx_port" nginx

tlsmux_port=$(free_port)
systemd-socket-activate -l "127.0.0.1:$tlsmux_port" --accept --inetd \
	"$root/tlsmux" --log stderr --backend "127.0.0.1:$nginx_port" \
	--cert "$work/server.pem" --key "$work/server.key" \
	</dev/null >/dev/null 2>"$work/tlsmux.log" &
launcher=$!
pids+=("$launcher")
haproxy_port=$(free_port)
{
	haproxy_seed_global "nbthread 1"
	haproxy_seed http "$haproxy_port" "$nginx_port" "$work/combined.pem"
} >"$work/haproxy.cfg"
haproxy -db -f "$work/haproxy.cfg" </dev/null >"$work/haproxy.log" 2>&1 &
pids+=($!)
wait_listening "$tlsmux_port" tlsmux
wait_listening "$haproxy_port" haproxy

# The backlog of a listening socket is ss's Send-Q.
backlog() { ss -Hltn "sport = :$1" | awk '{ print $3; exit }'; }
# Until the launcher's per-connection processes are gone.
settle() {
	local until=$((SECONDS + 30))
	while pgrep -P "$launcher" >/dev/null && [ "$SECONDS" -lt "$until" ]; do
		sleep 0.1
	done
}

declare -A best
for ((round = 1; round <= rounds; round++)); do
	for n in $sizes; do
		for c in tlsmux haproxy; do
			port=tlsmux_port
			[ "$c" = haproxy ] && port=haproxy_port
			settle
			line=$("$work/connrate" --tls --once -c "$n" -d "$deadline" \
				127.0.0.1 "${!port}" /1k) || true
			echo "round $round/$rounds: $c, $n clients: ${line:-connrate failed}" >&2
			read -r _ _ _ ok _ failed _ last _ median <<<"${line:-storm $n ok 0 failed $n last_ms 0 median_ms 0}"
			key=$c:$n
			# Best storm: fewest failures, then the earliest last success.
			if [ -z "${best[$key]:-}" ] || {
				read -r _ bf bl _ <<<"${best[$key]}"
				[ "$failed" -lt "$bf" ] || { [ "$failed" = "$bf" ] && [ "$last" -lt "$bl" ]; }
			}; then
				best[$key]="$ok $failed $last $median"
			fi
		done
	done
done

echo "| clients | tlsmux: last served ms | median ms | failed | HAProxy (1 thread): last served ms | median ms | failed | ratio of last |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in $sizes; do
	read -r _ tf tl tm <<<"${best[tlsmux:$n]}"
	read -r _ hf hl hm <<<"${best[haproxy:$n]}"
	ratio=—
	[ "$hl" -gt 0 ] && ratio=$(printf '%.2f×' "$(echo "$tl / $hl" | bc -l)")
	echo "| $n | $tl | $tm | $tf | $hl | $hm | $hf | $ratio |"
done
echo
echo "Listen backlogs (ss Send-Q): tlsmux's launcher $(backlog "$tlsmux_port"), HAProxy $(backlog "$haproxy_port"); net.core.somaxconn $(cat /proc/sys/net/core/somaxconn), net.ipv4.tcp_max_syn_backlog $(cat /proc/sys/net/ipv4/tcp_max_syn_backlog), tcp_syncookies $(cat /proc/sys/net/ipv4/tcp_syncookies). Best of $rounds storms each, deadline ${deadline} s; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
