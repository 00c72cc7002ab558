#!/usr/bin/env bats
# Crypto policy and ALPN: protocol versions (each one tried with openssl
# s_client, with a control that proves the client could speak it),
# presets, key share order, ALPN, and the extra log and journal fields.

bats_require_minimum_version 1.5.0

load lib/common
load lib/tls

setup() { common_setup; }
teardown() { common_teardown; }

# Debian's OpenSSL offers TLS 1.0 and 1.1 only at security level 0.
OLD=(-cipher DEFAULT@SECLEVEL=0)

@test "by default TLS 1.0 and 1.1 are refused with a protocol_version alert, TLS 1.2 and 1.3 served" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	local v
	for v in tls1 tls1_1; do
		run tls_client localhost "-$v" "${OLD[@]}" <<<"old $v"
		assert_failure
		assert_output --partial "alert protocol version"
		assert_output --partial "SSL alert number 70"
		refute_output --partial "old $v"
	done
	run tls_client localhost -tls1_2 <<<"tls1.2"
	assert_success
	assert_output "tls1.2"
	run tls_client localhost -tls1_3 <<<"tls1.3"
	assert_success
	assert_output "tls1.3"
	wait_for_summary 4
	local refused="tlsmux: TLS handshake failed: A packet with illegal or unsupported version was received."
	local summary="tlsmux: conn client=127.0.0.1:PORT path=tls backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=handshake exit=76"
	assert_log_lines "$refused" "$summary" "$refused" "$summary" \
		"tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.2 cipher=AES-256-GCM sni=localhost in=7 out=7 duration=D closed=client client_eof=close_notify phase=done exit=0" \
		"tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=7 out=7 duration=D closed=client client_eof=close_notify phase=done exit=0"
}

@test "the same TLS 1.0 and 1.1 clients are served with --min-version tls1.0 --priority compatible: the refusal is tlsmux's" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" \
		--min-version tls1.0 --priority compatible
	run tls_client localhost -tls1 "${OLD[@]}" <<<"old tls1"
	assert_success
	assert_output "old tls1"
	run tls_client localhost -tls1_1 "${OLD[@]}" <<<"old tls1_1"
	assert_success
	assert_output "old tls1_1"
	wait_for_summary 2
	assert_equal "$(summary_field version 1) $(summary_field version 2)" "TLS1.0 TLS1.1"
	assert_equal "$(summary_field cipher 1)" "AES-256-CBC"
}

