#!/usr/bin/env bats
# The deployment files: systemd units, man page, contrib scripts.

load lib/common

setup() { common_setup; }
teardown() { common_teardown; }

# systemd-analyze checks that ExecStart= exists: show it one in a private mount.
with_installed_binary() {
	unshare -m --propagation private bash -c '
		mount -t tmpfs tmpfs /usr/sbin || exit 99
		install -m 755 "$0" /usr/sbin/tlsmux
		exec "$@"' "$TLSMUX" "$@"
}

@test "systemd-analyze verify accepts the socket and service units" {
	run with_installed_binary systemd-analyze verify --man=no \
		"$TLSMUX_ROOT/units/tlsmux.socket" "$TLSMUX_ROOT/units/tlsmux@.service"
	assert_success
	assert_output ""
}

# 3.0: the per-connection namespaces are left to tlsmux's Landlock and
# seccomp, which systemd-analyze cannot see (README, "What systemd costs").
@test "systemd-analyze security rates the service 3.0 or lower" {
	run systemd-analyze security --offline=yes --no-pager "$TLSMUX_ROOT/units/tlsmux@.service"
	exposure=$(grep -o 'Overall exposure level for [^:]*: [0-9.]*' <<<"$output" | awk '{print $NF}')
	echo "exposure: $exposure"
	[ -n "$exposure" ]
	awk -v e="$exposure" 'BEGIN { exit !(e <= 3.0) }'
}

@test "the socket unit accepts per connection and limits connections" {
	run grep -E '^(Accept=yes|MaxConnections=[0-9]+|MaxConnectionsPerSource=[0-9]+)$' \
		"$TLSMUX_ROOT/units/tlsmux.socket"
	assert_equal "${#lines[@]}" 3
}

@test "the man page is valid mdoc and documents every option and exit code" {
	run mandoc -T lint -W warning "$TLSMUX_ROOT/man/tlsmux.8"
	assert_success
	assert_output ""
	page=$(MANWIDTH=200 man -l "$TLSMUX_ROOT/man/tlsmux.8" 2>/dev/null)
	for opt in backend cert key priority detect-timeout on-silence handshake-timeout \
		connect-timeout idle-timeout log check help version tls-backend plain-backend \
		route exec send-proxy proxy-tlv accept-proxy proxy-from cert-dir strict-sni alpn \
		client-ca verify crl allow-cn allow-san ticket-key new-ticket-key ocsp min-version user; do
		grep -q -- "--$opt" <<<"$page" || { echo "missing --$opt"; return 1; }
	done
	for code in 64 66 69 71 73 74 75 76 77 78; do
		grep -qw "$code" <<<"$page" || { echo "missing exit code $code"; return 1; }
	done
	for field in client path backend version cipher sni in out duration closed client_eof phase exit \
		cert alpn resumed client_cert via unique_id program; do
		grep -q "$field" <<<"$page" || { echo "missing log field $field"; return 1; }
	done
}

@test "every option in --help is in the man page" {
	help_opts=$("$TLSMUX" --help | grep -oE -- '--[a-z-]+' | sort -u)
	man_opts=$(MANWIDTH=200 man -l "$TLSMUX_ROOT/man/tlsmux.8" 2>/dev/null |
		grep -oE -- '--[a-z][a-z-]+' | sort -u)
	run comm -23 <(echo "$help_opts") <(echo "$man_opts")
	assert_output ""
}

@test "the shell scripts in contrib, tests and bench pass shellcheck" {
	run shellcheck -s sh "$TLSMUX_ROOT/contrib/certbot-deploy-hook" \
		"$TLSMUX_ROOT/contrib/tcpserver.run" "$TLSMUX_ROOT/tests/deps.sh" \
		"$TLSMUX_ROOT/tests/function-length.sh" "$TLSMUX_ROOT/tests/lib/renew-loop.sh" \
		"$TLSMUX_ROOT/debian/tlsmux.prerm" "$TLSMUX_ROOT/debian/tlsmux.postrm"
	assert_success
	# From the top of the tree, where the bench scripts' "source=bench/lib.sh" points.
	cd "$TLSMUX_ROOT"
	run shellcheck -x contrib/demo.sh tests/run bench/lib.sh bench/run.sh bench/conncost.sh \
		bench/testssl.sh bench/sni-cost.sh bench/resume-cost.sh bench/sandboxcost.sh \
		bench/storm.sh bench/proccost.sh bench/systemd-cost.sh tests/system/run tests/system/boot.bash
	assert_success
	run shellcheck -s bash tests/lib/shared.bash tests/system/lib.bash
	assert_success
}

@test "--version and --help answer on stdout and exit 0" {
	run "$TLSMUX" --version
	assert_success
	assert_output --regexp '^tlsmux [0-9]+\.[0-9]+\.[0-9]+$'
	run "$TLSMUX" --help
	assert_success
	assert_line --partial "--backend ADDR"
}

@test "the certbot deploy hook installs a good renewal and refuses a bad one" {
	mkdir -p "$T/etc" "$T/live/example"
	printf 'backend 127.0.0.1:9\ncert %s\nkey %s\n' "$T/etc/cert.pem" "$T/etc/key.pem" >"$T/etc/tlsmux.conf"
	make_certs "$T" old
	make_certs "$T" new
	cp "$T/old.pem" "$T/etc/cert.pem"
	cp "$T/old.key" "$T/etc/key.pem"
	export TLSMUX="$TLSMUX" TLSMUX_CONF="$T/etc/tlsmux.conf" \
		TLSMUX_CERT="$T/etc/cert.pem" TLSMUX_KEY="$T/etc/key.pem" RENEWED_LINEAGE="$T/live/example"
	hook=$TLSMUX_ROOT/contrib/certbot-deploy-hook

	# A mismatched pair is refused and the old files stay.
	cp "$T/new.pem" "$T/live/example/fullchain.pem"
	cp "$T/old.key" "$T/live/example/privkey.pem"
	run "$hook"
	assert_failure
	assert_output --partial "do not match"
	cmp "$T/etc/cert.pem" "$T/old.pem"
	cmp "$T/etc/key.pem" "$T/old.key"

	# A good pair is installed, the key private: with TLSMUX_KEY_GROUP
	# set empty, root's alone.
	cp "$T/new.key" "$T/live/example/privkey.pem"
	TLSMUX_KEY_GROUP='' run "$hook"
	assert_success
	cmp "$T/etc/cert.pem" "$T/new.pem"
	cmp "$T/etc/key.pem" "$T/new.key"
	assert_equal "$(stat -c '%a %U:%G' "$T/etc/key.pem" "$T/etc/cert.pem" | tr '\n' ' ')" \
		"600 root:root 644 root:root "
	run ls -A "$T/etc"
	assert_output $'cert.pem\nkey.pem\ntlsmux.conf'

	# With a group, the key is the group's to read, no one else's.
	cp "$T/old.pem" "$T/live/example/fullchain.pem"
	cp "$T/old.key" "$T/live/example/privkey.pem"
	TLSMUX_KEY_GROUP=daemon run "$hook"
	assert_success
	cmp "$T/etc/key.pem" "$T/old.key"
	assert_equal "$(stat -c '%a %U:%G' "$T/etc/key.pem")" "640 root:daemon"
}

@test "no function in src/ is longer than 100 lines" {
	run "$TLSMUX_ROOT/tests/function-length.sh" "$TLSMUX_ROOT"/src/*.c
	assert_success
	assert_output ""
}
