#!/usr/bin/env bats
# Certificates and configuration: files read afresh for every connection,
# clear errors for bad files, --check for deploy hooks, and option errors.

bats_require_minimum_version 1.5.0

load lib/common

setup() {
	common_setup
	CA_KEY=$BATS_FILE_TMPDIR/ca.key
}
teardown() { common_teardown; }

utc() { date -u -d "@$1" '+%Y-%m-%d %H:%M:%S UTC'; }

# dated_cert NAME FROM TO: $T/NAME.pem and $T/NAME.key for localhost, signed
# by the test CA, valid from FROM to TO seconds relative to now.
dated_cert() {
	local name=$1 now
	now=$(date +%s)
	NOT_BEFORE=$(utc $((now + $2)))
	NOT_AFTER=$(utc $((now + $3)))
	certtool --generate-privkey --key-type=ecdsa --outfile "$T/$name.key" \
		>/dev/null 2>>"$T/certtool.log"
	cat >"$T/$name.tmpl" <<-EOF
		cn = "$name"
		dns_name = "localhost"
		activation_date = "$NOT_BEFORE"
		expiration_date = "$NOT_AFTER"
	EOF
	certtool --generate-certificate --load-privkey "$T/$name.key" \
		--load-ca-certificate "$CA" --load-ca-privkey "$CA_KEY" \
		--template "$T/$name.tmpl" --outfile "$T/$name.pem" >/dev/null 2>>"$T/certtool.log"
}

# The first half of a PEM file's lines, as a writer caught halfway leaves it.
truncated_copy() { head -n $(($(wc -l <"$1") / 2)) "$1" >"$2"; }

# tlsmux --check with a backend (never contacted) and the given options.
check() { run --separate-stderr "$TLSMUX" --check --backend 127.0.0.1:9 "$@"; }

der_sha256() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }

# The certificate a new TLS connection is served, as subject and fingerprint.
served_cert() {
	timeout 20 openssl s_client -no_ign_eof -CAfile "$CA" -servername localhost \
		-connect "127.0.0.1:$PORT" </dev/null 2>>"$T/openssl.log" |
		openssl x509 -noout -subject -fingerprint -sha256
}

# A TLS connection to a tlsmux that cannot serve TLS: the log's two lines.
assert_tls_refused() {
	local error=$1
	run py_client --tls send:hello shut
	assert_failure 2
	# A clean close, not a reset: the client reads an end of stream.
	assert_output "client: ConnectionError: server closed during the handshake"
	wait_for_summary
	run log_normalized
	assert_output - <<-EOF
		tlsmux: $error
		tlsmux: conn client=127.0.0.1:PORT path=tls backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=handshake exit=78
	EOF
}

@test "certificate replaced while a TLS connection is live: it keeps working, the next connection gets the new one" {
	make_certs "$BATS_FILE_TMPDIR" renewed
	cp "$CERT" "$T/cert.pem"
	cp "$KEY" "$T/key.pem"
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$T/cert.pem" --key "$T/key.pem"

	py_client --tls --report "$T/live.report" --out "$T/live.out" \
		send:'before\n' expect:'before\n' touch:"$T/live" wait:"$T/go" \
		send:'after renewal\n' expect:'after renewal\n' shut 3>&- &
	live=$!
	wait_until 20 test -e "$T/live"

	# Renew the way the manual says: new files, then rename over the old.
	cp "$BATS_FILE_TMPDIR/renewed.key" "$T/.key.new"
	cp "$BATS_FILE_TMPDIR/renewed.pem" "$T/.cert.new"
	mv -f "$T/.key.new" "$T/key.pem"
	mv -f "$T/.cert.new" "$T/cert.pem"

	run served_cert
	assert_success
	assert_output - <<-EOF
		subject=CN = renewed
		$(openssl x509 -in "$BATS_FILE_TMPDIR/renewed.pem" -noout -fingerprint -sha256)
	EOF

	touch "$T/go"
	wait "$live"
	run cat "$T/live.out"
	assert_output "$(printf 'before\nafter renewal')"
	run cat "$T/live.report"
	assert_line "peer_cn=server"
	assert_line "peer_sha256=$(der_sha256 "$CERT")"
	assert_line "server_eof=close_notify"

	wait_for_summary 2
	run log_normalized
	assert_line "tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=21 out=21 duration=D closed=client client_eof=close_notify phase=done exit=0"
}

@test "cert file missing: clear error, exit 78, the client gets a clean close" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$T/missing.pem" --key "$KEY"
	assert_tls_refused "cert $T/missing.pem: cannot read: no such file or directory"
}

