#!/bin/bash
# systemd's own cost per connection with tlsmux.socket (Accept=yes): the
# package under a booted Debian 12 root (tests/system/boot.bash, the same
# boot as make check-system), one tlsmux@.service variant after another
# (a unit in /etc/systemd/system, daemon-reload between), each measured
# with bench/connrate (8 clients, one short plain HTTP exchange each) for
# new connections per second, and with cgroup accounting for CPU per
# connection: the instances (system-tlsmux.slice), PID 1 (init.scope,
# what systemd itself spends forking and setting up each instance) and
# journald.  Variants: the shipped unit; the bare unit (same ExecStart=,
# nothing else); the static bench/pump.c as the unit; the old fully
# sandboxed unit ("all"), and the bare unit plus one option group, and
# "all" minus one group, to give each group's share.
#   bench/systemd-cost.sh     (make bench-systemd; bench/run.sh calls it)
# Knobs: SYSTEMD_COST_SECONDS (per run, 3), SYSTEMD_COST_ROUNDS (best of,
# 2), SYSTEMD_COST_ONLY (variants), SYSTEMD_STORM_SIZES (clients per
# reconnect storm under the shipped units, "100 500 1000"; empty: none),
# BENCH_OUT.  Writes $BENCH_OUT/systemd-cost.tsv and systemd-storm.tsv.  Prints one "skipped:" line and exits 0
# when no container can boot here.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
out=${BENCH_OUT:-$top/bench/results}
seconds=${SYSTEMD_COST_SECONDS:-3}
rounds=${SYSTEMD_COST_ROUNDS:-2}
skip() { echo "bench systemd-cost: skipped: $*"; exit 0; }
# shellcheck source=bench/lib.sh
. bench/lib.sh

# Option groups of the old fully sandboxed unit.
declare -A group
group[dynamicuser]='DynamicUser=yes'
group[fixeduser]=$'User=tlsmux\nGroup=tlsmux'
group[credential]='LoadCredential=key.pem:/etc/tlsmux/key.pem'
group[privateusers]='PrivateUsers=yes'
group[mounts]=$'ProtectSystem=strict\nProtectHome=yes\nPrivateTmp=yes\nPrivateDevices=yes\nPrivateMounts=yes'
group[kernel]=$'ProtectKernelTunables=yes\nProtectKernelModules=yes\nProtectKernelLogs=yes\nProtectControlGroups=yes\nProtectProc=invisible\nProcSubset=pid'
group[ipc]=$'PrivateIPC=yes\nRemoveIPC=yes'
group[hostname]='ProtectHostname=yes'
group[clock]='ProtectClock=yes'
group[devicepolicy]='DevicePolicy=closed'
group[caps]=$'NoNewPrivileges=yes\nCapabilityBoundingSet=\nAmbientCapabilities=\nUMask=0077\nKeyringMode=private'
group[restrict]=$'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\nRestrictNamespaces=yes\nRestrictRealtime=yes\nRestrictSUIDSGID=yes\nLockPersonality=yes\nMemoryDenyWriteExecute=yes'
group[syscallfilter]=$'SystemCallArchitectures=native\nSystemCallFilter=@system-service\nSystemCallFilter=~@privileged @resources\nSystemCallErrorNumber=EPERM'
# The shipped unit's short deny list, against the allow list above.
group[denylist]=$'SystemCallArchitectures=native\nSystemCallFilter=~@clock @cpu-emulation @debug @module @mount @obsolete @privileged @raw-io @reboot @resources @swap\nSystemCallFilter=~msgget msgsnd msgrcv msgctl semget semop semtimedop semctl shmget shmat shmdt shmctl mq_open mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr\nSystemCallErrorNumber=EPERM'
old_groups="dynamicuser credential privateusers mounts kernel ipc hostname clock devicepolicy caps restrict syscallfilter"
all_variants="shipped bare pump all"
for g in $old_groups fixeduser denylist; do all_variants+=" bare+$g"; done
for g in $old_groups; do all_variants+=" all-$g"; done
variants=${SYSTEMD_COST_ONLY:-$all_variants}

