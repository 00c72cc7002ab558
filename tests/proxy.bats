#!/usr/bin/env bats
# PROXY protocol, both ways, with real peers: nginx and HAProxy read the
# header tlsmux sends (--send-proxy), HAProxy sends the header tlsmux
# takes (--accept-proxy), and a parser written apart from tlsmux's (in
# tests/lib/backend.py) reads every TLV.  Clients use other loopback
# addresses (127.0.0.7 ...) so that a relayed address is told from the
# proxy's own 127.0.0.1.

bats_require_minimum_version 1.5.0

load lib/common
load lib/peers

setup() { common_setup; }
teardown() { common_teardown; }

# curl through tlsmux on $PORT from SOURCE; TLS when the scheme is https.
curl_via() {
	local scheme=$1 source=$2
	timeout 20 curl -sS --max-time 15 --interface "$source" --cacert "$CA" \
		--resolve "localhost:$PORT:127.0.0.1" "$scheme://localhost:$PORT/"
}

@test "--send-proxy v1: nginx sees each client's own address, plain and TLS" {
	start_nginx
	start_tlsmux sa --backend "127.0.0.1:$NGINX_PORT" --send-proxy v1 \
		--cert "$CERT" --key "$KEY"
	run curl_via http 127.0.0.7
	assert_success
	wait_for_summary 1
	assert_output "client=$(summary_field client 1)"
	assert_output --regexp '^client=127\.0\.0\.7:[0-9]+$'
	run curl_via https 127.0.0.8
	assert_success
	wait_for_summary 2
	assert_output "client=$(summary_field client 2)"
	assert_output --regexp '^client=127\.0\.0\.8:[0-9]+$'

	# nginx's own view: header source, header destination, TCP peer.
	wait_until 10 eval '[ "$(wc -l <"$NGINX_LOG")" -ge 2 ]'
	run cat "$NGINX_LOG"
	assert_line --index 0 "127.0.0.7 $(summary_field client 1 | cut -d: -f2) 127.0.0.1 $PORT 127.0.0.1"
	assert_line --index 1 "127.0.0.8 $(summary_field client 2 | cut -d: -f2) 127.0.0.1 $PORT 127.0.0.1"
	assert_equal "$(summary_field path 1) $(summary_field path 2)" "plain tls"
	assert_equal "$(summary_field exit 1) $(summary_field exit 2)" "0 0"
}

@test "--send-proxy v2 from an IPv6 socket: an IPv4-mapped client goes out as TCP4" {
	start_nginx
	PORT=$(free_port)
	# A v6 socket bound to a v4-mapped address: peers appear as ::ffff:127.0.0.x.
	setsid systemd-socket-activate -l "[::ffff:127.0.0.1]:$PORT" --accept \
		"$TLSMUX" --backend "127.0.0.1:$NGINX_PORT" --send-proxy v2 \
		--cert "$CERT" --key "$KEY" 2>>"$LOG" 3>&- &
	PIDS+=($!)
	wait_until 10 port_listening "$PORT"
	run curl_via http 127.0.0.9
	assert_success
	assert_output --regexp '^client=127\.0\.0\.9:[0-9]+$'
	run curl_via https 127.0.0.9
	assert_success
	assert_output --regexp '^client=127\.0\.0\.9:[0-9]+$'
	wait_until 10 eval '[ "$(wc -l <"$NGINX_LOG")" -ge 2 ]'
	run cut -d' ' -f1,3,4 "$NGINX_LOG"
	assert_output "127.0.0.9 127.0.0.1 $PORT
127.0.0.9 127.0.0.1 $PORT"
	wait_for_summary 2
	run log_normalized_any
	assert_line --partial "conn client=127.0.0.9:PORT path=plain"
	assert_line --partial "conn client=127.0.0.9:PORT path=tls"
}

