#!/usr/bin/env bats
# The socket's limits under a real systemd: a burst beyond any trigger
# limit leaves the port serving, MaxConnections= and
# MaxConnectionsPerSource= refuse the excess cleanly, and the ticket-key
# timer rotates the key that lets clients resume across instances.

load lib

setup_file() {
	system_setup_file
	start_backend echo echo
	configure_tlsmux "127.0.0.1:$echo_PORT"
}
teardown_file() { system_teardown_file; }
teardown() {
	ct rm -rf /etc/systemd/system/tlsmux.socket.d /etc/systemd/system/tlsmux@.service.d \
		/etc/systemd/system/tlsmux-ticket-key.timer.d
	ct systemctl daemon-reload
	dump_system
}

limits() {
	ct mkdir -p /etc/systemd/system/tlsmux.socket.d
	ct_sh "printf '[Socket]\n$1\n' >/etc/systemd/system/tlsmux.socket.d/test.conf"
	ct systemctl daemon-reload
	ct systemctl restart tlsmux.socket
}

@test "a burst of 2,000 connections, faster than any trigger limit, leaves the socket listening" {
	local accepted refused
	accepted=$(ct systemctl show -P NAccepted tlsmux.socket)
	refused=$(ct systemctl show -P NRefused tlsmux.socket)
	# From one address: past MaxConnectionsPerSource= (64) systemd
	# refuses at once, so the 2,000 come far faster than the default
	# trigger limit (200 in 2 s), which counts refused ones too.
	CT_TIMEOUT=120 run ct python3 "$LIB/burst.py" --connect "127.0.0.1:$PORT" \
		--count 2000 --concurrency 600 --deadline 100
	echo "burst: $output" >&3
	assert_success
	assert_output --regexp ' unfinished 0 '
	run ct systemctl show -P ActiveState tlsmux.socket
	assert_output active
	run ct systemctl show -P Result tlsmux.socket
	assert_output success
	accepted=$(($(ct systemctl show -P NAccepted tlsmux.socket) - accepted))
	refused=$(($(ct systemctl show -P NRefused tlsmux.socket) - refused))
	echo "systemd: accepted $accepted, refused $refused" >&3
	[ $((accepted + refused)) -ge 2000 ]
	run plain_client <<<"after the burst"
	assert_output "after the burst"
	wait_until 60 no_instances
}

@test "MaxConnectionsPerSource= and MaxConnections= refuse the excess cleanly, then serve again" {
	limits $'MaxConnections=3\nMaxConnectionsPerSource=2'
	live_client s1
	live_client s2 --tls
	# A third from the same address is closed at once, nothing served.
	run client 'send:third\n' shut eof
	refute_output --partial third
	live_client s3 --bind 127.0.0.2
	# Three in all: a fourth from yet another address is closed too.
	run client --bind 127.0.0.3 'send:fourth\n' shut eof
	refute_output --partial fourth
	run ct systemctl show -P ActiveState tlsmux.socket
	assert_output active
	end_client s1
	end_client s2
	end_client s3
	assert_whole s1
	assert_whole s2
	assert_whole s3
	wait_until 20 no_instances
	run plain_client <<<"served again"
	assert_output "served again"
}

@test "the ticket-key timer rotates the key; clients resume across instances with it" {
	ct mkdir -p /etc/systemd/system/tlsmux@.service.d /etc/systemd/system/tlsmux-ticket-key.timer.d
	# The unit's documented way to pass the ticket key, as a credential.
	ct_sh 'printf "[Service]\nLoadCredential=ticket.key:/etc/tlsmux/ticket.key\nExecStart=\nExecStart=/usr/sbin/tlsmux -f /etc/tlsmux/tlsmux.conf --ticket-key \${CREDENTIALS_DIRECTORY}/ticket.key\n" >/etc/systemd/system/tlsmux@.service.d/ticket.conf'
	# The daily timer, every 2 seconds.
	ct_sh 'printf "[Timer]\nOnCalendar=\nRandomizedDelaySec=0\nAccuracySec=1s\nOnActiveSec=1s\nOnUnitActiveSec=2s\n" >/etc/systemd/system/tlsmux-ticket-key.timer.d/fast.conf'
	ct systemctl daemon-reload
	ct systemctl start tlsmux-ticket-key.timer
	wait_until 20 ct test -s /etc/tlsmux/ticket.key
	run ct stat -c '%a %U:%G %s' /etc/tlsmux/ticket.key
	assert_output --regexp '^600 root:root [0-9]+$'
	local first
	first=$(ct sha256sum /etc/tlsmux/ticket.key)
	wait_until 20 eval '[ "$(ct sha256sum /etc/tlsmux/ticket.key)" != "$first" ]'
	ct systemctl stop tlsmux-ticket-key.timer
	# Two connections, so two instances: the second resumes the first's session.
	CT_TIMEOUT=25 run ct timeout 20 gnutls-cli --resume --x509cafile "$W/ca.pem" \
		--sni-hostname localhost --verify-hostname localhost -p "$PORT" 127.0.0.1 </dev/null
	assert_success
	assert_output --partial "This is a resumed session"
}