@test "cert file half-written: cannot parse, exit 78" {
	truncated_copy "$CERT" "$T/cert.pem"
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$T/cert.pem" --key "$KEY"
	assert_tls_refused "cert $T/cert.pem: cannot parse: Base64 unexpected header error."
}

@test "key file half-written: cannot parse, exit 78" {
	truncated_copy "$KEY" "$T/key.pem"
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$T/key.pem"
	assert_tls_refused "key $T/key.pem: cannot parse: Base64 decoding error."
}

@test "cert and key that do not match: exit 78" {
	make_certs "$BATS_FILE_TMPDIR" other
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" \
		--key "$BATS_FILE_TMPDIR/other.key"
	assert_tls_refused "cert $CERT and key $BATS_FILE_TMPDIR/other.key do not match"
}

@test "bad --priority on a connection: exit 78" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" \
		--priority BOGUS
	assert_tls_refused "--priority: The request is invalid. at 'BOGUS'"
}

@test "key inside the cert file, no --key: TLS works and --check passes" {
	cat "$CERT" "$KEY" >"$T/both.pem"
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$T/both.pem"
	run gnutls_client <<<"one file"
	assert_success
	assert_output "one file"
	wait_for_summary
	run log_normalized
	assert_output "tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=9 out=9 duration=D closed=client client_eof=close_notify phase=done exit=0"
	check --cert "$T/both.pem"
	assert_success
	assert_line "key: matches the certificate"
	assert_line "ok"
}

@test "--check: good files print the facts and ok, exit 0" {
	dated_cert good -86400 $((20 * 86400 + 43200))
	check --cert "$T/good.pem" --key "$T/good.key"
	assert_success
	assert_output - <<-EOF
		backend: 127.0.0.1:9
		subject: CN=good
		issuer: CN=tlsmux-test-ca
		chain: 1 certificate
		key: matches the certificate
		not before: $NOT_BEFORE
		not after: $NOT_AFTER
		days left: 20
		ok
	EOF
	assert_equal "$stderr" ""
}

@test "--check: a cert expiring within 14 days warns but exits 0" {
	dated_cert soon -86400 $((5 * 86400 + 43200))
	check --cert "$T/soon.pem" --key "$T/soon.key"
	assert_success
	assert_line "days left: 5"
	assert_line "ok"
	assert_stderr "tlsmux: check: warning: cert $T/soon.pem expires in 5 days"
}

@test "--check: expired cert, exit 78" {
	dated_cert old -$((30 * 86400)) -$((2 * 86400 + 43200))
	check --cert "$T/old.pem" --key "$T/old.key"
	assert_failure 78
	refute_line "ok"
	assert_stderr "tlsmux: check: cert $T/old.pem expired 2 days ago"
}

@test "--check: cert not valid yet, exit 78" {
	dated_cert early 86400 $((30 * 86400))
	check --cert "$T/early.pem" --key "$T/early.key"
	assert_failure 78
	refute_line "ok"
	assert_stderr "tlsmux: check: cert $T/early.pem is not valid yet"
}

@test "--check: missing, half-written and mismatched files, exit 78 with the reason" {
	check --cert "$T/missing.pem" --key "$KEY"
	assert_failure 78
	assert_stderr "tlsmux: check: cert $T/missing.pem: cannot read: no such file or directory"

	truncated_copy "$CERT" "$T/cert.pem"
	check --cert "$T/cert.pem" --key "$KEY"
	assert_failure 78
	assert_stderr "tlsmux: check: cert $T/cert.pem: cannot parse: Base64 unexpected header error."

	make_certs "$BATS_FILE_TMPDIR" other
	check --cert "$CERT" --key "$BATS_FILE_TMPDIR/other.key"
	assert_failure 78
	assert_stderr "tlsmux: check: cert $CERT and key $BATS_FILE_TMPDIR/other.key do not match"
	refute_line "ok"
}

