#!/usr/bin/env bats
# The Debian package that make deb leaves in build/: its files, modes,
# control fields and maintainer scripts, and lintian's verdict.  Inspects
# the .deb only; never installs it.

load lib/common

setup() {
	T=$BATS_TEST_TMPDIR
	local debs=("$TLSMUX_ROOT"/build/tlsmux_*_amd64.deb)
	DEB=${debs[0]}
	[ -f "$DEB" ] || skip "no build/tlsmux_*_amd64.deb: run make deb first"
	command -v dpkg-deb >/dev/null || skip "dpkg-deb is not installed"
}

# One "mode owner path" line per entry, the leading "." removed.
contents() {
	dpkg-deb -c "$DEB" | awk '{ p = $6; sub(/^\./, "", p); print $1, $2, p }'
}

@test "the package holds every expected path" {
	run contents
	assert_success
	local path
	for path in /usr/sbin/tlsmux /usr/libexec/tlsmux/tlsmux-tls \
		/usr/libexec/tlsmux/certbot-deploy-hook /usr/share/man/man8/tlsmux.8.gz \
		/etc/tlsmux/tlsmux.conf \
		/lib/systemd/system/tlsmux.socket /lib/systemd/system/tlsmux@.service \
		/lib/systemd/system/tlsmux-ticket-key.service \
		/lib/systemd/system/tlsmux-ticket-key.timer \
		/usr/share/doc/tlsmux/copyright /usr/share/doc/tlsmux/changelog.gz \
		/usr/share/doc/tlsmux/examples/inetd.conf \
		/usr/share/doc/tlsmux/examples/xinetd.tlsmux \
		/usr/share/doc/tlsmux/examples/tcpserver.run \
		/usr/share/doc/tlsmux/examples/haproxy.cfg; do
		grep -q " $path\$" <<<"$output" || { echo "missing $path"; return 1; }
	done
	# Nothing in certbot's directory, nothing under /usr/local.
	refute_output --partial /etc/letsencrypt
	refute_output --partial /usr/local
}

@test "modes: root-owned executables, a world-readable config in a 0755 directory" {
	run contents
	assert_line "-rwxr-xr-x root/root /usr/sbin/tlsmux"
	assert_line "-rwxr-xr-x root/root /usr/libexec/tlsmux/tlsmux-tls"
	assert_line "-rwxr-xr-x root/root /usr/libexec/tlsmux/certbot-deploy-hook"
	assert_line "drwxr-xr-x root/root /etc/tlsmux/"
	assert_line "-rw-r--r-- root/root /etc/tlsmux/tlsmux.conf"
}

@test "the one conffile is /etc/tlsmux/tlsmux.conf" {
	run bash -c 'dpkg-deb --ctrl-tarfile "$0" | tar -xO ./conffiles' "$DEB"
	assert_success
	assert_output /etc/tlsmux/tlsmux.conf
}

@test "the control fields declare what is linked in" {
	run dpkg-deb -f "$DEB" Package Version Architecture Built-Using Depends
	assert_success
	assert_line "Package: tlsmux"
	assert_line "Version: $(sed -n 's/^VERSION *= *//p' "$TLSMUX_ROOT/Makefile")"
	assert_line "Architecture: amd64"
	# The static libraries' sources, at the versions linked.
	local source
	for source in gnutls28 nettle gmp libtasn1-6 libidn2 libunistring glibc; do
		assert_line --regexp "^Built-Using: .*\\b$source \\(= [^)]+\\)"
	done
	# Both binaries are static (p11-kit is replaced by a stub that makes
	# PKCS#11 unavailable), so shlibs has no library to name: the one
	# dependency is what creates the system user tlsmux (sysusers.d).
	refute_line --regexp '^Pre-Depends:'
	assert_line "Depends: systemd | systemd-standalone-sysusers | systemd-sysusers"
}

@test "every unit's ExecStart= and the certbot hook name files the package holds" {
	dpkg-deb -x "$DEB" "$T/root"
	local unit exec count=0
	for unit in "$T"/root/lib/systemd/system/*.service; do
		# The commented-out alternatives too: users uncomment them.
		while read -r exec; do
			[ -x "$T/root$exec" ] || { echo "$(basename "$unit"): $exec is not in the package"; return 1; }
			count=$((count + 1))
		done < <(sed -nE 's/^#?ExecStart=[-@:+!]*([^ ]+).*/\1/p' "$unit")
	done
	assert_equal "$count" 3
	exec=$(sed -n 's/^TLSMUX=\${TLSMUX:-\(.*\)}$/\1/p' "$T/root/usr/libexec/tlsmux/certbot-deploy-hook")
	assert_equal "$exec" /usr/sbin/tlsmux
}

@test "the peeker looks for tlsmux-tls where the package puts it" {
	dpkg-deb -x "$DEB" "$T/root"
	run grep -c -a '/usr/libexec/tlsmux' "$T/root/usr/sbin/tlsmux"
	assert_success
	# Static: the peeker loads no library, tlsmux-tls no GnuTLS.
	run readelf -d "$T/root/usr/sbin/tlsmux"
	refute_output --partial NEEDED
	run readelf -d "$T/root/usr/libexec/tlsmux/tlsmux-tls"
	refute_output --partial libgnutls
}

@test "installing enables and starts nothing" {
	run bash -c 'dpkg-deb --ctrl-tarfile "$0" | tar -xO ./postinst' "$DEB"
	assert_success
	refute_output --partial deb-systemd-invoke
	# Each unit is enabled again only if the administrator had enabled it.
	assert_equal "$(grep -c 'deb-systemd-helper enable' <<<"$output")" 2
	assert_equal "$(grep -c 'deb-systemd-helper --quiet was-enabled' <<<"$output")" 2
}

@test "lintian reports no error and no warning" {
	command -v lintian >/dev/null || skip "lintian is not installed (tests/deps.sh deb)"
	run nice lintian --info "$DEB"
	echo "$output"
	run grep -E '^[EW]: ' <<<"$output"
	assert_output ""
}
