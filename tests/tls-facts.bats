#!/usr/bin/env bats
# What backends learn of a TLS session when the production TLS options
# meet the PROXY protocol, routing and program backends: a verified client
# certificate in the PROXY v2 SSL TLV (read by the parser in
# tests/lib/backend.py, written apart from tlsmux's) and in a program's
# environment; --alpn with --route alpn= rules; and a key chosen by server
# name, whose text is wiped like --key's.

bats_require_minimum_version 1.5.0

load lib/common
load lib/tls

setup() {
	common_setup
	ALICE=$BATS_FILE_TMPDIR/alice
	[ -f "$ALICE.pem" ] || client_cert "$ALICE" "/CN=alice/O=Example Corp"
}
teardown() { common_teardown; }

# alice [s_client options]: tls_client to "localhost" with alice's certificate.
alice() { tls_client localhost -cert "$ALICE.pem" -key "$ALICE.key" "$@"; }

@test "--send-proxy v2 with --client-ca: the CN, CERT_CONN and CERT_SESS, verify=0; CERT_SESS alone when resumed" {
	"$TLSMUX" --new-ticket-key "$T/ticket.key"
	start_backend b echo --proxy
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --send-proxy v2 --proxy-tlv unique-id \
		--cert "$CERT" --key "$KEY" --client-ca "$CA" --verify optional \
		--ticket-key "$T/ticket.key"
	run alice -sess_out "$T/session.pem" <<<"from alice"
	assert_success
	assert_output "from alice"
	run tls_client localhost -sess_in "$T/session.pem" <<<"alice resumed"
	assert_success
	assert_output "alice resumed"
	run tls_client localhost <<<"no certificate"
	assert_success
	assert_output "no certificate"
	wait_for_summary 3
	wait_for_record b 3

	local i src=() id=()
	for i in 1 2 3; do
		src+=("$(summary_field client "$i")")
		id+=("$(summary_field unique_id "$i")")
	done
	local head="v=2 cmd=proxy fam=tcp4" ours="ssl_sig_alg=ECDSA-SHA256 ssl_key_alg=EC256"
	run grep '^proxy ' "$T/b.record"
	# 7 = SSL | CERT_CONN | CERT_SESS; a resumed session sends no certificate of ours.
	assert_line --index 0 "proxy 1 $head src=${src[0]} dst=127.0.0.1:$PORT authority=localhost unique_id=${id[0]} ssl_client=7 ssl_verify=0 ssl_version=TLSv1.3 ssl_cn=alice ssl_cipher=TLS_AES_256_GCM_SHA384 $ours"
	assert_line --index 1 "proxy 2 $head src=${src[1]} dst=127.0.0.1:$PORT authority=localhost unique_id=${id[1]} ssl_client=5 ssl_verify=0 ssl_version=TLSv1.3 ssl_cn=alice ssl_cipher=TLS_AES_256_GCM_SHA384"
	assert_line --index 2 "proxy 3 $head src=${src[2]} dst=127.0.0.1:$PORT authority=localhost unique_id=${id[2]} ssl_client=1 ssl_verify=1 ssl_version=TLSv1.3 ssl_cipher=TLS_AES_256_GCM_SHA384 $ours"

	# The summary's fields: those the options ask for, then unique_id.
	local done="closed=client client_eof=close_notify phase=done exit=0"
	local conn="tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost"
	assert_log_lines \
		"$conn in=11 out=11 duration=D $done resumed=no client_cert=O=Example\\x20Corp,CN=alice unique_id=${id[0]}" \
		"$conn in=14 out=14 duration=D $done resumed=yes client_cert=O=Example\\x20Corp,CN=alice unique_id=${id[1]}" \
		"$conn in=15 out=15 duration=D $done resumed=no client_cert=- unique_id=${id[2]}"
}

@test "--send-proxy v1 with --client-ca: the client's address only, as v1 carries no TLV" {
	start_backend b echo --proxy
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --send-proxy v1 \
		--cert "$CERT" --key "$KEY" --client-ca "$CA"
	run alice <<<"from alice"
	assert_success
	assert_output "from alice"
	wait_for_summary 1
	wait_for_record b 1
	run grep '^proxy ' "$T/b.record"
	assert_output "proxy 1 v=1 proto=TCP4 src=$(summary_field client) dst=127.0.0.1:$PORT"
	assert_equal "$(summary_field client_cert)" "O=Example\x20Corp,CN=alice"
}