@test "--send-proxy v2 --proxy-tlv unique-id,crc32c: every TLV as sent, SSL client=0 on the plain path" {
	start_backend b echo --proxy
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --send-proxy v2 \
		--proxy-tlv unique-id,crc32c --route "alpn=h2=127.0.0.1:$b_PORT" \
		--cert "$CERT" --key "$KEY"
	run py_client --tls --alpn h2,http/1.1 --bind 127.0.0.10 \
		--report "$T/tls.report" send:"over tls" shut
	assert_success
	assert_output "over tls"
	run grep -x alpn=h2 "$T/tls.report"
	assert_success
	run py_client --bind 127.0.0.11 send:"in the clear" shut
	assert_success
	assert_output "in the clear"
	wait_for_summary 2
	wait_for_record b 2

	local tls_client plain_client tls_id plain_id
	tls_client=$(summary_field client 1)
	plain_client=$(summary_field client 2)
	tls_id=$(summary_field unique_id 1)
	plain_id=$(summary_field unique_id 2)
	assert_regex "$tls_id" '^[0-9a-f]{32}$'
	assert_regex "$plain_id" '^[0-9a-f]{32}$'
	[ "$tls_id" != "$plain_id" ]
	run grep '^proxy ' "$T/b.record"
	assert_line --index 0 "proxy 1 v=2 cmd=proxy fam=tcp4 src=$tls_client dst=127.0.0.1:$PORT alpn=h2 authority=localhost unique_id=$tls_id ssl_client=1 ssl_verify=1 ssl_version=TLSv1.3 ssl_cipher=TLS_AES_256_GCM_SHA384 ssl_sig_alg=ECDSA-SHA256 ssl_key_alg=EC256 crc32c=ok"
	assert_line --index 1 "proxy 2 v=2 cmd=proxy fam=tcp4 src=$plain_client dst=127.0.0.1:$PORT unique_id=$plain_id ssl_client=0 ssl_verify=1 crc32c=ok"
	# The payload follows the header untouched.
	run grep '^conn ' "$T/b.record"
	assert_line --index 0 --partial "bytes=8 "
	assert_line --index 0 --partial "first=$(printf 'over tls' | xxd -p)"
	assert_line --index 1 --partial "first=$(printf 'in the clear' | xxd -p)"
}

@test "HAProxy behind tlsmux reads our v2 header: checks the CRC32C, logs AUTHORITY and UNIQUE_ID" {
	start_backend b echo
	start_haproxy hp "
frontend fe
    bind 127.0.0.1:@PORT_fe@ accept-proxy
    log-format \"pp rcvd=%[fc_rcvd_proxy] src=%[src]:%[src_port] dst=%[dst]:%[dst_port] authority=%[fc_pp_authority] unique_id=%[fc_pp_unique_id] bytes=%B\"
    default_backend be
backend be
    server echo 127.0.0.1:$b_PORT"
	start_tlsmux sa --backend "127.0.0.1:$HAPROXY_PORT_fe" --send-proxy v2 \
		--proxy-tlv unique-id,crc32c --cert "$CERT" --key "$KEY"
	run py_client --tls --bind 127.0.0.12 send:"through haproxy" shut
	assert_success
	assert_output "through haproxy"
	run py_client --bind 127.0.0.13 send:"plain through haproxy" shut
	assert_success
	assert_output "plain through haproxy"
	wait_for_summary 2
	wait_until 10 eval '[ "$(grep -c "^pp " "$T/hp.log")" -ge 2 ]'
	run grep '^pp ' "$T/hp.log"
	assert_line "pp rcvd=1 src=$(summary_field client 1) dst=127.0.0.1:$PORT authority=localhost unique_id=$(summary_field unique_id 1) bytes=15"
	assert_line "pp rcvd=1 src=$(summary_field client 2) dst=127.0.0.1:$PORT authority=- unique_id=$(summary_field unique_id 2) bytes=21"

	# HAProxy does check the CRC: a header with a wrong one is refused.
	proxy_v2_header "$T/good.hdr"
	proxy_v2_header "$T/bad.hdr" crc=bad
	{ cat "$T/good.hdr"; printf 'good crc\n'; } >"$T/good.req"
	{ cat "$T/bad.hdr"; printf 'bad crc\n'; } >"$T/bad.req"
	run timeout 10 socat -t 5 - "TCP:127.0.0.1:$HAPROXY_PORT_fe" <"$T/good.req"
	assert_output "good crc"
	run timeout 10 socat -t 5 - "TCP:127.0.0.1:$HAPROXY_PORT_fe" <"$T/bad.req"
	assert_output ""
}