debs=("$top"/build/tlsmux_*_amd64.deb)
deb=${debs[0]}
[ -f "$deb" ] || skip "no build/tlsmux_*_amd64.deb (make deb)"
[ "$(id -u)" = 0 ] || skip "needs root (systemd-nspawn)"
command -v mmdebstrap >/dev/null || skip "mmdebstrap is not installed"
[ -d /sys/fs/cgroup ] || skip "no /sys/fs/cgroup"
root_name=bench
# shellcheck source=tests/system/boot.bash
. "$top/tests/system/boot.bash"
nspawn_tools || skip "systemd-nspawn could not be unpacked"
make_root >&2 || skip "no Debian 12 root (mmdebstrap failed)"
trap stop_container EXIT
boot || skip "systemd-nspawn -b did not reach a running system (log: $log)"

ct() {
	timeout "${CT_TIMEOUT:-120}" nsenter -t "$leader" -a \
		env -i PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"
}
# Both are Debian 12: the client and the pump built here run in there.
cc -O2 -Wall -o "$root/usr/local/bin/connrate" bench/connrate.c -lssl -lcrypto
cc -O2 -Wall -static -o "$root/usr/local/bin/pump" bench/pump.c
ct apt-get install -y -q "/var/lib/tlsmux-test/${deb##*/}" >/dev/null
ct sh -c 'getent passwd tlsmux >/dev/null || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin tlsmux'
ct sh -c 'cd /etc/tlsmux && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-days 3 -subj /CN=localhost -keyout key.pem -out cert.pem 2>/dev/null && chgrp tlsmux key.pem && chmod 640 key.pem && chmod 644 cert.pem'
# The backend: one fixed HTTP reply per connection.
cat >"$root/usr/local/bin/bench-backend" <<'EOF'
#!/usr/bin/python3
import asyncio
REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
async def serve(r, w):
    try:
        await r.readuntil(b"\r\n\r\n")
        w.write(REPLY)
        await w.drain()
    except Exception:
        pass
    w.close()
async def main():
    s = await asyncio.start_server(serve, "127.0.0.1", 9080, backlog=1024)
    await s.serve_forever()
asyncio.run(main())
EOF
chmod 755 "$root/usr/local/bin/bench-backend"
ct systemd-run --quiet --unit=bench-backend /usr/local/bin/bench-backend
ct sh -c "sed -i '/^backend /d' /etc/tlsmux/tlsmux.conf && echo 'backend 127.0.0.1:9080' >>/etc/tlsmux/tlsmux.conf"
ct cp /lib/systemd/system/tlsmux@.service /root/shipped.service
ct systemctl enable --now tlsmux.socket >/dev/null 2>&1
deadline=$((SECONDS + 20))
until ct sh -c "ss -Hltn 'sport = :9080' | grep -q . && ss -Hltn 'sport = :9018' | grep -q ."; do
	[ $SECONDS -lt $deadline ] || { echo "bench systemd-cost: backend or socket not listening" >&2; exit 1; }
	sleep 0.2
done

unit_head='[Unit]
Description=tlsmux connection %i (bench)
CollectMode=inactive-or-failed
[Service]
StandardInput=socket
StandardOutput=socket
StandardError=journal'
exec_bare='ExecStart=/usr/sbin/tlsmux -f /etc/tlsmux/tlsmux.conf --key /etc/tlsmux/key.pem'
# shellcheck disable=SC2016 # systemd expands it
exec_cred='ExecStart=/usr/sbin/tlsmux -f /etc/tlsmux/tlsmux.conf --key ${CREDENTIALS_DIRECTORY}/key.pem'