@test "--min-version tls1.3 refuses TLS 1.2; no --priority brings back what --min-version removes" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" --min-version tls1.3
	run tls_client localhost -tls1_2 <<<"tls1.2"
	assert_failure
	assert_output --partial "SSL alert number 40"
	run tls_client localhost -tls1_3 <<<"tls1.3"
	assert_success
	wait_for_summary 2
	run log_normalized
	assert_line --index 0 "tlsmux: TLS handshake failed: No supported cipher suites have been found."
	assert_line --index 2 --partial "version=TLS1.3"

	common_teardown || true
	rm -f "$T"/*.port
	common_setup
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" \
		--priority "NORMAL:+VERS-TLS1.0:+VERS-TLS1.1"
	run tls_client localhost -tls1 "${OLD[@]}" <<<"old"
	assert_failure
	assert_output --partial "SSL alert number 70"
	run tls_client localhost -tls1_1 "${OLD[@]}" <<<"old"
	assert_failure
	assert_output --partial "SSL alert number 70"
}

@test "presets: strict wants 256-bit ciphers, secure refuses CBC, compatible allows it; a bad string names the spot" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" --priority strict
	run tls_client localhost -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256 <<<"aes128"
	assert_failure
	assert_output --partial "SSL alert number 40"
	run tls_client localhost -tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256 <<<"chacha"
	assert_success
	wait_for_summary 2
	assert_equal "$(summary_field cipher 2)" "CHACHA20-POLY1305"

	common_teardown || true
	rm -f "$T"/*.port
	common_setup
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	run tls_client localhost -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256 <<<"aes128"
	assert_success
	run tls_client localhost -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA <<<"cbc"
	assert_failure
	assert_output --partial "SSL alert number 40"
	wait_for_summary 2
	assert_equal "$(summary_field cipher 1)" "AES-128-GCM"

	common_teardown || true
	rm -f "$T"/*.port
	common_setup
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" --priority compatible
	run tls_client localhost -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA <<<"cbc"
	assert_success
	assert_output "cbc"
	wait_for_summary 1
	assert_equal "$(summary_field cipher 1)" "AES-128-CBC"

	run --separate-stderr "$TLSMUX" --check --backend 127.0.0.1:9 --cert "$CERT" --key "$KEY" \
		--priority "NORMAL:+BOGUS" --min-version tls1.3
	assert_failure 78
	assert_equal "$(strip_pid <<<"$stderr")" "tlsmux: check: --priority: The request is invalid. at '+BOGUS'"
}

@test "an OpenSSL client's X25519 key share is taken: no HelloRetryRequest" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	run bash -c "timeout 20 openssl s_client -msg -CAfile '$CA' -servername localhost \
		-connect 127.0.0.1:$PORT </dev/null 2>/dev/null | grep -c 'ClientHello'"
	assert_output 1
}

@test "--alpn: the protocol negotiated is logged; a client offering only others is refused; one offering none is served" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" --alpn h2,http/1.1
	run tls_client localhost -alpn http/1.1,h2 <<<"both"
	assert_success
	assert_output "both"
	run tls_client localhost -alpn http/1.1 <<<"http"
	assert_success
	run tls_client localhost -alpn h3,spdy/3 <<<"other"
	assert_failure
	assert_output --partial "no application protocol"
	assert_output --partial "SSL alert number 120"
	run tls_client localhost <<<"none"
	assert_success
	assert_output "none"
	wait_for_summary 4
	local tls="path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost"
	assert_log_lines \
		"tlsmux: conn client=127.0.0.1:PORT $tls in=5 out=5 duration=D closed=client client_eof=close_notify phase=done exit=0 alpn=h2" \
		"tlsmux: conn client=127.0.0.1:PORT $tls in=5 out=5 duration=D closed=client client_eof=close_notify phase=done exit=0 alpn=http/1.1" \
		"tlsmux: client offered none of --alpn h2,http/1.1: refused" \
		"tlsmux: conn client=127.0.0.1:PORT path=tls backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=handshake exit=76 alpn=-" \
		"tlsmux: conn client=127.0.0.1:PORT $tls in=5 out=5 duration=D closed=client client_eof=close_notify phase=done exit=0 alpn=-"
}

@test "--alpn with curl: HTTP/1.1 negotiated end to end" {
	start_backend b http
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" --alpn http/1.1
	run timeout 30 curl -sS --max-time 20 --cacert "$CA" -w ' %{http_version}' "https://localhost:$PORT/"
	assert_success
	assert_output $'hello from the backend\n 1.1'
	wait_for_summary
	run summary_field alpn
	assert_output "http/1.1"
	run options_error --alpn 'h2,,x'
	assert_output "--alpn h2,,x: expected up to 8 names of 1 to 31 bytes, separated by commas"
}

options_error() {
	"$TLSMUX" --backend 127.0.0.1:9 "$@" </dev/null 2>&1 >/dev/null | strip_pid | sed 's/^tlsmux: //'
}

@test "the new fields: after exit, on every line of a configuration that sets their options, in the journal too" {
	mkdir "$T/certs"
	cat "$CERT" "$KEY" >"$T/certs/_default.pem"
	"$TLSMUX" --new-ticket-key "$T/ticket.key"
	client_cert "$T/alice" "/CN=alice/O=Example Corp"
	start_backend b echo
	start_tlsmux_journal --backend "127.0.0.1:$b_PORT" --cert-dir "$T/certs" --alpn h2 \
		--ticket-key "$T/ticket.key" --client-ca "$CA" --verify optional
	run tls_client localhost -alpn h2 -cert "$T/alice.pem" -key "$T/alice.key" <<<"tls"
	assert_success
	assert_output "tls"
	run journal_summary 1
	assert_output --regexp "MESSAGE=conn client=127.0.0.1:[0-9]+ path=tls .* phase=done exit=0 cert=_default alpn=h2 resumed=no client_cert=O=Example\\\\x20Corp,CN=alice\|"
	assert_output --regexp "\|TLSMUX_PHASE=done\|TLSMUX_EXIT=0\|TLSMUX_CERT=_default\|TLSMUX_ALPN=h2\|TLSMUX_RESUMED=no\|TLSMUX_CLIENT_CERT=O=Example\\\\x20Corp,CN=alice$"
	run plain_client <<<"plain"
	assert_output "plain"
	run journal_summary 2
	assert_output --regexp "MESSAGE=conn client=127.0.0.1:[0-9]+ path=plain .* phase=done exit=0 cert=- alpn=- resumed=- client_cert=-\|"
	assert_output --regexp "\|TLSMUX_EXIT=0\|TLSMUX_CERT=-\|TLSMUX_ALPN=-\|TLSMUX_RESUMED=-\|TLSMUX_CLIENT_CERT=-$"
}