@test "HAProxy in front (send-proxy and send-proxy-v2): the client's address reaches tlsmux's log and the backend" {
	start_backend b echo --proxy
	start_tlsmux sa --accept-proxy --proxy-from 127.0.0.1 \
		--backend "127.0.0.1:$b_PORT" --send-proxy v2 --cert "$CERT" --key "$KEY"
	start_haproxy hp "
frontend fe1
    bind 127.0.0.1:@PORT_v1@
    default_backend mux1
frontend fe2
    bind 127.0.0.1:@PORT_v2@
    unique-id-format lb-%ci-%cp
    default_backend mux2
backend mux1
    server m 127.0.0.1:$PORT send-proxy
backend mux2
    server m 127.0.0.1:$PORT send-proxy-v2 proxy-v2-options crc32c,unique-id,authority"

	local client="timeout 40 python3 $CLIENT_PY --timeout 35 --cafile $CA --servername localhost"
	run $client --connect "127.0.0.1:$HAPROXY_PORT_v1" --bind 127.0.0.21 send:"v1 plain" shut
	assert_output "v1 plain"
	run $client --connect "127.0.0.1:$HAPROXY_PORT_v1" --bind 127.0.0.22 --tls send:"v1 tls" shut
	assert_output "v1 tls"
	run $client --connect "127.0.0.1:$HAPROXY_PORT_v2" --bind 127.0.0.23 send:"v2 plain" shut
	assert_output "v2 plain"
	run $client --connect "127.0.0.1:$HAPROXY_PORT_v2" --bind 127.0.0.24 --tls send:"v2 tls" shut
	assert_output "v2 tls"
	wait_for_summary 4
	wait_for_record b 4

	run log_normalized_any
	assert_output - <<-EOF
		tlsmux: conn client=127.0.0.21:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=8 out=8 duration=D closed=client client_eof=- phase=done exit=0 via=127.0.0.1:PORT
		tlsmux: conn client=127.0.0.22:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=6 out=6 duration=D closed=client client_eof=close_notify phase=done exit=0 via=127.0.0.1:PORT
		tlsmux: conn client=127.0.0.23:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=8 out=8 duration=D closed=client client_eof=- phase=done exit=0 via=127.0.0.1:PORT
		tlsmux: conn client=127.0.0.24:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=6 out=6 duration=D closed=client client_eof=close_notify phase=done exit=0 via=127.0.0.1:PORT
	EOF
	# The header tlsmux sends on names the same client, and HAProxy's
	# listening address as the destination.
	run grep '^proxy ' "$T/b.record"
	assert_line --index 0 --partial "src=$(summary_field client 1) dst=127.0.0.1:$HAPROXY_PORT_v1 ssl_client=0"
	assert_line --index 1 --partial "src=$(summary_field client 2) dst=127.0.0.1:$HAPROXY_PORT_v1 authority=localhost ssl_client=1"
	assert_line --index 2 --partial "src=$(summary_field client 3) dst=127.0.0.1:$HAPROXY_PORT_v2 ssl_client=0"
	assert_line --index 3 --partial "src=$(summary_field client 4) dst=127.0.0.1:$HAPROXY_PORT_v2 authority=localhost ssl_client=1"
	# Not one byte of HAProxy's header reached the backend as payload.
	run grep '^conn ' "$T/b.record"
	assert_line --index 0 --partial "first=$(printf 'v1 plain' | xxd -p)"
	assert_line --index 2 --partial "first=$(printf 'v2 plain' | xxd -p)"
}

