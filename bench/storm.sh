#!/bin/bash
# A reconnect storm, as when every client of a restarted server comes
# back at once: N TLS clients connect at the same instant (bench/connrate
# --once), each does its handshake and one 1 KiB HTTP request, to tlsmux
# under systemd-socket-activate --accept and to HAProxy (the seed
# configuration, nbthread 1).  Prints a Markdown table: the time until
# the last client is served, the median, and how many failed within the
# deadline.  Also what bounds the queue: the listen backlogs (ss) and
# the kernel's net.core.somaxconn and tcp_max_syn_backlog, which are read,
# never changed.  Beside them the floor of the model (bench/tlsfloor.c):
# one process per connection that only reads the certificate, does the
# GnuTLS handshake and relays, under the same launcher; what no design
# with a fresh GnuTLS process per connection can go below.
#   bench/storm.sh            (needs haproxy, nginx, libssl-dev)
# Also the most tlsmux processes alive at once during a storm (what
# MaxConnections= in tlsmux.socket must allow, or systemd refuses the
# connections beyond it), and the most connections the kernel dropped
# for a full listen queue in one storm (Backlog=).
# Knobs: STORM_SIZES (clients per storm, "100 500 1000"), STORM_ROUNDS
# (storms of each size per contender, best kept, 2), STORM_DEADLINE
# (seconds a client may take, 60), STORM_BACKLOG (the listen backlog of
# both, as Backlog= in tlsmux.socket and backlog on HAProxy's bind; by
# default each keeps its own: SOMAXCONN, and HAProxy's maxconn; the
# kernel caps it at net.core.somaxconn).
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
make -s all build/bench/tlsfloor
cc -O2 -Wall -Wextra -o "$work/connrate" bench/connrate.c -lssl -lcrypto
self_signed server
cat "$work/server.pem" "$work/server.key" >"$work/combined.pem"

nginx_port=$(free_port)
nginx_site "$nginx_port"
nginx -p "$work" -c "$work/nginx.conf" </dev/null >"$work/nginx.log" 2>&1 &
pids+=($!)
wait_listening "$nginx_port" nginx

tlsmux_port=$(free_port)
# systemd-socket-activate has no backlog option: with STORM_BACKLOG, the
# listening socket is made here and handed to it as systemd would
# (LISTEN_FDS); it accepts on that one.
launch=(systemd-socket-activate -l "127.0.0.1:$tlsmux_port")
bind_backlog=
if [ -n "${STORM_BACKLOG:-}" ]; then
	launch=(python3 -c 'import os, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(int(sys.argv[2]))
os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)  # dup2 does nothing when the socket is fd 3
os.environ.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
os.execvp("systemd-socket-activate", ["systemd-socket-activate"] + sys.argv[3:])' \
		"$tlsmux_port" "$STORM_BACKLOG")
	bind_backlog="backlog $STORM_BACKLOG"
fi
"${launch[@]}" --accept --inetd \
	"$root/tlsmux" --log stderr --backend "127.0.0.1:$nginx_port" \
	--cert "$work/server.pem" --key "$work/server.key" \
	</dev/null >/dev/null 2>"$work/tlsmux.log" &
launcher=$!
pids+=("$launcher")
floor_port=$(free_port)
"${launch[@]/$tlsmux_port/$floor_port}" --accept --inetd \
	"$root/build/bench/tlsfloor" "$work/server.pem" "$work/server.key" \
	127.0.0.1 "$nginx_port" </dev/null >/dev/null 2>"$work/floor.log" &
floor_launcher=$!
pids+=("$floor_launcher")
haproxy_port=$(free_port)
{
	haproxy_seed_global "nbthread 1"
	haproxy_seed http "$haproxy_port" "$nginx_port" "$work/combined.pem" \
		"$bind_backlog"
} >"$work/haproxy.cfg"
haproxy -db -f "$work/haproxy.cfg" </dev/null >"$work/haproxy.log" 2>&1 &
pids+=($!)
wait_listening "$tlsmux_port" tlsmux
wait_listening "$haproxy_port" haproxy
wait_listening "$floor_port" tlsfloor

