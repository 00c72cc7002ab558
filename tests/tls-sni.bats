#!/usr/bin/env bats
# Certificates by server name (--cert-dir): every layout, case, wildcards,
# the default, --strict-sni, names that are not host names, the cost of a
# lookup (no directory listing), curl, and --check on a directory.

bats_require_minimum_version 1.5.0

load lib/common
load lib/tls

setup_file() {
	export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-90}
}

setup() {
	common_setup
	DIR=$BATS_FILE_TMPDIR/certs
	[ -d "$DIR" ] || make_cert_dir "$DIR"
}
teardown() { common_teardown; }

# One entry of each layout, a wildcard, and a default.
make_cert_dir() {
	local dir=$1 archive=$BATS_FILE_TMPDIR/archive/api.example.org
	mkdir -p "$dir" "$archive" "$dir/api.example.org"
	server_cert "$T/www" www.example.test www.example.test
	cat "$T/www.crt" "$T/www.key" >"$dir/www.example.test.pem"
	server_cert "$dir/fix.example.net" fix.example.net fix.example.net
	# certbot: live/NAME/*.pem are symbolic links into archive/NAME/.
	server_cert "$T/api" api.example.org api.example.org
	cp "$T/api.crt" "$archive/fullchain1.pem"
	cp "$T/api.key" "$archive/privkey1.pem"
	ln -s ../../archive/api.example.org/fullchain1.pem "$dir/api.example.org/fullchain.pem"
	ln -s ../../archive/api.example.org/privkey1.pem "$dir/api.example.org/privkey.pem"
	server_cert "$T/wild" '*.wild.example.test' '*.wild.example.test'
	cat "$T/wild.crt" "$T/wild.key" >"$dir/*.wild.example.test.pem"
	server_cert "$T/default" default-cert
	cat "$T/default.crt" "$T/default.key" >"$dir/_default.pem"
	# Traps: files a lookup must never reach.
	server_cert "$T/trap" trap a..b.example.test
	cat "$T/trap.crt" "$T/trap.key" >"$dir/a..b.example.test.pem"
	cat "$T/trap.crt" "$T/trap.key" >"$dir/Upper.example.test.pem"
	rm -f "$T"/*.crt "$T"/*.key
}

@test "--cert-dir: each layout, any case, wildcards one label deep, the default for the rest" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert-dir "$DIR"
	local cases=(
		"www.example.test|www.example.test|www.example.test"
		"WWW.Example.TEST|www.example.test|www.example.test"
		"www.example.test.|www.example.test|www.example.test"
		"fix.example.net|fix.example.net|fix.example.net"
		"api.example.org|api.example.org|api.example.org"
		"a.wild.example.test|*.wild.example.test|*.wild.example.test"
		"B.Wild.Example.Test|*.wild.example.test|*.wild.example.test"
		"b.a.wild.example.test|default-cert|_default"
		"wild.example.test|default-cert|_default"
		"unknown.example.test|default-cert|_default"
		"|default-cert|_default"
	)
	local c name subject entry n=0 sni
	for c in "${cases[@]}"; do
		IFS='|' read -r name subject entry <<<"$c"
		run tls_client "$name" <<<"hello $n"
		assert_success
		assert_output --partial "hello $n"
		n=$((n + 1))
		wait_for_summary "$n"
		sni=${name:--}
		assert_equal "$(summary_field sni "$n") $(summary_field cert "$n")" "$sni $entry"
		run served_subject "$name"
		assert_output "subject=CN = $subject"
		n=$((n + 1))
		wait_for_summary "$n"
	done
	# Whole lines: the new field comes last, after exit.
	run summary_with "sni=fix.example.net" "in=8"
	assert_output "tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=fix.example.net in=8 out=8 duration=D closed=client client_eof=close_notify phase=done exit=0 cert=fix.example.net"
	run plain_client <<<"plain"
	assert_output "plain"
	wait_for_summary $((n + 1))
	run summary_with "path=plain"
	assert_output "tlsmux: conn client=127.0.0.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=6 out=6 duration=D closed=client client_eof=- phase=done exit=0 cert=-"
}

@test "--cert-dir with --cert: --cert serves the clients without a known name" {
	start_backend b echo
	mkdir "$T/certs"
	cp "$DIR/www.example.test.pem" "$T/certs/"
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert-dir "$T/certs" --cert "$CERT" --key "$KEY"
	run served_subject www.example.test
	assert_output "subject=CN = www.example.test"
	run served_subject unknown.example.test
	assert_output "subject=CN = server"
	run served_subject ""
	assert_output "subject=CN = server"
	# gnutls-cli too, and the log says which entry served.
	run gnutls_client <<<"via --cert"
	assert_success
	assert_output "via --cert"
	wait_for_summary 4
	run summary_field cert 4
	assert_output "_default"
}

@test "--strict-sni: unknown, invalid and missing names are refused with the alert that says why" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert-dir "$DIR" --strict-sni
	run tls_client unknown.example.test <<<"hello"
	assert_failure
	assert_output --partial "unrecognized name"
	assert_output --partial "SSL alert number 112"
	refute_output --partial "hello"
	wait_for_summary 1
	run tls_client "" <<<"hello"
	assert_failure
	assert_output --partial "SSL alert number 40"
	wait_for_summary 2
	run tls_client a..b.example.test <<<"hello"
	assert_failure
	assert_output --partial "SSL alert number 112"
	wait_for_summary 3
	run tls_client a.wild.example.test <<<"known"
	assert_success
	assert_output "known"
	wait_for_summary 4
	local refused="path=tls backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=handshake exit=76 cert=-"
	assert_log_lines \
		"tlsmux: no certificate for server name unknown.example.test: refused (--strict-sni)" \
		"tlsmux: conn client=127.0.0.1:PORT $refused" \
		"tlsmux: client sent no server name: refused (--strict-sni)" \
		"tlsmux: conn client=127.0.0.1:PORT $refused" \
		"tlsmux: client sent an invalid server name a..b.example.test: refused (--strict-sni)" \
		"tlsmux: conn client=127.0.0.1:PORT $refused" \
		"tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=a.wild.example.test in=6 out=6 duration=D closed=client client_eof=close_notify phase=done exit=0 cert=*.wild.example.test"
	# Only the known name reached the backend.
	wait_for_record b
	run grep -c '^conn ' "$T/b.record"
	assert_output 1
}

@test "without a default, a client with an unknown name or none is refused" {
	start_backend b echo
	mkdir "$T/certs"
	cp "$DIR/www.example.test.pem" "$T/certs/"
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert-dir "$T/certs"
	run tls_client unknown.example.test <<<"hello"
	assert_failure
	assert_output --partial "SSL alert number 112"
	wait_for_summary 1
	run tls_client "" <<<"hello"
	assert_failure
	assert_output --partial "SSL alert number 40"
	wait_for_summary 2
	run log_normalized
	assert_line --index 0 "tlsmux: no certificate for server name unknown.example.test and no default: refused"
	assert_line --index 2 "tlsmux: client sent no server name and there is no default certificate: refused"
	run summary_with exit=76 cert=-
	assert_equal "${#lines[@]}" 2
}

@test "a server name that is not a lower-case host name never reaches a file: the default serves it" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert-dir "$DIR"
	# a..b.example.test.pem and Upper.example.test.pem exist, yet:
	run served_subject a..b.example.test
	assert_output "subject=CN = default-cert"
	run served_subject upper.example.test
	assert_output "subject=CN = default-cert"
	# GnuTLS itself refuses some names; the client is told with an alert.
	run tls_client 'x_y.example.test' <<<"hello"
	assert_failure
	assert_output --partial "SSL alert number"
	wait_for_summary 3
	run log_normalized
	assert_line "tlsmux: TLS handshake failed: A disallowed SNI server name has been received."
}

@test "a connection opens only the entries named after its server name, never lists the directory" {
	command -v strace >/dev/null || skip "needs strace"
	start_backend b echo
	PORT=$(free_port)
	# Every process the launcher starts is traced, tlsmux-tls included.
	setsid strace -f -qq -e trace=openat,open,getdents64,getdents -o "$T/strace.out" \
		systemd-socket-activate -l "127.0.0.1:$PORT" --accept \
		"$TLSMUX" --backend "127.0.0.1:$b_PORT" --cert-dir "$DIR" 2>>"$LOG" 3>&- &
	PIDS+=($!)
	wait_until 10 port_listening "$PORT"
	# The worst case: neither the name nor its wildcard exists.
	run tls_client b.a.wild.example.test <<<"hello"
	assert_success
	assert_output "hello"
	wait_for_summary
	run grep -c 'getdents' "$T/strace.out"
	assert_output 0
	# Each file a connection tried under the directory, and what came of it.
	run sed -nE -e "s|^[0-9]+ +open(at)?\\((AT_FDCWD, )?\"$DIR/([^\"]*)\".* = -1 ([A-Z]+) .*|\\3 \\4|p" \
		-e "s|^[0-9]+ +open(at)?\\((AT_FDCWD, )?\"$DIR/([^\"]*)\".* = [0-9]+\$|\\3 opened|p" "$T/strace.out"
	assert_output - <<-EOF
		b.a.wild.example.test.pem ENOENT
		b.a.wild.example.test.crt ENOENT
		b.a.wild.example.test/fullchain.pem ENOENT
		*.a.wild.example.test.pem ENOENT
		*.a.wild.example.test.crt ENOENT
		*.a.wild.example.test/fullchain.pem ENOENT
		_default.pem opened
		_default.ocsp ENOENT
	EOF
}

@test "curl finds its certificate by name and gets the backend's answer" {
	start_backend b http
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert-dir "$DIR"
	run timeout 30 curl -sS --max-time 20 --cacert "$CA" \
		--resolve "fix.example.net:$PORT:127.0.0.1" "https://fix.example.net:$PORT/"
	assert_success
	assert_output "hello from the backend"
	wait_for_summary
	run summary_field cert
	assert_output "fix.example.net"
}

# tlsmux --check with a backend (never contacted) and the given options.
check() { run --separate-stderr "$TLSMUX" --check --backend 127.0.0.1:9 "$@"; }
stderr_lines() { strip_pid <<<"$stderr"; }

@test "--check --cert-dir: one line per entry, warnings for what no connection can use" {
	check --cert-dir "$DIR"
	assert_success
	assert_output - <<-EOF
		backend: 127.0.0.1:9
		entry *.wild.example.test: CN=*.wild.example.test, 1 certificate, 29 days left
		entry _default: CN=default-cert, 1 certificate, 29 days left
		entry api.example.org: CN=api.example.org, 1 certificate, 29 days left
		entry fix.example.net: CN=fix.example.net, 1 certificate, 29 days left
		entry www.example.test: CN=www.example.test, 1 certificate, 29 days left
		cert-dir: $DIR: 5 entries
		ok
	EOF
	run stderr_lines
	assert_output - <<-EOF
		tlsmux: check: warning: cert-dir $DIR: Upper.example.test.pem is not named after a host name, *.parent or _default: no connection uses it
		tlsmux: check: warning: cert-dir $DIR: a..b.example.test.pem is not named after a host name, *.parent or _default: no connection uses it
	EOF
}

@test "--check --cert-dir: a broken entry fails the check, every problem is named" {
	mkdir "$T/certs"
	cp "$DIR/www.example.test.pem" "$T/certs/"
	# A key that is not the certificate's, and a certificate for another name.
	server_cert "$T/certs/fix.example.net" fix.example.net fix.example.net
	server_cert "$T/other" other.example.net other.example.net
	cp "$T/other.key" "$T/certs/fix.example.net.key"
	cat "$T/other.crt" "$T/other.key" >"$T/certs/api.example.org.pem"
	# The same name twice: NAME.pem wins.
	cp "$T/other.crt" "$T/certs/www.example.test.crt"
	cp "$T/other.key" "$T/certs/www.example.test.key"
	check --cert-dir "$T/certs"
	assert_failure 78
	refute_line "ok"
	assert_line "cert-dir: $T/certs: 3 entries"
	run stderr_lines
	assert_output - <<-EOF
		tlsmux: check: warning: cert $T/certs/api.example.org.pem is not valid for api.example.org
		tlsmux: check: cert $T/certs/fix.example.net.crt and key $T/certs/fix.example.net.key do not match
		tlsmux: check: warning: cert-dir $T/certs: www.example.test has more than one certificate: the NAME.pem one is used
		tlsmux: check: warning: cert-dir $T/certs: no _default entry and no --cert: clients without a known server name are refused
	EOF
}

@test "--check --cert-dir: an entry that expires within 14 days warns, one that expired fails" {
	mkdir "$T/certs"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=soon.example.test \
		-keyout "$T/soon.key" -out "$T/soon.csr" 2>/dev/null
	faketime -f -1h openssl x509 -req -in "$T/soon.csr" -CA "$CA" -CAkey "$BATS_FILE_TMPDIR/ca.key" -CAcreateserial \
		-days 5 -out "$T/soon.crt" -extfile <(echo subjectAltName=DNS:soon.example.test) 2>/dev/null
	cat "$T/soon.crt" "$T/soon.key" >"$T/certs/soon.example.test.pem"
	cp "$DIR/_default.pem" "$T/certs/"
	check --cert-dir "$T/certs"
	assert_success
	assert_line "entry soon.example.test: CN=soon.example.test, 1 certificate, 4 days left"
	assert_equal "$(stderr_lines)" "tlsmux: check: warning: cert $T/certs/soon.example.test.pem expires in 4 days"
	# Issued 10 days and an hour ago for 5 days.
	faketime -f -241h openssl x509 -req -in "$T/soon.csr" -CA "$CA" -CAkey "$BATS_FILE_TMPDIR/ca.key" \
		-CAcreateserial -days 5 -out "$T/old.crt" 2>/dev/null
	cat "$T/old.crt" "$T/soon.key" >"$T/certs/soon.example.test.pem"
	check --cert-dir "$T/certs"
	assert_failure 78
	refute_line "ok"
	assert_equal "$(stderr_lines)" "tlsmux: check: cert $T/certs/soon.example.test.pem expired 5 days ago"
}

@test "--strict-sni without --cert-dir: exit 64 on a TLS connection, 78 from --check" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" --strict-sni
	run tls_client localhost <<<"hello"
	assert_failure
	wait_for_summary
	run log_normalized
	assert_line --index 0 "tlsmux: --strict-sni needs --cert-dir"
	assert_line --index 1 --partial "phase=handshake exit=64"
	check --cert "$CERT" --key "$KEY" --strict-sni
	assert_failure 78
	run stderr_lines
	assert_output "tlsmux: check: --strict-sni needs --cert-dir"
}
