#!/usr/bin/env bats
# Client certificates (mutual TLS): who is admitted, and for each refusal
# the alert the client gets and the line the log gets.  Every certificate
# is made here, with openssl and certtool; dates in the past or future
# with faketime.

bats_require_minimum_version 1.5.0

load lib/common
load lib/tls

setup() {
	common_setup
	C=$BATS_FILE_TMPDIR/clients
	[ -d "$C" ] || make_clients "$C"
}
teardown() { common_teardown; }

make_clients() {
	local c=$1
	mkdir -p "$c"
	client_cert "$c/alice" "/CN=alice/O=Example Corp" \
		'extendedKeyUsage=clientAuth\nsubjectAltName=email:alice@example.test,URI:spiffe://example.test/ns/prod/alice'
	client_cert "$c/bob" "/CN=bob" 'extendedKeyUsage=clientAuth\nsubjectAltName=DNS:bob.partners.test'
	client_cert "$c/mallory" "/CN=mallory" \
		'extendedKeyUsage=clientAuth\nsubjectAltName=DNS:mallory.example.test,URI:spiffe://example.test/ns/dev/mallory'
	client_cert "$c/revoked" "/CN=revoked"
	client_cert "$c/serveronly" "/CN=serveronly" 'extendedKeyUsage=serverAuth'
	faketime -f '-40d' bash -c "$(declare -f client_cert); CA=$CA BATS_FILE_TMPDIR=$BATS_FILE_TMPDIR client_cert $c/expired /CN=expired"
	faketime -f '+2d' bash -c "$(declare -f client_cert); CA=$CA BATS_FILE_TMPDIR=$BATS_FILE_TMPDIR client_cert $c/early /CN=early"
	other_ca "$c/other-ca"
	client_cert "$c/stranger" "/CN=stranger" extendedKeyUsage=clientAuth "$c/other-ca"
	# A CRL that revokes "revoked", and one whose next update has passed.
	printf 'crl_next_update = 7\ncrl_number = 1\n' >"$c/crl.tmpl"
	certtool --generate-crl --load-ca-privkey "$BATS_FILE_TMPDIR/ca.key" \
		--load-ca-certificate "$CA" --load-certificate "$c/revoked.pem" \
		--template "$c/crl.tmpl" --outfile "$c/crl.pem" 2>/dev/null
	printf 'crl_next_update = 2\ncrl_number = 2\n' >"$c/stale.tmpl"
	faketime -f '-10d' certtool --generate-crl --load-ca-privkey "$BATS_FILE_TMPDIR/ca.key" \
		--load-ca-certificate "$CA" --load-certificate "$c/revoked.pem" \
		--template "$c/stale.tmpl" --outfile "$c/stale-crl.pem" 2>/dev/null
}

# client NAME [s_client options]: tls_client to "localhost" with NAME's certificate.
client() {
	local name=$1
	shift
	tls_client localhost -cert "$C/$name.pem" -key "$C/$name.key" "$@"
}

start_mtls() {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" \
		--client-ca "$CA" "$@"
}

