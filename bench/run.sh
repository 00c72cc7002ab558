#!/bin/bash
# tlsmux against its peers, side by side in one run, on loopback:
# new connections per second (bench/connrate and wrk, one request per
# connection), bulk
# throughput through one connection (curl, 1 GiB each way), small
# messages (redis-benchmark: latency with one client, throughput with
# 50), CPU per connection and memory per idle connection; then a
# reconnect storm (bench/storm.sh).  Writes
# bench/results/ (results.md, data.tsv, chart.png) and prints the tables.
#   bench/run.sh            (make bench installs the packages first)
# Every figure is the best of several rounds, each round going through
# all contenders in turn, so that a burst of other work on the machine
# does not fall on one contender only.  Knobs: BENCH_SECONDS (length of
# one connection-rate run, 2), BENCH_ROUNDS (rounds of connection rates,
# 8), BENCH_BULK_ROUNDS (1 GiB transfers, 3; 0 skips them), BENCH_MESSAGE_ROUNDS
# (Redis, 2; 0 skips them), BENCH_STORM=0 (no reconnect storm, else
# bench/storm.sh with its STORM_SIZES, STORM_ROUNDS), BENCH_ONLY (space-separated contenders), BENCH_OUT (output
# folder), BENCH_KEEP=1 (keep the scratch folder), BENCH_SYSTEMD=0 (no
# bench/systemd-cost.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${BENCH_SECONDS:-2}
rounds=${BENCH_ROUNDS:-8}
bulk_rounds=${BENCH_BULK_ROUNDS:-3}
message_rounds=${BENCH_MESSAGE_ROUNDS:-2}
out=${BENCH_OUT:-$root/bench/results}
idle_count=20
all_contenders="tlsmux pump tlsfloor haproxy haproxy_mt stunnel sslh socat hitch direct"
contenders=${BENCH_ONLY:-$all_contenders}

