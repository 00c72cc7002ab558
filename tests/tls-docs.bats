#!/usr/bin/env bats
# The production TLS options are documented where people look: --help,
# the man page (options, log fields, journal fields, exit codes), the
# README; the bench scripts pass shellcheck.

load lib/common

setup() { common_setup; }
teardown() { common_teardown; }

OPTIONS="cert-dir strict-sni alpn client-ca verify crl allow-cn allow-san ticket-key
new-ticket-key ocsp min-version"

@test "every production TLS option is in --help, the man page and the README" {
	local help page opt
	help=$("$TLSMUX" --help)
	page=$(MANWIDTH=200 man -l "$TLSMUX_ROOT/man/tlsmux.8" 2>/dev/null)
	for opt in $OPTIONS; do
		grep -q -- "--$opt " <<<"$help" || { echo "--help lacks --$opt"; return 1; }
		grep -q -- "--$opt" <<<"$page" || { echo "man page lacks --$opt"; return 1; }
		grep -q -- "--$opt" "$TLSMUX_ROOT/README.md" || { echo "README lacks --$opt"; return 1; }
	done
}

@test "the man page documents the new log fields, their journal fields, and exit 73" {
	local page field
	page=$(MANWIDTH=200 man -l "$TLSMUX_ROOT/man/tlsmux.8" 2>/dev/null)
	for field in cert alpn resumed client_cert; do
		grep -qE "^ +$field +With --" <<<"$page" || { echo "no field $field"; return 1; }
	done
	for field in TLSMUX_CERT TLSMUX_ALPN TLSMUX_RESUMED TLSMUX_CLIENT_CERT; do
		grep -q "($field)" <<<"$page" || { echo "no journal field $field"; return 1; }
	done
	grep -qE '^ +73 \(EX_CANTCREAT\)' <<<"$page"
	for section in "Certificates by server name" "Client certificates" "Session resumption" \
		"OCSP stapling" "Protocol versions, ciphers and ALPN" "Many certificates" "Mutual TLS"; do
		grep -q "^   $section\$" <<<"$page" || { echo "no section $section"; return 1; }
	done
}

@test "the TLS test helpers pass shellcheck (the bench scripts: units.bats)" {
	# Not SC2016: single quotes keep the embedded scripts for the shell that runs them.
	run shellcheck -s bash -e SC2016,SC2034,SC2154 "$TLSMUX_ROOT/tests/lib/tls.bash"
	assert_success
}