@test "a header from an address not in --proxy-from: closed unread, exit 77" {
	start_backend b echo
	start_tlsmux sa --accept-proxy --proxy-from 10.0.0.0/8,::1 \
		--backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	proxy_v2_header "$T/hdr"
	{ cat "$T/hdr"; printf 'hello\n'; } >"$T/req"
	run timeout 10 socat -t 5 - "TCP:127.0.0.1:$PORT" <"$T/req"
	assert_output ""
	wait_for_summary
	assert_log_lines_any \
		"tlsmux: client 127.0.0.1:PORT: not in --proxy-from, no PROXY header taken from it" \
		"tlsmux: conn client=127.0.0.1:PORT path=none backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=proxy exit=77"
	[ ! -s "$T/b.record" ]
}

@test "no header, a bad CRC32C, a header cut short: closed with one line each, exit 76" {
	start_backend b echo
	start_tlsmux sa --accept-proxy --proxy-from 127.0.0.0/8 \
		--backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	proxy_v2_header "$T/bad.hdr" crc=bad
	{ cat "$T/bad.hdr"; printf 'hello\n'; } >"$T/bad.req"
	head -c 20 "$T/bad.hdr" >"$T/cut.req"
	printf 'hello\n' | timeout 10 socat -t 5 - "TCP:127.0.0.1:$PORT" >"$T/out1"
	wait_for_summary 1
	timeout 10 socat -t 5 - "TCP:127.0.0.1:$PORT" <"$T/bad.req" >"$T/out2"
	wait_for_summary 2
	timeout 10 socat -t 5 - "TCP:127.0.0.1:$PORT" <"$T/cut.req" >"$T/out3"
	wait_for_summary 3
	[ ! -s "$T/out1" ] && [ ! -s "$T/out2" ] && [ ! -s "$T/out3" ]
	assert_log_lines_any \
		"tlsmux: PROXY header from 127.0.0.1:PORT: no PROXY header" \
		"tlsmux: conn client=127.0.0.1:PORT path=none backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=proxy exit=76" \
		"tlsmux: PROXY header from 127.0.0.1:PORT: v2 CRC32C mismatch" \
		"tlsmux: conn client=127.0.0.1:PORT path=none backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=proxy exit=76" \
		"tlsmux: PROXY header from 127.0.0.1:PORT: cut short, closed after 20 bytes" \
		"tlsmux: conn client=127.0.0.1:PORT path=none backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=proxy exit=76"
	[ ! -s "$T/b.record" ]
}

@test "a header that stalls: closed after --detect-timeout, exit 75" {
	start_backend b echo
	start_tlsmux sa --accept-proxy --proxy-from 127.0.0.1 --detect-timeout 0.5s \
		--backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	# Nine bytes of a v1 line, then silence with the connection open.
	{ printf 'PROXY TCP'; sleep 1.5; } | timeout 10 socat -t 5 - "TCP:127.0.0.1:$PORT" >"$T/out"
	wait_for_summary
	[ ! -s "$T/out" ]
	assert_log_lines_any \
		"tlsmux: PROXY header from 127.0.0.1:PORT: none within 0.500s (9 bytes came)" \
		"tlsmux: conn client=127.0.0.1:PORT path=none backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=proxy exit=75"
	run at_least "$(summary_field duration | tr -d s)" 0.5
	assert_success
}

# Sends FILE's bytes to tlsmux one at a time, 20 ms apart, then CHASER in
# the same write as the last header byte; prints what comes back.
TRICKLE='
import socket, sys, time
header = open(sys.argv[2], "rb").read()
chaser = sys.argv[3].encode()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for b in header[:-1]:
    s.sendall(bytes([b]))
    time.sleep(0.02)
s.sendall(header[-1:] + chaser)
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode())
'

