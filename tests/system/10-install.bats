#!/usr/bin/env bats
# Installing the package the Debian way: apt inside the booted root, the
# units known to systemd, and no listener until a certificate and a key
# are configured.

load lib

setup() { :; }
teardown() { dump_system; }

@test "apt installs the package from its .deb" {
	run ct apt-get install -y "$TLSMUX_SYSTEM_DEB"
	assert_success
	run ct dpkg-query -W -f '${Status} ${Version}' tlsmux
	assert_output --regexp '^install ok installed '
}

@test "installing starts no listener: the socket waits for a certificate and a key" {
	run ct systemctl is-enabled tlsmux.socket
	assert_output disabled
	run ct systemctl is-active tlsmux.socket
	assert_output inactive
	run ct_sh "ss -Hltn 'sport = :$PORT'"
	assert_output ""
}

@test "the units load from the package's paths and pass systemd-analyze verify" {
	run ct systemctl show -P FragmentPath tlsmux.socket
	assert_output /lib/systemd/system/tlsmux.socket
	run ct systemctl show -P ExecStart tlsmux@x.service
	assert_output --partial "path=/usr/sbin/tlsmux "
	ct test -x /usr/sbin/tlsmux
	ct test -x /usr/libexec/tlsmux/tlsmux-tls
	run ct systemd-analyze verify --man=no tlsmux.socket tlsmux@.service \
		tlsmux-ticket-key.service tlsmux-ticket-key.timer
	assert_success
	assert_output ""
}

@test "systemd-analyze security of tlsmux@.service, recorded in build/system" {
	run ct systemd-analyze security --no-pager tlsmux@x.service
	assert_success
	printf '%s\n' "$output" >"$TLSMUX_ROOT/build/system/security.txt"
	local score
	score=$(sed -nE 's/.*Overall exposure level for tlsmux@x.service: ([0-9.]+).*/\1/p' <<<"$output")
	echo "exposure $score" >&3
	[ -n "$score" ]
	awk -v s="$score" 'BEGIN { exit !(s <= 3.0) }'
}