# The backlog of a listening socket is ss's Send-Q.
backlog() { ss -Hltn "sport = :$1" | awk '{ print $3; exit }'; }
# Until the launcher's per-connection processes are gone.
settle() {
	local until=$((SECONDS + 30))
	while pgrep -P "$launcher,$floor_launcher" >/dev/null &&
		[ "$SECONDS" -lt "$until" ]; do
		sleep 0.1
	done
}

# peak_start / peak_stop: the most children the launcher had at once in
# between, polled every 5 ms from /proc (a lower bound; the poller itself
# costs next to nothing).
peak_start() {
	rm -f "$work/peak" "$work/peak.ready"
	python3 -c 'import signal, sys, time
path = "/proc/%s/task/%s/children" % (sys.argv[1], sys.argv[1])
most = 0
def done(*_):
    print(most)
    sys.exit(0)
signal.signal(signal.SIGTERM, done)
open(sys.argv[2], "w").close()
while True:
    with open(path) as f:
        most = max(most, len(f.read().split()))
    time.sleep(0.005)' "$launcher" "$work/peak.ready" >"$work/peak" &
	poller=$!
	local until=$((SECONDS + 10))
	until [ -e "$work/peak.ready" ] || [ "$SECONDS" -ge "$until" ]; do sleep 0.01; done
}
peak_stop() {
	kill -TERM "$poller" 2>/dev/null || true
	wait "$poller" || true
	cat "$work/peak"
}

# The kernel's count of connections dropped because a listen queue was
# full (the client retries its SYN after 1 s, then 3 s...): whole host.
overflows() { awk '$1 == "TcpExt:" { if (!n) { for (i = 2; i <= NF; i++) if ($i == "ListenOverflows") n = i } else print $n }' /proc/net/netstat; }

declare -A best peak dropped
for ((round = 1; round <= rounds; round++)); do
	for n in $sizes; do
		for c in tlsmux floor haproxy; do
			port=${c}_port
			settle
			[ "$c" != tlsmux ] || peak_start
			before=$(overflows)
			line=$("$work/connrate" --tls --once -c "$n" -d "$deadline" \
				127.0.0.1 "${!port}" /1k) || true
			drops=$(($(overflows) - before))
			[ "$drops" -le "${dropped[$c:$n]:-0}" ] || dropped[$c:$n]=$drops
			if [ "$c" = tlsmux ]; then
				most=$(peak_stop)
				[ "${most:-0}" -le "${peak[$n]:-0}" ] || peak[$n]=$most
			fi
			echo "round $round/$rounds: $c, $n clients: ${line:-connrate failed}" >&2
			storm_keep best "$c:$n" "${line:-storm $n ok 0 failed $n last_ms 0 median_ms 0}"
		done
	done
done

# ratio A B: A / B as "1.23×", or — when B is 0.
ratio() { if [ "$2" -gt 0 ]; then printf '%.2f×' "$(echo "$1 / $2" | bc -l)"; else echo —; fi; }
echo "| clients | tlsmux: last served ms | median ms | failed | SYNs dropped, queue full | most tlsmux processes at once | floor (tlsfloor): last served ms | failed | HAProxy (1 thread): last served ms | median ms | failed | SYNs dropped | tlsmux / HAProxy | floor / HAProxy | tlsmux / floor |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in $sizes; do
	read -r _ tf tl tm <<<"${best[tlsmux:$n]}"
	read -r _ ff fl _ <<<"${best[floor:$n]}"
	read -r _ hf hl hm <<<"${best[haproxy:$n]}"
	echo "| $n | $tl | $tm | $tf | ${dropped[tlsmux:$n]:-0} | ${peak[$n]:-—} | $fl | $ff | $hl | $hm | $hf | ${dropped[haproxy:$n]:-0} | $(ratio "$tl" "$hl") | $(ratio "$fl" "$hl") | $(ratio "$tl" "$fl") |"
done
echo
echo "Listen backlogs (ss Send-Q): tlsmux's launcher $(backlog "$tlsmux_port"), HAProxy $(backlog "$haproxy_port"); net.core.somaxconn $(cat /proc/sys/net/core/somaxconn), net.ipv4.tcp_max_syn_backlog $(cat /proc/sys/net/ipv4/tcp_max_syn_backlog), tcp_syncookies $(cat /proc/sys/net/ipv4/tcp_syncookies). Best of $rounds storms each, deadline ${deadline} s; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