@test "a header trickled byte by byte, the payload glued to its last byte: exactly the header is taken (v1 and v2)" {
	start_backend b echo --proxy
	start_tlsmux sa --accept-proxy --proxy-from 127.0.0.1 --send-proxy v1 \
		--backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	printf 'PROXY TCP4 127.0.0.44 127.0.0.1 4444 443\r\n' >"$T/v1.hdr"
	proxy_v2_header "$T/v2.hdr"
	run timeout 20 python3 -c "$TRICKLE" "$PORT" "$T/v1.hdr" "after v1"
	assert_output "after v1"
	run timeout 20 python3 -c "$TRICKLE" "$PORT" "$T/v2.hdr" "after v2"
	assert_output "after v2"
	# A TLS client behind a header sent in the same segment as its hello.
	run timeout 40 python3 "$CLIENT_PY" --connect "127.0.0.1:$PORT" --timeout 35 \
		--tls --cafile "$CA" --servername localhost --preface "$T/v2.hdr" \
		send:"tls after v2" shut
	assert_output "tls after v2"
	wait_for_summary 3
	wait_for_record b 3
	run log_normalized_any
	assert_line --index 0 --partial "conn client=127.0.0.44:PORT path=plain"
	assert_line --index 1 --partial "conn client=127.0.0.33:PORT path=plain"
	assert_line --index 2 --partial "conn client=127.0.0.33:PORT path=tls"
	run grep '^proxy ' "$T/b.record"
	assert_output "proxy 1 v=1 proto=TCP4 src=127.0.0.44:4444 dst=127.0.0.1:443
proxy 2 v=1 proto=TCP4 src=127.0.0.33:4000 dst=127.0.0.1:443
proxy 3 v=1 proto=TCP4 src=127.0.0.33:4000 dst=127.0.0.1:443"
	run grep -c ' first=616674657220763[12] ' "$T/b.record"
	assert_output 2
}

@test "a LOCAL header (a health check) and a bare connect: the socket's own address, exit 0, no error line" {
	start_backend b echo
	start_tlsmux sa --accept-proxy --proxy-from 127.0.0.1 \
		--backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	proxy_v2_header "$T/local.hdr" local
	{ cat "$T/local.hdr"; printf 'checked\n'; } >"$T/req"
	run timeout 10 socat -t 5 - "TCP:127.0.0.1:$PORT" <"$T/req"
	assert_output "checked"
	wait_for_summary 1
	timeout 10 socat -t 5 - "TCP:127.0.0.1:$PORT" </dev/null
	wait_for_summary 2
	assert_log_lines_any \
		"tlsmux: conn client=127.0.0.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=8 out=8 duration=D closed=client client_eof=- phase=done exit=0" \
		"tlsmux: conn client=127.0.0.1:PORT path=none backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=client client_eof=- phase=proxy exit=0"
}

@test "PROXY options that do not fit together: exit 64 with one line" {
	local cases=(
		"--accept-proxy|--accept-proxy needs --proxy-from: the sources trusted to send the header"
		"--proxy-from 127.0.0.1|--proxy-from without --accept-proxy"
		"--accept-proxy --proxy-from 10.0.0.1/8|--proxy-from 10.0.0.1/8: 10.0.0.1/8: address has bits set beyond the prefix"
		"--accept-proxy --proxy-from 127.0.0.1,,::1|--proxy-from 127.0.0.1,,::1: empty item"
		"--send-proxy v3|--send-proxy v3: expected v1, v2 or none"
		"--proxy-tlv crc32c|--proxy-tlv needs --send-proxy v2"
		"--send-proxy v1 --proxy-tlv crc32c|--proxy-tlv needs --send-proxy v2"
		"--send-proxy v2 --proxy-tlv crc32c,alpn|--proxy-tlv crc32c,alpn: alpn: expected unique-id, crc32c or none"
	)
	assert_usage_errors --backend 127.0.0.1:9 -- "${cases[@]}"
}

@test "tlsmux-tls started directly by the launcher takes the header too" {
	start_backend b echo
	PORT=$(free_port)
	setsid systemd-socket-activate -l "127.0.0.1:$PORT" --accept \
		"$TLSMUX_ROOT/tlsmux-tls" --accept-proxy --proxy-from 127.0.0.1 \
		--backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" 2>>"$LOG" 3>&- &
	PIDS+=($!)
	wait_until 10 port_listening "$PORT"
	proxy_v2_header "$T/v2.hdr"
	run py_client --tls --preface "$T/v2.hdr" send:"direct helper" shut
	assert_success
	assert_output "direct helper"
	wait_for_summary
	assert_log_lines_any "tlsmux: conn client=127.0.0.33:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=13 out=13 duration=D closed=client client_eof=close_notify phase=done exit=0 via=127.0.0.1:PORT"
}