# unit_text VARIANT: the unit file for it (empty: the shipped one).
unit_text() {
	local v=$1 groups="" g
	case $v in
	shipped) return 0 ;;
	bare) ;;
	pump) printf '%s\nExecStart=/usr/local/bin/pump 127.0.0.1 9080\n' "$unit_head"; return 0 ;;
	all) groups=$old_groups ;;
	bare+*) groups=${v#bare+} ;;
	all-*) for g in $old_groups; do [ "$g" = "${v#all-}" ] || groups+=" $g"; done ;;
	*) echo "bench systemd-cost: no variant $v" >&2; return 1 ;;
	esac
	printf '%s\n' "$unit_head"
	case " $groups " in
	*" credential "*) printf '%s\n' "$exec_cred" ;;
	*) printf '%s\n' "$exec_bare" ;;
	esac
	for g in $groups; do printf '%s\n' "${group[$g]}"; done
}

use_variant() {
	local text
	text=$(unit_text "$1")
	if [ -z "$text" ]; then
		ct rm -f /etc/systemd/system/tlsmux@.service
	else
		printf '%s\n' "$text" >"$root/etc/systemd/system/tlsmux@.service"
	fi
	ct systemctl daemon-reload
}

# cgroup v2, or its unified hierarchy beside v1 controllers (hybrid).
cgv2=/sys/fs/cgroup
if ct test -e /sys/fs/cgroup/unified/init.scope; then cgv2=/sys/fs/cgroup/unified; fi
cg_usec() { ct cat "$cgv2/$1/cpu.stat" | awk '$1 == "usage_usec" { print $2 }'; }
slice=system.slice/system-tlsmux.slice
# An instance held open keeps the slice (and its counters) alive.
ct systemd-run --quiet --unit=bench-holder python3 -c \
	'import socket, time; s = socket.create_connection(("127.0.0.1", 9018)); time.sleep(3600)'

# measure VARIANT: one connrate run; prints rate, finished, errors, and
# microseconds of CPU per connection: instances, PID 1, journald.
measure() {
	use_variant "$1"
	# One connection first, so that nothing of the reload is counted.
	ct connrate -c 1 -d 0.5 127.0.0.1 9018 / >/dev/null || true
	local t0 p0 j0 t1 p1 j1 line
	t0=$(cg_usec "$slice"); p0=$(cg_usec init.scope); j0=$(cg_usec system.slice/systemd-journald.service)
	line=$(ct connrate -c 8 -d "$seconds" 127.0.0.1 9018 / || true)
	# Instances still ending are counted: wait until only the holder is left.
	local deadline=$((SECONDS + 20))
	while [ "$(ct systemctl list-units --no-legend --plain --state=active,activating 'tlsmux@*' | wc -l)" -gt 1 ] &&
		[ $SECONDS -lt $deadline ]; do sleep 0.1; done
	t1=$(cg_usec "$slice"); p1=$(cg_usec init.scope); j1=$(cg_usec system.slice/systemd-journald.service)
	awk -v l="$line" -v t=$((t1 - t0)) -v p=$((p1 - p0)) -v j=$((j1 - j0)) 'BEGIN {
		n = split(l, f, " "); for (i = 1; i < n; i += 2) v[f[i]] = f[i + 1]
		fin = v["finished"] > 0 ? v["finished"] : 1
		printf "%.0f %d %d %.0f %.0f %.0f\n", v["rate"], v["finished"], v["errors"], t / fin, p / fin, j / fin }'
}

declare -A rate tcpu pcpu jcpu errs
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1; r <= rounds; r++)); do
	for v in $variants; do
		read -r ra fin er tc pc jc < <(measure "$v")
		echo "# round $r $v: $ra conn/s ($fin connections, $er errors), us/conn: tlsmux $tc, PID 1 $pc, journald $jc" >&2
		if [ -z "${rate[$v]:-}" ] || [ "$ra" -gt "${rate[$v]}" ]; then rate[$v]=$ra; fi
		if [ -z "${tcpu[$v]:-}" ] || [ "$tc" -lt "${tcpu[$v]}" ]; then tcpu[$v]=$tc; fi
		if [ -z "${pcpu[$v]:-}" ] || [ "$pc" -lt "${pcpu[$v]}" ]; then pcpu[$v]=$pc; fi
		if [ -z "${jcpu[$v]:-}" ] || [ "$jc" -lt "${jcpu[$v]}" ]; then jcpu[$v]=$jc; fi
		errs[$v]=$((${errs[$v]:-0} + er))
	done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# A reconnect storm under the real systemd and the shipped units: N TLS