# Stop this test's servers and start again with an empty log.
fresh() {
	common_teardown || true
	rm -f "$T"/*.port "$T"/*.record
	common_setup
}

REFUSED13="path=tls backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=handshake"

@test "a client certificate from the CA is admitted; its subject is logged, blanks escaped" {
	start_mtls --crl "$C/crl.pem"
	run client alice <<<"hello from alice"
	assert_success
	assert_output "hello from alice"
	wait_for_summary 1
	run log_normalized
	assert_output "tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=17 out=17 duration=D closed=client client_eof=close_notify phase=done exit=0 client_cert=O=Example\\x20Corp,CN=alice"
	# TLS 1.2 and gnutls-cli too.
	run gnutls_client --priority NORMAL:-VERS-ALL:+VERS-TLS1.2 \
		--x509certfile "$C/bob.pem" --x509keyfile "$C/bob.key" <<<"hello from bob"
	assert_success
	assert_output "hello from bob"
	wait_for_summary 2
	run summary_with version=TLS1.2 client_cert=CN=bob exit=0
	assert_equal "${#lines[@]}" 1
}

# refused NAME ALERT-TEXT ALERT-NUMBER ERROR-LINE [tlsmux options]
refused() {
	local name=$1 text=$2 number=$3 error=$4
	shift 4
	start_mtls "$@"
	if [ "$name" = - ]; then
		run tls_client localhost <<<"let me in"
	else
		run client "$name" <<<"let me in"
	fi
	assert_failure
	refute_output --partial "let me in"
	assert_output --partial "$text"
	assert_output --partial "SSL alert number $number"
	wait_for_summary
	assert_log_lines "tlsmux: $error" "tlsmux: conn client=127.0.0.1:PORT $REFUSED13 exit=76 client_cert=-"
	[ ! -e "$T/b.record" ]
}

@test "refused: a certificate from another CA (unknown_ca)" {
	refused stranger "unknown ca" 48 "client certificate CN=stranger: unknown CA"
}

@test "refused: a revoked certificate (certificate_revoked)" {
	refused revoked "certificate revoked" 44 "client certificate CN=revoked: revoked" --crl "$C/crl.pem"
}

@test "refused: an expired certificate, and one not valid yet (certificate_expired)" {
	refused expired "certificate expired" 45 "client certificate CN=expired: expired"
	fresh
	refused early "certificate expired" 45 "client certificate CN=early: not valid yet"
}

@test "refused: a certificate the allow-lists do not name (access_denied)" {
	refused mallory "access denied" 49 \
		"client certificate CN=mallory: not allowed by --allow-cn or --allow-san" \
		--allow-cn alice --allow-cn 'gw-*' --allow-san 'uri:spiffe://example.test/ns/prod/*' \
		--allow-san 'dns:*.partners.test'
}

@test "refused: a certificate for servers only (unsupported_certificate)" {
	refused serveronly "unsupported certificate" 43 \
		"client certificate CN=serveronly: not for TLS client authentication"
}

@test "refused: no certificate with --verify required (certificate_required; handshake_failure in TLS 1.2)" {
	refused - "certificate required" 116 "client sent no certificate: refused (--verify required)"
	fresh
	refused - "handshake failure" 40 "client sent no certificate: refused (--verify required)" \
		--priority NORMAL:-VERS-ALL:+VERS-TLS1.2
}

@test "the allow-lists: CN globs, URI, email and DNS names; a typed pattern matches its type only" {
	start_mtls --allow-cn 'gw-*' --allow-san 'uri:spiffe://example.test/ns/prod/*' \
		--allow-san 'dns:*.partners.test' --allow-san 'email:nobody@example.test'
	run client alice <<<"alice by URI"
	assert_success
	assert_output "alice by URI"
	run client bob <<<"bob by DNS"
	assert_success
	assert_output "bob by DNS"
	run client mallory <<<"mallory"
	assert_failure
	assert_output --partial "SSL alert number 49"
	wait_for_summary 3
	fresh
	# An email pattern, any case; a DNS-typed pattern does not match a URI.
	start_mtls --allow-san 'email:ALICE@example.TEST' --allow-san 'dns:spiffe://*'
	run client alice <<<"alice by email"
	assert_success
	run client mallory <<<"mallory"
	assert_failure
	wait_for_summary 2
	run summary_with exit=0
	assert_output --partial "client_cert=O=Example\\x20Corp,CN=alice"
}

@test "--verify optional: no certificate is served, a bad one is refused" {
	start_mtls --verify optional
	run tls_client localhost <<<"anonymous"
	assert_success
	assert_output "anonymous"
	run client stranger <<<"stranger"
	assert_failure
	assert_output --partial "SSL alert number 48"
	run client alice <<<"alice"
	assert_success
	wait_for_summary 3
	run log_normalized
	assert_line --index 0 "tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=10 out=10 duration=D closed=client client_eof=close_notify phase=done exit=0 client_cert=-"
	assert_line --index 1 "tlsmux: client certificate CN=stranger: unknown CA"
	assert_line --index 3 --partial "exit=0 client_cert=O=Example\\x20Corp,CN=alice"
}

@test "a CRL past its next update refuses everyone, exit 78, and says so" {
	refused_stale() {
		start_mtls --crl "$C/stale-crl.pem"
		run client alice <<<"hello"
		assert_failure
		assert_output --partial "SSL alert number 46"
		wait_for_summary
		assert_log_lines \
			"tlsmux: client certificate O=Example Corp,CN=alice: cannot check revocation: crl $C/stale-crl.pem is out of date" \
			"tlsmux: conn client=127.0.0.1:PORT $REFUSED13 exit=78 client_cert=-"
	}
	refused_stale
}

@test "gnutls-cli is told why too" {
	start_mtls --crl "$C/crl.pem"
	run timeout 20 gnutls-cli --logfile="$T/gnutls.log" --x509cafile "$CA" -p "$PORT" \
		--x509certfile "$C/revoked.pem" --x509keyfile "$C/revoked.key" localhost <<<"hello"
	assert_failure
	run grep -c "Received alert \[44\]" "$T/gnutls.log"
	assert_output 1
}

@test "options that need --client-ca: exit 64 on a connection, 78 from --check" {
	local c args
	for c in "--crl $C/crl.pem|--crl" "--verify required|--verify required" \
		"--verify optional|--verify optional" "--allow-cn x|--allow-cn" "--allow-san x|--allow-san"; do
		read -ra args <<<"${c%%|*}"
		start_backend b echo
		start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" "${args[@]}"
		run tls_client localhost <<<"hello"
		assert_failure
		wait_for_summary
		run log_normalized
		assert_line --index 0 "tlsmux: ${c#*|} needs --client-ca"
		assert_line --index 1 --partial "phase=handshake exit=64"
		fresh
	done
	run --separate-stderr "$TLSMUX" --check --backend 127.0.0.1:9 --cert "$CERT" --key "$KEY" --crl "$C/crl.pem"
	assert_failure 78
	assert_equal "$(strip_pid <<<"$stderr")" "tlsmux: check: --crl needs --client-ca"
	# --verify none with --client-ca: asks for nothing.
	start_mtls --verify none
	run tls_client localhost <<<"no questions"
	assert_success
	assert_output "no questions"
}

check() { run --separate-stderr "$TLSMUX" --check --backend 127.0.0.1:9 --cert "$CERT" --key "$KEY" "$@"; }

@test "--check: the CA and the CRL, a CRL from another CA, a stale CRL" {
	check --client-ca "$CA" --crl "$C/crl.pem"
	assert_success
	assert_line "verify: required"
	assert_line "client-ca: 1 certificate"
	assert_line "crl: 1 revoked"
	assert_line --regexp "^crl next update: [0-9-]+ [0-9:]+ UTC$"
	assert_line "ok"
	assert_equal "$stderr" ""

	check --client-ca "$C/other-ca.pem" --crl "$C/crl.pem"
	assert_failure 78
	refute_line "ok"
	assert_equal "$(strip_pid <<<"$stderr")" "tlsmux: check: crl $C/crl.pem: not signed by a CA in --client-ca $C/other-ca.pem"

	check --client-ca "$CA" --crl "$C/stale-crl.pem"
	assert_failure 78
	assert_equal "$(strip_pid <<<"$stderr")" "tlsmux: check: crl $C/stale-crl.pem: out of date since $(openssl crl -in "$C/stale-crl.pem" -noout -nextupdate | cut -d= -f2 | xargs -I{} date -u -d {} '+%Y-%m-%d %H:%M:%S UTC'): every client certificate is refused"

	check --client-ca "$C/missing.pem"
	assert_failure 78
	assert_equal "$(strip_pid <<<"$stderr")" "tlsmux: check: client-ca $C/missing.pem: cannot read: no such file or directory"
}