@test "--exec with --client-ca: the program learns the verified certificate's subject and CN" {
	printf 'env | grep ^SSL_PEER_ | sort\nexec cat\n' >"$T/peer.sh"
	start_tlsmux sa --exec "/bin/sh $T/peer.sh" --cert "$CERT" --key "$KEY" \
		--client-ca "$CA" --verify optional
	run alice <<<"hello"
	assert_success
	assert_output "SSL_PEER_CERT_CN=alice
SSL_PEER_CERT_SUBJECT=O=Example Corp,CN=alice
hello"
	# Without a certificate, neither variable.
	run tls_client localhost <<<"anonymous"
	assert_success
	assert_output "anonymous"
	wait_for_summary 2
	assert_equal "$(summary_field client_cert 1) $(summary_field client_cert 2)" \
		"O=Example\\x20Corp,CN=alice -"
	assert_equal "$(summary_field program 1) $(summary_field program 2)" "exit:0 exit:0"
}

@test "--alpn with --route alpn=: --alpn's list is offered, the route goes by what was negotiated" {
	start_backend h2 echo
	start_backend rest echo
	start_tlsmux sa --alpn h2,http/1.1 --route "alpn=h2=127.0.0.1:$h2_PORT" \
		--backend "127.0.0.1:$rest_PORT" --cert "$CERT" --key "$KEY"
	# Our order of preference, not the client's.
	run py_client --tls --alpn http/1.1,h2 --report "$T/r1" send:"prefers http/1.1" shut
	assert_output "prefers http/1.1"
	run py_client --tls --alpn http/1.1 --report "$T/r2" send:"http/1.1 only" shut
	assert_output "http/1.1 only"
	run py_client --tls send:"no alpn" shut
	assert_output "no alpn"
	run py_client --tls --alpn x-other send:"unknown protocol" shut
	assert_failure
	wait_for_summary 4
	assert_equal "$(sed -n 's/^alpn=//p' "$T/r1" "$T/r2")" "h2
http/1.1"
	local i got=()
	for i in 1 2 3 4; do
		got+=("$(summary_field backend "$i")/$(summary_field alpn "$i")/$(summary_field exit "$i")")
	done
	assert_equal "${got[*]}" \
		"127.0.0.1:$h2_PORT/h2/0 127.0.0.1:$rest_PORT/http/1.1/0 127.0.0.1:$rest_PORT/-/0 -/-/76"
	run grep -c . "$T/h2.record" "$T/rest.record"
	assert_output "$T/h2.record:1
$T/rest.record:2"
	run grep -F "client offered none of --alpn h2,http/1.1: refused" "$LOG"
	assert_success
}

@test "--route alpn= alone: its protocol is offered, and the one negotiated is logged" {
	start_backend h2 echo
	start_backend rest echo
	start_tlsmux sa --route "alpn=h2=127.0.0.1:$h2_PORT" --backend "127.0.0.1:$rest_PORT" \
		--cert "$CERT" --key "$KEY"
	run py_client --tls --alpn http/1.1,h2 send:"h2 by the route" shut
	assert_output "h2 by the route"
	run py_client --tls --alpn http/1.1 send:"served without a protocol" shut
	assert_output "served without a protocol"
	wait_for_summary 2
	assert_equal "$(summary_field alpn 1) $(summary_field alpn 2)" "h2 -"
	assert_equal "$(summary_field backend 1) $(summary_field backend 2)" \
		"127.0.0.1:$h2_PORT 127.0.0.1:$rest_PORT"
}

@test "--cert-dir: a key chosen by server name is decoded by tlsmux and its text wiped, in either layout" {
	mkdir "$T/certs"
	# NAME.crt + NAME.key, and NAME.pem holding chain and key.
	server_cert "$T/certs/split.example.test" split.example.test split.example.test
	server_cert "$T/one" one.example.test one.example.test
	cat "$T/one.crt" "$T/one.key" >"$T/certs/one.example.test.pem"
	# Holds the connection open until told, so that tlsmux-tls can be looked at.
	printf 'echo $PPID >"$1/program.ppid"\nwhile [ ! -e "$1/go" ]; do sleep 0.02; done\nexec cat\n' \
		>"$T/hold.sh"
	start_tlsmux sa --cert-dir "$T/certs" --exec "/bin/sh $T/hold.sh $T"
	local name helper client key cert
	for name in split one; do
		rm -f "$T/program.ppid" "$T/go"
		py_client --tls --servername "$name.example.test" --out "$T/$name.out" \
			send:"to $name" shut &
		client=$!
		wait_until 20 test -s "$T/program.ppid"
		helper=$(cat "$T/program.ppid")
		assert_equal "$(cat "/proc/$helper/comm")" "tlsmux-tls"
		if [ "$name" = split ]; then
			key=$T/certs/split.example.test.key cert=$T/certs/split.example.test.crt
		else
			key=$T/certs/one.example.test.pem cert=$key
		fi
		run python3 "$TLSMUX_ROOT/tests/lib/keyscan.py" "$helper" "$key" "$cert"
		assert_output "key body in memory: no
key path in memory: yes"
		touch "$T/go"
		wait "$client"
		assert_equal "$(cat "$T/$name.out")" "to $name"
	done
	wait_for_summary 2
	assert_equal "$(summary_field cert 1) $(summary_field cert 2)" \
		"split.example.test one.example.test"
}