# clients connect at the same instant (connrate --once, as bench/storm.sh
# does under systemd-socket-activate), each does its handshake and one
# request; the time until the last is served, the median, the failures.
# Every client here comes from 127.0.0.1, so a drop-in lifts the shipped
# MaxConnectionsPerSource=64, which would refuse all but 64 of them:
# real clients come from many addresses.
declare -A storm
storm_sizes=${SYSTEMD_STORM_SIZES-100 500 1000}
if [ -n "$storm_sizes" ]; then
	use_variant shipped
	mkdir -p "$root/etc/systemd/system/tlsmux.socket.d"
	printf '[Socket]\nMaxConnectionsPerSource=4096\n' \
		>"$root/etc/systemd/system/tlsmux.socket.d/bench-storm.conf"
	ct systemctl daemon-reload
	ct systemctl restart tlsmux.socket
	for n in $storm_sizes; do
		for ((r = 1; r <= rounds; r++)); do
			# The previous storm's instances gone first (the holder stays).
			deadline=$((SECONDS + 60))
			while [ "$(ct systemctl list-units --no-legend --plain --state=active,activating 'tlsmux@*' | wc -l)" -gt 1 ] &&
				[ $SECONDS -lt $deadline ]; do sleep 0.2; done
			line=$(CT_TIMEOUT=200 ct connrate --tls --once -c "$n" -d 120 127.0.0.1 9018 / || true)
			echo "# storm round $r, $n clients: ${line:-connrate failed}" >&2
			storm_keep storm "$n" "${line:-storm $n ok 0 failed $n last_ms 0 median_ms 0}"
		done
	done
	ct rm -f /etc/systemd/system/tlsmux.socket.d/bench-storm.conf
	ct systemctl daemon-reload
fi
storm_load=$(cut -d' ' -f1-3 /proc/loadavg)

mkdir -p "$out"
if [ -n "$storm_sizes" ]; then
	{
		printf '# %s; shipped units under systemd (MaxConnectionsPerSource lifted: one source here); connrate --tls --once, best of %s storms; load %s at the end\n' \
			"$(date -u '+%Y-%m-%d %H:%M UTC')" "$rounds" "$storm_load"
		printf 'clients\tok\tfailed\tlast_ms\tmedian_ms\n'
		for n in $storm_sizes; do
			read -r ok failed last median <<<"${storm[$n]}"
			printf '%s\t%s\t%s\t%s\t%s\n' "$n" "$ok" "$failed" "$last" "$median"
		done
	} >"$out/systemd-storm.tsv"
	column -t -s $'\t' "$out/systemd-storm.tsv"
	echo "written: $out/systemd-storm.tsv" >&2
fi
tsv=$out/systemd-cost.tsv
bare=${rate[bare]:-0}
{
	printf '# %s; %s cores, %s; kernel %s; load %s before, %s after; connrate -c 8 -d %s plain, best of %s rounds\n' \
		"$(date -u '+%Y-%m-%d %H:%M UTC')" "$(nproc)" \
		"$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)" "$(uname -r)" \
		"$load_before" "$load_after" "$seconds" "$rounds"
	printf 'variant\tconn_s\tratio_bare\tinstance_us\tpid1_us\tjournald_us\terrors\n'
	for v in $variants; do
		awk -v v="$v" -v r="${rate[$v]}" -v b="$bare" -v t="${tcpu[$v]}" -v p="${pcpu[$v]}" \
			-v j="${jcpu[$v]}" -v e="${errs[$v]}" \
			'BEGIN { printf "%s\t%d\t%s\t%d\t%d\t%d\t%d\n", v, r, (b > 0 ? sprintf("%.2f", r / b) : "-"), t, p, j, e }'
	done
} >"$tsv"
column -t -s $'\t' "$tsv"
echo "written: $tsv" >&2