work=$(mktemp -d /tmp/tlsmux-bench.XXXXXX)
chmod 755 "$work"	# nginx's worker reads the files as another user
# CPU time is read from a cgroup per contender: it counts every process,
# reaped or not (sslh-fork's children are reaped without accounting).
cgroot=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)/tlsmux-bench-$$
groups=()
cleanup() {
	local g cg
	for g in "${groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for cg in "$cgroot"/*/; do
		[ -d "$cg" ] || continue
		local deadline=$((SECONDS + 5))
		until rmdir "$cg" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; do sleep 0.1; done
	done
	rmdir "$cgroot" 2>/dev/null || true
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "bench: $*" >&2; exit 1; }
note() { printf '%s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || die "run as root (it starts daemons and makes cgroups)"
mkdir "$cgroot" 2>/dev/null || die "cannot make a cgroup in $cgroot (needs cgroup v2)"
for tool in wrk curl redis-benchmark redis-server nginx haproxy stunnel4 sslh \
	socat hitch systemd-socket-activate gnuplot python3 openssl ss bc valgrind; do
	command -v "$tool" >/dev/null || die "$tool missing: run make bench (it installs the packages)"
done

make -s all build/bench/tlsfloor
cc -O2 -Wall -Wextra -static -o "$work/pump" bench/pump.c
cc -O2 -Wall -Wextra -o "$work/connrate" bench/connrate.c -lssl -lcrypto
hz=$(getconf CLK_TCK)

# shellcheck source=bench/lib.sh disable=SC1091
. bench/lib.sh
bench_logs() { tail -n 5 "$work"/*.log; }
# start NAME [CGROUP] -- CMD...: a server in its own process group (and
# cgroup), output to a log.
started=
start() {
	local name=$1 cg=
	shift
	[ "$1" = -- ] || { cg=$1; shift; }
	shift
	if [ -n "$cg" ]; then
		mkdir -p "$cg"
		# shellcheck disable=SC2016 # the inner shell expands them
		setsid sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$@" \
			>"$work/$name.log" 2>&1 </dev/null &
	else
		setsid "$@" >"$work/$name.log" 2>&1 </dev/null &
	fi
	started=$!
	groups+=("$started")
}

cg_pids() { cat "$1/cgroup.procs"; }
cg_count() { wc -l <"$1/cgroup.procs"; }
# Microseconds of user+system CPU of everything that ran in the cgroup.
cg_cpu_us() { awk '$1 == "usage_usec" { print $2 }' "$1/cpu.stat"; }
# "USS PSS" in KiB of the cgroup's processes, from smaps_rollup.
cg_memory_kib() {
	local p
	for p in $(cg_pids "$1"); do
		cat "/proc/$p/smaps_rollup" 2>/dev/null || true
	done | awk '/^Private_(Clean|Dirty|Hugetlb):/ { uss += $2 } /^Pss:/ { pss += $2 }
		END { printf "%d %d\n", uss, pss }'
}
# Wait until the per-connection processes of an instance have exited.
settle() {
	local key=$1 deadline=$((SECONDS + 20))
	[ -n "${cg[$key]}" ] || return 0
	while [ "$(cg_count "${cg[$key]}")" -gt "${baseline[$key]}" ]; do
		[ "$SECONDS" -lt "$deadline" ] || { note "  ($key: connections still open)"; return; }
		sleep 0.05
	done
}

# Results: one line per figure, "contender mode metric value".
data=$work/data.tsv
: >"$data"
record() { printf '%s\t%s\t%s\t%s\n' "$@" >>"$data"; }

# ---------------------------------------------------------------- backends
note "setting up backends in $work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	-subj /CN=localhost -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
cat "$work/cert.pem" "$work/key.pem" >"$work/combined.pem"
nginx_port=$(free_port)
nginx_site "$nginx_port"
truncate -s 1G "$work/www/1g"		# sparse: made at once, reads as zeros
cat "$work/www/1g" >/dev/null		# into the page cache before any timing
start nginx -- nginx -p "$work" -c "$work/nginx.conf"
redis_port=$(free_port)
start redis -- redis-server --bind 127.0.0.1 --port "$redis_port" --save '' \
	--appendonly no --protected-mode no --dir "$work" --maxclients 10000
wait_listening "$nginx_port" nginx
wait_listening "$redis_port" redis

# ---------------------------------------------------------------- contenders
# Each contender serves the web backend (key NAME:http) and the Redis
# backend (NAME:redis): port[key], cg[key] (the cgroup of its processes),
# baseline[key] (how many processes it has with no connection).
declare -A port cg baseline label modes
backend_port() { if [ "$1" = redis ]; then echo "$redis_port"; else echo "$nginx_port"; fi; }
launcher() {	# launcher KEY CMD...: one process per connection, on fd 0/1
	local key=$1
	shift
	local p
	p=$(free_port)
	cg[$key]=$cgroot/${key/:/-}
	start "${key/:/-}" "${cg[$key]}" -- \
		systemd-socket-activate -l "127.0.0.1:$p" --accept --inetd "$@"
	port[$key]=$p
}

setup_tlsmux() {
	label[tlsmux]="tlsmux"
	modes[tlsmux]="plain tls"
	local b
	for b in http redis; do
		local to
		to=$(backend_port "$b")
		launcher "tlsmux:$b" "$root/tlsmux" --log stderr --backend "127.0.0.1:$to" \
			--cert "$work/cert.pem" --key "$work/key.pem"
	done
}
setup_pump() {
	label[pump]="minimal static pump"
	modes[pump]="plain"
	launcher pump:http "$work/pump" 127.0.0.1 "$nginx_port"
	launcher pump:redis "$work/pump" 127.0.0.1 "$redis_port"
}
setup_tlsfloor() {
	label[tlsfloor]="TLS floor (bench/tlsfloor.c)"
	modes[tlsfloor]="tls"
	launcher tlsfloor:http "$root/build/bench/tlsfloor" "$work/cert.pem" \
		"$work/key.pem" 127.0.0.1 "$nginx_port"
	launcher tlsfloor:redis "$root/build/bench/tlsfloor" "$work/cert.pem" \
		"$work/key.pem" 127.0.0.1 "$redis_port"
}
setup_socat() {
	label[socat]="socat"
	modes[socat]="plain"
	launcher socat:http socat STDIO "TCP:127.0.0.1:$nginx_port"
	launcher socat:redis socat STDIO "TCP:127.0.0.1:$redis_port"
}
setup_stunnel() {
	label[stunnel]="stunnel inetd"
	modes[stunnel]="tls"
	local b
	for b in http redis; do
		local to
		to=$(backend_port "$b")
		cat >"$work/stunnel-inetd-$b.conf" <<-EOF
			pid =
			syslog = no
			cert = $work/cert.pem
			key = $work/key.pem
			connect = 127.0.0.1:$to
		EOF
		launcher "stunnel:$b" stunnel4 "$work/stunnel-inetd-$b.conf"
	done
}
# The configuration users start from to share one port with HAProxy:
# inspect the first bytes, hand TLS and plain with PROXY v2 to two
# frontends on abstract sockets (abns@), one of them terminating TLS.
# haproxy runs it with one thread, the figure tlsmux is compared with;
# haproxy_mt with HAProxy's default thread count (one per CPU).
haproxy_config() {	# haproxy_config NAME [GLOBAL LINE]: writes $work/NAME.cfg
	local name=$1 cfg=$work/$1.cfg b
	haproxy_seed_global "${2:-}" >"$cfg"
	for b in http redis; do
		local to p
		to=$(backend_port "$b")
		p=$(free_port)
		haproxy_seed "$name-$b" "$p" "$to" "$work/combined.pem" >>"$cfg"
		port[$name:$b]=$p
	done
	cg[$name:http]=$cgroot/$name
	cg[$name:redis]=$cgroot/$name
	start "$name" "$cgroot/$name" -- haproxy -db -f "$cfg"
}
setup_haproxy() {
	label[haproxy]="HAProxy, 1 thread"
	modes[haproxy]="plain tls"
	haproxy_config haproxy "nbthread 1"
}
setup_haproxy_mt() {
	label[haproxy_mt]="HAProxy, $(nproc) threads (default)"
	modes[haproxy_mt]="plain tls"
	haproxy_config haproxy_mt
}
# sslh-fork tells TLS from the rest and hands TLS to a stunnel daemon.
setup_sslh() {
	label[sslh]="sslh-fork + stunnel"
	modes[sslh]="plain tls"
	local b
	for b in http redis; do
		local to
		to=$(backend_port "$b")
		local p tls_p
		p=$(free_port) tls_p=$(free_port)
		cat >"$work/stunnel-daemon-$b.conf" <<-EOF
			foreground = yes
			pid =
			syslog = no
			[tls]
			accept = 127.0.0.1:$tls_p
			connect = 127.0.0.1:$to
			cert = $work/cert.pem
			key = $work/key.pem
		EOF
		cg[sslh:$b]=$cgroot/sslh-$b
		start "stunnel-daemon-$b" "${cg[sslh:$b]}" -- \
			stunnel4 "$work/stunnel-daemon-$b.conf"
		wait_listening "$tls_p" "stunnel daemon"
		start "sslh-$b" "${cg[sslh:$b]}" -- sslh -f -n -p "127.0.0.1:$p" \
			--tls "127.0.0.1:$tls_p" --anyprot "127.0.0.1:$to"
		port[sslh:$b]=$p
	done
}
setup_hitch() {
	label[hitch]="hitch"
	modes[hitch]="tls"
	local b
	for b in http redis; do
		local to
		to=$(backend_port "$b")
		local p
		p=$(free_port)
		cg[hitch:$b]=$cgroot/hitch-$b
		start "hitch-$b" "${cg[hitch:$b]}" -- hitch --frontend="[127.0.0.1]:$p" --backend="[127.0.0.1]:$to" \
			--workers=2 --user=nobody --group=nogroup "$work/combined.pem"
		port[hitch:$b]=$p
	done
}
setup_direct() {
	label[direct]="direct to the backend"
	modes[direct]="plain"
	port[direct:http]=$nginx_port
	port[direct:redis]=$redis_port
	cg[direct:http]=
	cg[direct:redis]=
}

for c in $contenders; do
	case " $all_contenders " in *" $c "*) ;; *) die "unknown contender $c" ;; esac
	"setup_$c"
done
for c in $contenders; do
	for b in http redis; do
		wait_listening "${port[$c:$b]}" "$c"
	done
done
sleep 0.5	# let multi-process daemons finish forking their workers
for c in $contenders; do
	for b in http redis; do
		baseline[$c:$b]=0
		[ -z "${cg[$c:$b]}" ] || baseline[$c:$b]=$(cg_count "${cg[$c:$b]}")
	done
done

# ---------------------------------------------------------------- measures
scheme() { [ "$1" = tls ] && echo https || echo http; }

# New connections per second, one request each (bench/connrate); CPU per
# connection from the contender's cgroup over the same run.
measure_connections() {
	local c=$1 mode=$2 key=$1:http
	local tls=()
	[ "$mode" = tls ] && tls=(--tls)
	settle "$key"
	local before=0 after=0
	[ -z "${cg[$key]}" ] || before=$(cg_cpu_us "${cg[$key]}")
	local result
	result=$("$work/connrate" "${tls[@]}" -c 8 -d "$seconds" 127.0.0.1 "${port[$key]}" /1k) ||
		{ note "  $c $mode: connrate failed: $result"; return; }
	settle "$key"
	[ -z "${cg[$key]}" ] || after=$(cg_cpu_us "${cg[$key]}")
	local _ ok errors rate finished
	read -r _ ok _ errors _ _ _ rate _ finished <<<"$result"
	record "$c" "$mode" conn_per_s "$rate"
	[ "$errors" = 0 ] || { record "$c" "$mode" conn_errors "$errors failed of $((ok + errors))"; note "  $c $mode: $errors errors"; }
	if [ -n "${cg[$key]}" ] && [ "${finished:-0}" -gt 0 ]; then
		record "$c" "$mode" cpu_ms_per_conn \
			"$(echo "($after - $before) / 1000 / $finished" | bc -l)"
	fi
}

# The same with wrk, for comparison with figures measured with it; with
# wrk's own CPU per connection (its TLS connect spins, see connrate.c).
measure_wrk() {
	local c=$1 mode=$2 key=$1:http
	local log=$work/wrk-$c-$mode.txt
	settle "$key"
	local t0 t1
	t0=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)
	wrk -t1 -c8 -d2s --timeout 10s -H 'Connection: close' \
		"$(scheme "$mode")://127.0.0.1:${port[$key]}/1k" >"$log" 2>&1 ||
		{ note "  wrk failed: $(tail -n 3 "$log")"; return; }
	t1=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)
	local rate requests
	rate=$(awk '/^Requests\/sec:/ { print $2 }' "$log")
	requests=$(awk '/requests in/ { print $1 }' "$log")
	if [ -z "$rate" ] || [ "${requests:-0}" -eq 0 ]; then
		note "  wrk gave no rate: $(cat "$log")"
		return
	fi
	record "$c" "$mode" wrk_conn_per_s "$rate"
	record "$c" "$mode" wrk_cpu_ms_per_conn "$(echo "($t1 - $t0) * 1000 / $hz / $requests" | bc -l)"
}

# 1 GiB each way through one connection; MB/s (10^6 bytes).
measure_bulk() {
	local c=$1 mode=$2 key=$1:http
	local base code size speed
	base="$(scheme "$mode")://127.0.0.1:${port[$key]}"
	settle "$key"
	read -r code size speed < <(curl -sk -o /dev/null --max-time 120 \
		-w '%{http_code} %{size_download} %{speed_download}\n' "$base/1g" || true)
	if [ "${code:-}" = 200 ] && [ "${size:-}" = 1073741824 ]; then
		record "$c" "$mode" down_mb_s "$(echo "$speed / 1000000" | bc -l)"
	else
		note "  $c $mode download failed: ${code:-} ${size:-}"
	fi
	settle "$key"
	read -r code size speed < <(curl -sk -o /dev/null --max-time 120 -T "$work/www/1g" \
		-w '%{http_code} %{size_upload} %{speed_upload}\n' "$base/upload" || true)
	if [ "${code:-}" = 204 ] && [ "${size:-}" = 1073741824 ]; then
		record "$c" "$mode" up_mb_s "$(echo "$speed / 1000000" | bc -l)"
	else
		note "  $c $mode upload failed: ${code:-} ${size:-}"
	fi
}

# redis-benchmark GET: p50/p99 with one client, requests/s with 50.
measure_messages() {
	local c=$1 mode=$2 key=$1:redis
	local tls=()
	[ "$mode" = tls ] && tls=(--tls --insecure)
	settle "$key"
	local csv
	csv=$(timeout 120 redis-benchmark -h 127.0.0.1 -p "${port[$key]}" "${tls[@]}" \
		-c 1 -n 5000 -t get -d 16 --csv 2>&1 | tr -d '"' | grep '^GET,') ||
		{ note "  $c $mode: redis-benchmark (1 client) failed"; return; }
	IFS=, read -r _ _ _ _ p50 _ p99 _ <<<"$csv"
	record "$c" "$mode" p50_us "$(echo "$p50 * 1000" | bc -l)"
	record "$c" "$mode" p99_us "$(echo "$p99 * 1000" | bc -l)"
	settle "$key"
	csv=$(timeout 120 redis-benchmark -h 127.0.0.1 -p "${port[$key]}" "${tls[@]}" \
		-c 50 -n 50000 -t get -d 16 --csv 2>&1 | tr -d '"' | grep '^GET,') ||
		{ note "  $c $mode: redis-benchmark (50 clients) failed"; return; }
	IFS=, read -r _ rps _ <<<"$csv"
	record "$c" "$mode" msg_per_s "$rps"
}

# Memory of idle connections: the contender's trees with idle_count idle
# connections less the same trees with none, per connection.
measure_memory() {
	local c=$1 mode=$2 key=$1:redis
	[ -n "${cg[$key]}" ] || return 0
	settle "$key"
	local before after
	before=$(cg_memory_kib "${cg[$key]}")
	local fifo=$work/idle-fifo
	rm -f "$fifo" && mkfifo "$fifo"
	local args=("${port[$key]}" "$idle_count")
	[ "$mode" = tls ] && args+=(tls)
	timeout 120 python3 bench/idle.py "${args[@]}" <"$fifo" >"$work/idle.out" 2>&1 &
	local client=$!
	exec 9>"$fifo"
	local deadline=$((SECONDS + 100))
	until grep -q ready "$work/idle.out" 2>/dev/null; do
		if ! kill -0 "$client" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
			note "  $c $mode: idle client failed: $(cat "$work/idle.out")"
			exec 9>&-
			wait "$client" || true
			return 0
		fi
		sleep 0.05
	done
	after=$(cg_memory_kib "${cg[$key]}")
	exec 9>&-
	wait "$client" || true
	local uss0 pss0 uss1 pss1
	read -r uss0 pss0 <<<"$before"
	read -r uss1 pss1 <<<"$after"
	record "$c" "$mode" uss_kib_per_conn "$(echo "($uss1 - $uss0) / $idle_count" | bc -l)"
	record "$c" "$mode" pss_kib_per_conn "$(echo "($pss1 - $pss0) / $idle_count" | bc -l)"
}

# Instructions per connection (callgrind), user space only: unlike the
# timings, they do not depend on what else the machine is doing.  The
# peeker's part of a TLS connection is dumped before it execs the helper.
measure_instructions() {
	local name=$1 scheme=$2
	shift 2
	local dir=$work/callgrind-$name p
	mkdir -p "$dir"
	p=$(free_port)
	start "callgrind-$name" -- systemd-socket-activate -l "127.0.0.1:$p" --accept --inetd \
		valgrind --tool=callgrind --trace-children=yes --dump-before=execv \
		"--callgrind-out-file=$dir/out.%p" "$@"
	local launcher=$started
	wait_listening "$p" "callgrind $name"
	curl -sk -o /dev/null --max-time 60 -H 'Connection: close' "$scheme://127.0.0.1:$p/1k" ||
		{ note "  callgrind $name: request failed"; kill -TERM -- "-$launcher"; return; }
	# The launcher's only child is the connection: wait for it to end.
	local deadline=$((SECONDS + 60))
	while pgrep -P "$launcher" >/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
	kill -TERM -- "-$launcher" 2>/dev/null || true
	local mode=plain
	[ "$scheme" = https ] && mode=tls
	record "$name" "$mode" instructions \
		"$(cat "$dir"/out.* | awk '/^totals:/ { n += $2 } END { print n + 0 }')"
}

# What each TLS contender negotiates with an OpenSSL client.
measure_negotiated() {
	local c=$1 text
	text=$(timeout 20 openssl s_client -connect "127.0.0.1:${port[$c:http]}" -brief </dev/null 2>&1 |
		awk -F': ' '/^Protocol version/ { v = $2 } /^Ciphersuite/ { s = $2 }
			/^(Server|Peer) Temp Key/ { k = $2 } END { print v ", " s ", " k }')
	record "$c" tls negotiated "$text"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started_at=$SECONDS
note "warming up"
for c in $contenders; do
	for mode in ${modes[$c]}; do
		tls=()
		[ "$mode" = tls ] && tls=(--tls)
		"$work/connrate" "${tls[@]}" -c 8 -d 1 127.0.0.1 "${port[$c:http]}" /1k >/dev/null || true
	done
done
for ((round = 1; round <= rounds; round++)); do
	for c in $contenders; do
		for mode in ${modes[$c]}; do
			note "round $round/$rounds: $c $mode"
			measure_connections "$c" "$mode"
			[ "$round" -gt 1 ] || measure_wrk "$c" "$mode"
			[ "$round" -gt "$bulk_rounds" ] || measure_bulk "$c" "$mode"
			[ "$round" -gt "$message_rounds" ] || measure_messages "$c" "$mode"
			[ "$round" -gt 1 ] || measure_memory "$c" "$mode"
		done
	done
done
note "instructions per connection (callgrind)"
case " $contenders " in *" tlsmux "*)
	measure_instructions tlsmux http "$root/tlsmux" --log stderr \
		--backend "127.0.0.1:$nginx_port"
	measure_instructions tlsmux https "$root/tlsmux" --log stderr \
		--backend "127.0.0.1:$nginx_port" --cert "$work/cert.pem" --key "$work/key.pem"
esac
case " $contenders " in *" pump "*)
	measure_instructions pump http "$work/pump" 127.0.0.1 "$nginx_port"
esac
case " $contenders " in *" tlsfloor "*)
	measure_instructions tlsfloor https "$root/build/bench/tlsfloor" \
		"$work/cert.pem" "$work/key.pem" 127.0.0.1 "$nginx_port"
esac
case " $contenders " in *" socat "*)
	measure_instructions socat http socat STDIO "TCP:127.0.0.1:$nginx_port"
esac
case " $contenders " in *" stunnel "*)
	measure_instructions stunnel https stunnel4 "$work/stunnel-inetd-http.conf"
esac
for c in $contenders; do
	case " ${modes[$c]} " in *" tls "*) measure_negotiated "$c" ;; esac
done
# N TLS clients at the same instant, tlsmux against HAProxy (1 thread).
storm=$work/storm.md
if [ "${BENCH_STORM:-1}" != 0 ]; then
	note "reconnect storm (bench/storm.sh)"
	bench/storm.sh >"$storm" || { note "  storm failed"; : >"$storm"; }
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
versions() {
	printf 'tlsmux %s (%s)' "$(sed -n 's/^VERSION *= *//p' Makefile)" \
		"$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	printf '; GnuTLS %s' "$(pkg-config --modversion gnutls)"
	printf '; HAProxy %s' "$(haproxy -v | awk 'NR == 1 { print $3 }')"
	printf '; stunnel %s' "$(stunnel4 -version 2>&1 | awk '/^stunnel/ { print $2; exit }')"
	printf '; %s' "$(sslh -V 2>&1 | head -n 1)"
	printf '; socat %s' "$(socat -V | awk '/socat version/ { print $3 }')"
	printf '; hitch %s' "$(hitch --version 2>&1 | awk '{ print $2 }')"
	printf '; nginx %s' "$(nginx -v 2>&1 | sed 's|.*/||')"
	printf '; Redis %s' "$(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')"
	printf '; wrk %s' "$(wrk -v 2>&1 | awk 'NR == 1 { print $2 }')"
}
{
	printf 'contenders\t%s\n' "$contenders"
	for c in $contenders; do printf 'label\t%s\t%s\t%s\n' "$c" "${label[$c]}" "${modes[$c]}"; done
	printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf 'machine\t%s cores, %s, kernel %s\n' "$(nproc)" \
		"$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)" "$(uname -r)"
	printf 'load\t%s before, %s after\n' "$load_before" "$load_after"
	printf 'duration\t%s\n' "$((SECONDS - started_at))"
	printf 'settings\tconnrate -c 8 -d %s, best of %s rounds; 1 GiB transfers, best of %s; redis-benchmark, best of %s; rounds interleaved; %s idle connections\n' \
		"$seconds" "$rounds" "$bulk_rounds" "$message_rounds" "$idle_count"
	printf 'versions\t%s\n' "$(versions)"
	printf 'ktls\t%s\n' "$(grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null && echo yes || echo no)"
} >"$work/meta.tsv"
mkdir -p "$out"
python3 bench/report.py "$work/meta.tsv" "$data" "$out"
# A shortened run (BENCH_BULK_ROUNDS=0...) leaves panels empty: no chart then.
if [ -s "$storm" ]; then
	{
		echo "### Reconnect storm (bench/storm.sh: N TLS clients connect at once, one request each)"
		echo
		cat "$storm"
		echo
	} >>"$out/results.md"
fi
gnuplot -e "dir='$out'" bench/chart.gp 2>/dev/null || note "chart not drawn: a panel has no figures"
cp "$data" "$out/data.tsv"
cp "$work/meta.tsv" "$out/meta.tsv"	# report.py META DATA OUT redraws the report
cat "$out/results.md"
note "written: $out/results.md, $out/chart.png, $out/data.tsv"
# systemd's own cost per connection, unit variant by unit variant, in a
# booted Debian 12 root (bench/systemd-cost.sh; one "skipped:" line where
# none can boot).  BENCH_SYSTEMD=0 leaves it out.
if [ "${BENCH_SYSTEMD:-1}" != 0 ]; then
	BENCH_OUT=$out bench/systemd-cost.sh || note "bench/systemd-cost.sh failed"
fi