@test "each kind of key matches its own certificate and no other key of its kind: RSA, RSA-PSS, ECDSA P-256 and P-384, Ed25519" {
	local kind
	for kind in rsa:--key-type=rsa rsa-pss:--key-type=rsa-pss p256:--key-type=ecdsa \
		p384:--key-type=ecdsa,--curve=secp384r1 ed25519:--key-type=ed25519; do
		local name=${kind%%:*} opts
		IFS=, read -r -a opts <<<"${kind#*:}"
		printf 'cn = "%s"\nexpiration_days = 30\n' "$name" >"$T/$name.tmpl"
		for n in 1 2; do
			certtool --generate-privkey "${opts[@]}" --outfile "$T/$name$n.key" \
				>/dev/null 2>>"$T/certtool.log"
		done
		certtool --generate-self-signed --load-privkey "$T/${name}1.key" \
			--template "$T/$name.tmpl" --outfile "$T/$name.pem" >/dev/null 2>>"$T/certtool.log"
		check --cert "$T/$name.pem" --key "$T/${name}1.key"
		assert_success
		assert_line "key: matches the certificate"
		check --cert "$T/$name.pem" --key "$T/${name}2.key"
		assert_failure 78
		assert_stderr "tlsmux: check: cert $T/$name.pem and key $T/${name}2.key do not match"
	done
	# A key of another kind altogether.
	check --cert "$T/rsa.pem" --key "$T/p2561.key"
	assert_failure 78
	assert_stderr "tlsmux: check: cert $T/rsa.pem and key $T/p2561.key do not match"
}

@test "--check: bad --priority, no --backend, no --cert or --cert-dir: exit 78" {
	check --cert "$CERT" --key "$KEY" --priority BOGUS
	assert_failure 78
	assert_stderr "tlsmux: check: --priority: The request is invalid. at 'BOGUS'"

	run --separate-stderr "$TLSMUX" --check --cert "$CERT" --key "$KEY"
	assert_failure 78
	assert_output ""
	assert_stderr "tlsmux: check: no --backend given"

	check --key "$KEY"
	assert_failure 78
	assert_stderr "tlsmux: check: no --cert or --cert-dir given"
}

@test "bad options: exit 64 with one line naming the option" {
	local cases=(
		"--bogus|unknown option --bogus"
		"--connect-timeout soon|--connect-timeout soon: expected a duration such as 2s or 250ms"
		"--idle-timeout=5x|--idle-timeout 5x: expected a duration such as 2s or 250ms"
		"--on-silence maybe|--on-silence maybe: expected plain or close"
		"--log loud|--log loud: expected auto, stderr, syslog or journal"
		"--backend 127.0.0.1|--backend 127.0.0.1: expected host:port"
		"--backend 127.0.0.1:0|--backend 127.0.0.1:0: port must be 1-65535"
		"--backend ::1:80|--backend ::1:80: IPv6 addresses need brackets: [addr]:port"
		"--check=yes|--check takes no value"
		"stray|unexpected argument stray"
		"--cert|--cert needs a value"
	)
	assert_usage_errors --backend 127.0.0.1:9 -- "${cases[@]}"
	run --separate-stderr "$TLSMUX" --cert "$CERT" </dev/null
	assert_failure 64
	assert_stderr "tlsmux: no --backend given"
}

@test "-f config file: its options serve connections; later options override it" {
	start_backend b echo
	cat >"$T/tlsmux.conf" <<-EOF
		# tlsmux test configuration

		backend 127.0.0.1:$b_PORT
		cert=$CERT
		--key $KEY
		detect-timeout = 500ms
	EOF
	start_tlsmux sa -f "$T/tlsmux.conf"
	run plain_client <<<"plain"
	assert_success
	assert_output "plain"
	run gnutls_client <<<"tls"
	assert_success
	assert_output "tls"
	wait_for_summary 2
	run log_normalized
	assert_line "tlsmux: conn client=127.0.0.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=6 out=6 duration=D closed=client client_eof=- phase=done exit=0"
	assert_line "tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=4 out=4 duration=D closed=client client_eof=close_notify phase=done exit=0"

	make_certs "$BATS_FILE_TMPDIR" other
	run --separate-stderr "$TLSMUX" --check -f "$T/tlsmux.conf" \
		--cert "$BATS_FILE_TMPDIR/other.pem" --key "$BATS_FILE_TMPDIR/other.key" \
		--backend "[::1]:9"
	assert_success
	assert_line --index 0 "backend: 127.0.0.1:$b_PORT"
	assert_line --index 1 "backend: [::1]:9"
	assert_line --index 2 "subject: CN=other"
}

@test "-f config file unreadable: exit 66; a bad line in it: exit 64" {
	run --separate-stderr "$TLSMUX" -f "$T/missing.conf" </dev/null
	assert_failure 66
	assert_stderr "tlsmux: config $T/missing.conf: cannot read: no such file or directory"

	printf 'backend 127.0.0.1:9\nbogus 1\n' >"$T/bad.conf"
	run --separate-stderr "$TLSMUX" -f "$T/bad.conf" </dev/null
	assert_failure 64
	assert_stderr "tlsmux: config $T/bad.conf line 2: unknown option --bogus"
}
