# tests/system/boot.bash: a minimal Debian 12 root, made once with
# mmdebstrap (cached as a tarball in build/system/), unpacked fresh and
# booted with systemd-nspawn -b --private-network; sourced by
# tests/system/run and bench/systemd-cost.sh, so that the suites and the
# benchmark boot the same way.  The caller sets top (the source tree) and
# deb (the package to copy in, or empty), then calls:
#   nspawn_tools   systemd-nspawn unpacked into build/system/tools
#   make_root      the cached tarball, made if missing
#   boot           a fresh root booted; leader is the container's PID 1
#   stop_container its orderly shutdown
# This machine's own init, systemctl and tmpfiles are never touched.
# shellcheck shell=bash
: "${top:?the source tree}"
dir=$top/build/system
mkdir -p "$dir"

# What the root holds besides systemd: the clients the suites drive from
# inside (the container has no network but its own loopback), and what
# the package depends on, so that apt installs it offline.
packages=systemd,systemd-sysv,dbus,libp11-kit0,gnutls-bin,openssl,socat,python3,curl,procps,iproute2,psmisc
key=$(printf '%s\n' bookworm apt "$packages" | sha256sum | cut -c1-16)
tarball=$dir/root-$key.tar
root=$dir/${root_name:-root}
log=$dir/${root_name:+$root_name-}boot.log
machine=tlsmux-${root_name:-check}
export TLSMUX_SYSTEM_ROOT=$root TLSMUX_SYSTEM_LOG=$log

# systemd-nspawn comes unpacked from Debian's systemd-container (and the
# libsystemd-shared of the same version) into build/system/tools, without
# running the package's maintainer scripts, which would run
# systemd-tmpfiles on this machine.
nspawn_tools() {
	tools=$dir/tools
	nspawn=$tools/usr/bin/systemd-nspawn
	[ -x "$nspawn" ] && return 0
	local scratch v package
	scratch=$(mktemp -d) || return 1
	v=$(apt-cache policy systemd-container | awk '/Candidate:/ { print $2 }')
	if [ -z "$v" ] || [ "$v" = "(none)" ]; then
		rm -rf "$scratch"
		return 1
	fi
	(cd "$scratch" && apt-get download -q "systemd-container=$v" \
		"libsystemd-shared=$v" >/dev/null 2>&1) || { rm -rf "$scratch"; return 1; }
	mkdir -p "$tools"
	for package in "$scratch"/*.deb; do dpkg-deb -x "$package" "$tools" || return 1; done
	rm -rf "$scratch"
	[ -x "$nspawn" ]
}

make_root() {
	[ -s "$tarball" ] && return 0
	echo "# making the Debian 12 root (mmdebstrap, cached in $tarball)"
	rm -f "$dir"/root-*.tar
	nice mmdebstrap --quiet --format=tar --variant=apt --include="$packages" bookworm \
		"$tarball.part" >"$dir/mmdebstrap.log" 2>&1 ||
		{ tail -n 20 "$dir/mmdebstrap.log" >&2; rm -f "$tarball.part"; return 1; }
	mv "$tarball.part" "$tarball"
}

leader=
nspawn_pid=
boot() {
	stop_container
	# A container left running on this root (TLSMUX_SYSTEM_KEEP=1) goes first.
	local old
	old=$(pgrep -f -- "systemd-nspawn -D $root " | head -n 1)
	if [ -n "$old" ]; then
		nspawn_pid=$old
		stop_container
		while pgrep -f -- "systemd-nspawn -D $root " >/dev/null; do sleep 0.2; done
	fi
	rm -rf "$root" && mkdir -p "$root" && tar -C "$root" -xf "$tarball" || return 1
	mkdir -p "$root/var/lib/tlsmux-test"
	# mmdebstrap writes no /etc/hosts; a real host has one.
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n' >"$root/etc/hosts"
	if [ -n "${deb:-}" ]; then cp "$deb" "$root/var/lib/tlsmux-test/" || return 1; fi
	# nspawn's own system call filter predates Landlock: without the
	# three calls allowed, the container's processes cannot use it.
	LD_LIBRARY_PATH=$tools/usr/lib/x86_64-linux-gnu/systemd setsid "$nspawn" \
		-D "$root" -b --private-network --register=no --keep-unit \
		-M "$machine" --console=passive \
		--system-call-filter="landlock_create_ruleset landlock_add_rule landlock_restrict_self" \
		--bind-ro="$top/tests/lib:/opt/tlsmux-tests" \
		</dev/null >"$log" 2>&1 &
	nspawn_pid=$!
	# The container's PID 1 is nspawn's only child.
	local deadline=$((SECONDS + 60)) state
	while [ $SECONDS -lt $deadline ]; do
		kill -0 "$nspawn_pid" 2>/dev/null || return 1
		leader=$(pgrep -P "$nspawn_pid" | head -n 1)
		if [ -n "$leader" ]; then
			state=$(timeout 5 nsenter -t "$leader" -a systemctl is-system-running 2>/dev/null)
			case $state in running | degraded) return 0 ;; esac
		fi
		sleep 0.2
	done
	return 1
}

stop_container() {
	[ -n "$nspawn_pid" ] || return 0
	# nspawn turns SIGTERM into an orderly shutdown of the container.
	kill -TERM "$nspawn_pid" 2>/dev/null
	local deadline=$((SECONDS + 30))
	while kill -0 "$nspawn_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
		sleep 0.2
	done
	kill -KILL "$nspawn_pid" 2>/dev/null || true
	wait "$nspawn_pid" 2>/dev/null || true
	nspawn_pid=
}
