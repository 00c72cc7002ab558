#!/usr/bin/env bats
# What must never cut a live session: a renewed certificate put in place
# by the shipped certbot hook, a restart of tlsmux.socket, and package
# upgrades (the same version again, and a newer one).

load lib

setup_file() {
	system_setup_file
	start_backend echo echo
	configure_tlsmux "127.0.0.1:$echo_PORT"
}
teardown_file() {
	ct rm -rf /etc/letsencrypt
	system_teardown_file
}
teardown() { dump_system; }

# served_cn: the subject CN a new TLS connection is served.
served_cn() {
	client --tls --report "$W/cn.report" 'send:x\n' 'expect:x' shut >/dev/null &&
		report_field cn.report peer_cn
}

# renew CERT KEY: certbot's renewal of a lineage to these files of $W, then
# the shipped deploy hook, as certbot runs it.
renew() {
	ct mkdir -p /etc/letsencrypt/live/example.org
	ct cp "$W/$1" /etc/letsencrypt/live/example.org/fullchain.pem
	ct cp "$W/$2" /etc/letsencrypt/live/example.org/privkey.pem
	ct env RENEWED_LINEAGE=/etc/letsencrypt/live/example.org \
		/usr/libexec/tlsmux/certbot-deploy-hook
}

@test "the certbot deploy hook: the renewed pair serves the next connection, a session opened before keeps flowing" {
	assert_equal "$(served_cn)" server
	live_client before --tls
	live_client before-plain
	make_pair renewed
	run renew renewed.pem renewed.key
	assert_success
	assert_output --partial "installed /etc/tlsmux/cert.pem and /etc/tlsmux/key.pem"
	run ct stat -c '%a %U:%G' /etc/tlsmux/key.pem /etc/tlsmux/cert.pem
	assert_output $'640 root:tlsmux\n644 root:root'
	assert_equal "$(served_cn)" renewed
	end_client before
	end_client before-plain
	assert_whole before
	assert_whole before-plain
}

@test "the hook refuses a key that does not match and leaves the served pair alone" {
	make_pair stray
	run renew server.pem stray.key
	assert_failure
	assert_output --partial "left unchanged"
	assert_equal "$(served_cn)" renewed
}

@test "systemctl restart tlsmux.socket: live sessions go on, new ones are served" {
	live_client r-tls --tls
	live_client r-plain
	ct systemctl restart tlsmux.socket
	run plain_client <<<"after restart"
	assert_output "after restart"
	end_client r-tls
	end_client r-plain
	assert_whole r-tls
	assert_whole r-plain
}

@test "package upgrades, the same version again and a newer one: live sessions go on, settings stay" {
	# A newer version: the same package with its version raised.
	local bumped=/var/lib/tlsmux-test/tlsmux_9.9.9_amd64.deb
	rm -rf "$HW/unpacked"
	dpkg-deb -R "$ROOT$TLSMUX_SYSTEM_DEB" "$HW/unpacked"
	sed -i 's/^Version: .*/Version: 9.9.9/' "$HW/unpacked/DEBIAN/control"
	dpkg-deb -b "$HW/unpacked" "$ROOT$bumped" >/dev/null
	live_client u-tls --tls
	live_client u-plain
	run ct apt-get install -y --reinstall "$TLSMUX_SYSTEM_DEB"
	assert_success
	run ct apt-get install -y "$bumped"
	assert_success
	run ct dpkg-query -W -f '${Version}' tlsmux
	assert_output 9.9.9
	run ct systemctl is-active tlsmux.socket
	assert_output active
	# The edited conffile was kept.
	run ct grep -c "^backend 127.0.0.1:$echo_PORT\$" /etc/tlsmux/tlsmux.conf
	assert_output 1
	run plain_client <<<"after upgrade"
	assert_output "after upgrade"
	end_client u-tls
	end_client u-plain
	assert_whole u-tls
	assert_whole u-plain
	# Back to the version under test for the suites after this one.
	run ct apt-get install -y --allow-downgrades "$TLSMUX_SYSTEM_DEB"
	assert_success
}
