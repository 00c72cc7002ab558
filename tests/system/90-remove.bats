#!/usr/bin/env bats
# Removing and purging the package: the port closes, and after purge no
# unit, no file and no state of it is left.

load lib

teardown() { dump_system; }

@test "apt remove stops the socket and the programs go; the configuration stays" {
	run ct apt-get remove -y tlsmux
	assert_success
	run ct_sh "ss -Hltn 'sport = :$PORT'"
	assert_output ""
	ct test ! -e /usr/sbin/tlsmux
	ct test ! -e /usr/libexec/tlsmux/tlsmux-tls
	ct test -f /etc/tlsmux/tlsmux.conf
}

@test "apt purge leaves no unit, no file and no state behind" {
	run ct apt-get purge -y tlsmux
	assert_success
	run ct dpkg-query -W -f '${Status}' tlsmux
	refute_output --partial installed
	ct systemctl daemon-reload
	run ct systemctl list-unit-files --no-legend 'tlsmux*'
	assert_output ""
	# Everything named tlsmux outside the tests' own folders.
	run ct find / -xdev \( -path /var/lib/tlsmux-test -o -path /opt/tlsmux-tests \
		-o -path /var/log/journal -o -path /proc \) -prune -o -name '*tlsmux*' -print
	assert_output ""
	ct test ! -e /etc/tlsmux
}
