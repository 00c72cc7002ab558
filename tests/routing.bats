#!/usr/bin/env bats
# Routing: TLS and plain to different backends, TLS by server name (SNI)
# and by negotiated protocol (ALPN), the first matching --route winning,
# failover inside a route, and --exec for one path only.  Each backend is
# a separate echo server whose record shows which connections it got.

bats_require_minimum_version 1.5.0

load lib/common
load lib/peers

setup_file() {
	# One certificate for every name the tests ask for.
	local d=$BATS_FILE_TMPDIR
	make_certs "$d"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj /CN=routed -keyout "$d/routed.key" -out "$d/routed.csr" 2>/dev/null
	openssl x509 -req -in "$d/routed.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -days 30 -out "$d/routed.pem" 2>/dev/null \
		-extfile <(printf 'subjectAltName=DNS:localhost,DNS:fix.example.com,DNS:*.example.com,DNS:example.org\n')
}

setup() {
	common_setup
	CERT=$BATS_FILE_TMPDIR/routed.pem
	KEY=$BATS_FILE_TMPDIR/routed.key
}
teardown() { common_teardown; }

# tls_as NAME [ALPN] TEXT: a TLS echo of TEXT with server name NAME.
tls_as() {
	local name=$1 alpn=()
	[ $# -eq 3 ] && alpn=(--alpn "$2") && shift
	timeout 40 python3 "$CLIENT_PY" --connect "127.0.0.1:$PORT" --timeout 35 \
		--tls --cafile "$CA" --servername "$name" "${alpn[@]}" \
		--report "$T/report" send:"$2" shut
}

# How many connections backend NAME recorded.
conns() { grep -c '^conn ' "$T/$1.record" 2>/dev/null || true; }

@test "--tls-backend and --plain-backend: each path to its own backend" {
	start_backend t echo
	start_backend p echo
	start_tlsmux sa --tls-backend "127.0.0.1:$t_PORT" --plain-backend "127.0.0.1:$p_PORT" \
		--cert "$CERT" --key "$KEY"
	run tls_as localhost "over tls"
	assert_output "over tls"
	run plain_client <<<"in the clear"
	assert_output "in the clear"
	wait_for_summary 2
	assert_equal "$(summary_field backend 1) $(summary_field backend 2)" \
		"127.0.0.1:$t_PORT 127.0.0.1:$p_PORT"
	assert_equal "$(conns t) $(conns p)" "1 1"
}

@test "--route sni=: by server name, first match wins, globs, any case; others to --tls-backend" {
	start_backend fix echo
	start_backend wild echo
	start_backend other echo
	start_backend p echo
	start_tlsmux sa --route "sni=fix.example.com=127.0.0.1:$fix_PORT" \
		--route "sni=*.example.com=127.0.0.1:$wild_PORT" \
		--tls-backend "127.0.0.1:$other_PORT" --plain-backend "127.0.0.1:$p_PORT" \
		--cert "$CERT" --key "$KEY"
	run tls_as fix.example.com "to fix"
	assert_output "to fix"
	run tls_as FIX.Example.COM "to fix again"
	assert_output "to fix again"
	run tls_as quotes.example.com "to the wildcard"
	assert_output "to the wildcard"
	run tls_as example.org "to the rest"
	assert_output "to the rest"
	run plain_client <<<"plain"
	assert_output "plain"
	wait_for_summary 5
	assert_equal "$(conns fix) $(conns wild) $(conns other) $(conns p)" "2 1 1 1"
	run log_normalized
	assert_line --index 0 --partial "backend=127.0.0.1:$fix_PORT version=TLS1.3 cipher=AES-256-GCM sni=fix.example.com "
	assert_line --index 1 --partial "backend=127.0.0.1:$fix_PORT version=TLS1.3 cipher=AES-256-GCM sni=FIX.Example.COM "
	assert_line --index 2 --partial "backend=127.0.0.1:$wild_PORT version=TLS1.3 cipher=AES-256-GCM sni=quotes.example.com "
	assert_line --index 3 --partial "backend=127.0.0.1:$other_PORT version=TLS1.3 cipher=AES-256-GCM sni=example.org "
	assert_line --index 4 --partial "path=plain backend=127.0.0.1:$p_PORT "
}

@test "--route alpn=: the protocol the route names is the one negotiated (OpenSSL and GnuTLS clients)" {
	start_backend h2 echo
	start_backend h1 echo
	start_backend rest echo
	start_tlsmux sa --route "alpn=h2=127.0.0.1:$h2_PORT" \
		--route "alpn=http/*=127.0.0.1:$h1_PORT" --backend "127.0.0.1:$rest_PORT" \
		--cert "$CERT" --key "$KEY"
	run tls_as localhost h2,http/1.1 "wants h2"
	assert_output "wants h2"
	run grep -x alpn=h2 "$T/report"
	assert_success
	run tls_as localhost http/1.1,h2 "prefers http/1.1"
	# The first route, not the client's first choice, decides: h2.
	assert_output "prefers http/1.1"
	run grep -x alpn=h2 "$T/report"
	assert_success
	run tls_as localhost http/1.0 "http/1.0 only"
	assert_output "http/1.0 only"
	run grep -x alpn=http/1.0 "$T/report"
	assert_success
	run tls_as localhost x-other "unknown protocol"
	assert_output "unknown protocol"
	run grep -x alpn=- "$T/report"
	assert_success
	run tls_as localhost "no alpn"
	assert_output "no alpn"
	# gnutls-cli, another TLS stack, offering http/1.1.
	run gnutls_client --alpn http/1.1 <<<"gnutls"
	assert_output "gnutls"
	wait_for_summary 6
	assert_equal "$(conns h2) $(conns h1) $(conns rest)" "2 2 2"
}

@test "a route with several backends fails over in order; a route all down is not left for another" {
	start_backend b echo
	local down1 down2
	down1=$(free_port)
	down2=$(free_port)
	start_tlsmux sa --route "sni=fix.example.com=127.0.0.1:$down1" \
		--route "sni=fix.example.com=127.0.0.1:$b_PORT" \
		--route "sni=*.example.com=127.0.0.1:$down2" \
		--backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	run tls_as fix.example.com "after failover"
	assert_output "after failover"
	wait_for_summary 1
	run tls_as other.example.com "nowhere"
	assert_failure 2
	wait_for_summary 2
	assert_log_lines \
		"tlsmux: backend failover: 127.0.0.1:$down1: connection refused; using 127.0.0.1:$b_PORT" \
		"tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=fix.example.com in=14 out=14 duration=D closed=client client_eof=close_notify phase=done exit=0" \
		"tlsmux: no backend reachable: 127.0.0.1:$down2: connection refused" \
		"tlsmux: conn client=127.0.0.1:PORT path=tls backend=- version=TLS1.3 cipher=AES-256-GCM sni=other.example.com in=0 out=0 duration=D closed=tlsmux client_eof=- phase=connect exit=69"
}

@test "--exec for plain clients, --tls-backend for TLS ones" {
	start_backend t echo
	printf 'echo "program saw TLS=$TLS"\ncat\n' >"$T/prog.sh"
	start_tlsmux sa --exec "/bin/sh $T/prog.sh" --tls-backend "127.0.0.1:$t_PORT" \
		--cert "$CERT" --key "$KEY"
	run plain_client <<<"plain"
	assert_output "program saw TLS=0
plain"
	run tls_as localhost "tls"
	assert_output "tls"
	wait_for_summary 2
	assert_equal "$(summary_field backend 1) $(summary_field backend 2)" \
		"exec:/bin/sh 127.0.0.1:$t_PORT"
}

@test "routing options that are wrong or incomplete: exit 64 with one line" {
	local cases=(
		"--route sni=a|--route sni=a: expected sni=NAME=ADDR or alpn=PROTOCOL=ADDR"
		"--route host=a=127.0.0.1:1|--route host=a=127.0.0.1:1: expected sni=NAME=ADDR or alpn=PROTOCOL=ADDR"
		"--route sni==127.0.0.1:1|--route sni==127.0.0.1:1: empty pattern"
		"--route sni=a=127.0.0.1|--route sni=a=127.0.0.1: expected host:port"
		"--tls-backend 127.0.0.1:1|no backend for plain connections: give --backend, --plain-backend or --exec"
		"--plain-backend 127.0.0.1:1|no backend for TLS connections: give --backend, --tls-backend or --exec"
		"--route sni=a=127.0.0.1:1 --plain-backend 127.0.0.1:1|no backend for TLS connections: give --backend, --tls-backend or --exec"
		"--alpn h2 --route alpn=acme-tls/1=127.0.0.1:1 --backend 127.0.0.1:2|--route alpn=acme-tls/1=127.0.0.1:1: matches none of --alpn h2"
	)
	assert_usage_errors -- "${cases[@]}"
	# And --check names every destination.
	run --separate-stderr "$TLSMUX" --check --cert "$CERT" --key "$KEY" \
		--route "sni=a.example.com=127.0.0.1:1" --tls-backend 127.0.0.1:2 \
		--exec "/bin/cat -u"
	assert_success
	assert_line "tls backend: 127.0.0.1:2"
	assert_line "route: sni=a.example.com -> 127.0.0.1:1"
	assert_line "exec: /bin/cat -u"
}
