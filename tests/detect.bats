#!/usr/bin/env bats
# Detection: which path the first bytes choose, what a silent, vanishing,
# truncated or outdated client gets, and that detection consumes nothing.

load lib/common

# A TCP client whose writes are under control.  Sends standard input,
# writes what it receives to standard output.
#   --chunk N --gap S  N bytes per write, S seconds between writes
#                      (default: everything in one write)
#   --read-first N     read N bytes before sending (the server speaks first)
#   --then shut        after sending, half-close and read to the server's EOF
#   --then wait        after sending, keep the sending side open and read to EOF
#   --then close       after sending, close at once without reading
# Exit status: 0 at EOF, 2 when the server did not end within 15 s, 3 on a
# connection reset.
TCP_CLIENT='
import argparse, socket, sys, time
p = argparse.ArgumentParser()
p.add_argument("port", type=int)
p.add_argument("--chunk", type=int, default=0)
p.add_argument("--gap", type=float, default=0.0)
p.add_argument("--read-first", type=int, default=0)
p.add_argument("--then", choices=["shut", "wait", "close"], default="shut")
a = p.parse_args()
data = sys.stdin.buffer.read()
out = sys.stdout.buffer
s = socket.create_connection(("127.0.0.1", a.port), timeout=15)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
try:
    first = b""
    while len(first) < a.read_first:
        chunk = s.recv(a.read_first - len(first))
        if not chunk:
            break
        first += chunk
    out.write(first)
    step = a.chunk or len(data) or 1
    for i in range(0, len(data), step):
        s.sendall(data[i:i + step])
        if a.gap:
            time.sleep(a.gap)
    if a.then == "close":
        s.close()
        sys.exit(0)
    if a.then == "shut":
        s.shutdown(socket.SHUT_WR)
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        out.write(chunk)
except socket.timeout:
    sys.exit(2)
except ConnectionResetError:
    sys.exit(3)
'
tcp_client() { timeout 20 python3 -c "$TCP_CLIENT" "$@"; }

# Catches the first TLS record a client sends, then hangs up.
CAPTURE_HELLO='
import os, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
s.settimeout(15)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
c, _ = s.accept()
c.settimeout(15)
data = b""
while len(data) < 5 or len(data) < 5 + int.from_bytes(data[3:5], "big"):
    chunk = c.recv(65536)
    if not chunk:
        sys.exit("the client hung up before a whole record")
    data += chunk
with open(sys.argv[2], "wb") as f:
    f.write(data[:5 + int.from_bytes(data[3:5], "big")])
'

setup_file() {
	# A real ClientHello, as gnutls-cli sends it.
	HELLO=$BATS_FILE_TMPDIR/client-hello.bin
	local port_file=$BATS_FILE_TMPDIR/capture.port
	python3 -c "$CAPTURE_HELLO" "$port_file" "$HELLO" 3>&- &
	local capture=$!
	wait_until 10 test -s "$port_file"
	timeout 15 gnutls-cli --insecure -p "$(cat "$port_file")" localhost \
		</dev/null >/dev/null 2>&1 || true
	wait "$capture"
	# Handshake record, TLS record version, ClientHello.
	[ "$(xxd -p -l 3 "$HELLO")" = 160301 ] || [ "$(xxd -p -l 3 "$HELLO")" = 160303 ]
	[ "$(xxd -p -s 5 -l 1 "$HELLO")" = 01 ]
	export HELLO
}

setup() { common_setup; }
teardown() { common_teardown; }

# assert_exits STATUS...: the tlsmux processes systemd-socket-activate
# started exited with these statuses, in this order.
assert_exits() {
	wait_until 10 eval '[ "$(grep -c "^Child [0-9]* died with code " "$LOG")" -ge '"$#"' ]'
	run sed -nE 's/^Child [0-9]+ died with code ([0-9]+)$/\1/p' "$LOG"
	assert_output "$(printf '%s\n' "$@")"
}

# The length of a "reply" backend's answer to N bytes: "got N sha256=HEX\n".
reply_length() { printf 'got %s sha256=%064d\n' "$1" 0 | wc -c; }

@test "a FIX logon in one write goes plain at once; the backend gets it from its first byte" {
	start_backend b reply
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" \
		--detect-timeout 5s
	printf '8=FIX.4.4\0019=67\00135=A\00134=1\00149=CLIENT\00152=20261127-09:30:00.000\00156=TLSMUX\00198=0\001108=30\00110=160\001' \
		>"$T/logon"
	local size sum
	size=$(wc -c <"$T/logon")
	sum=$(sha256_of "$T/logon")
	run tcp_client "$PORT" <"$T/logon"
	assert_success
	assert_output "got $size sha256=$sum"
	wait_for_summary
	wait_for_record b
	run cut -d' ' -f3- "$T/b.record"
	assert_output "bytes=$size sha256=$sum first=$(head -c 16 "$T/logon" | xxd -p) end=eof"
	assert_log_lines "tlsmux: conn client=127.0.0.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=$size out=$(reply_length "$size") duration=D closed=client client_eof=- phase=done exit=0"
	assert_exits 0
	# "8" cannot start a TLS record: no wait for the 5 s detection deadline.
	run at_least 1 "$(summary_field duration | tr -d s)"
	assert_success
}

@test "a real ClientHello sent one byte at a time still goes TLS" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	# The whole hello trickles in, then the client ends its side and reads.
	tcp_client "$PORT" --chunk 1 --gap 0.002 <"$HELLO" >"$T/server-said"
	# The server answered with a TLS 1.2-framed handshake record: its ServerHello.
	run xxd -p -l 3 "$T/server-said"
	assert_output 160303
	wait_for_summary
	assert_log_lines \
		"tlsmux: client closed the connection during the TLS handshake" \
		"tlsmux: conn client=127.0.0.1:PORT path=tls backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=client client_eof=- phase=handshake exit=76"
	assert_exits 76
	[ ! -e "$T/b.record" ]
}

@test "plain text sent one byte at a time goes plain and arrives intact" {
	start_backend b reply
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	printf 'EHLO client.example\r\nQUIT\r\n' >"$T/text"
	local size sum
	size=$(wc -c <"$T/text")
	sum=$(sha256_of "$T/text")
	run tcp_client "$PORT" --chunk 1 --gap 0.005 <"$T/text"
	assert_success
	assert_output "got $size sha256=$sum"
	wait_for_summary
	wait_for_record b
	run cut -d' ' -f3- "$T/b.record"
	assert_output "bytes=$size sha256=$sum first=$(head -c 16 "$T/text" | xxd -p) end=eof"
	assert_log_lines "tlsmux: conn client=127.0.0.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=$size out=$(reply_length "$size") duration=D closed=client client_eof=- phase=done exit=0"
	assert_exits 0
}

@test "a TLS-looking prefix that breaks the pattern at byte 6, sent one byte at a time, goes plain intact" {
	start_backend b reply
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	# Handshake record, TLS 1.0, length 5, then a ServerHello type (2), not 1.
	printf '\026\003\001\000\005\002 but plain after all\n' >"$T/prefix"
	local size sum
	size=$(wc -c <"$T/prefix")
	sum=$(sha256_of "$T/prefix")
	run tcp_client "$PORT" --chunk 1 --gap 0.005 <"$T/prefix"
	assert_success
	assert_output "got $size sha256=$sum"
	wait_for_summary
	wait_for_record b
	# The six bytes detection waited on reached the backend first, unchanged.
	run cut -d' ' -f3- "$T/b.record"
	assert_output "bytes=$size sha256=$sum first=$(head -c 16 "$T/prefix" | xxd -p) end=eof"
	assert_log_lines "tlsmux: conn client=127.0.0.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=$size out=$(reply_length "$size") duration=D closed=client client_eof=- phase=done exit=0"
	assert_exits 0
}

@test "a TLS-looking prefix that stalls short of six bytes goes plain after --detect-timeout" {
	start_backend b reply
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" \
		--detect-timeout 300ms
	# Three bytes, a pause longer than --detect-timeout, three more.
	printf '\026\003\001\001\000\001' >"$T/stalled"
	local sum
	sum=$(sha256_of "$T/stalled")
	run tcp_client "$PORT" --chunk 3 --gap 1 <"$T/stalled"
	assert_success
	assert_output "got 6 sha256=$sum"
	wait_for_summary
	wait_for_record b
	run cut -d' ' -f3- "$T/b.record"
	assert_output "bytes=6 sha256=$sum first=160301010001 end=eof"
	assert_log_lines "tlsmux: conn client=127.0.0.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=6 out=$(reply_length 6) duration=D closed=client client_eof=- phase=done exit=0"
	assert_exits 0
}

@test "a TLS-looking prefix cut short by FIN goes plain at once" {
	start_backend b reply
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" \
		--detect-timeout 5s
	printf '\026\003' >"$T/cut"
	run tcp_client "$PORT" --then shut <"$T/cut"
	assert_success
	assert_output "got 2 sha256=$(sha256_of "$T/cut")"
	wait_for_summary
	wait_for_record b
	run cut -d' ' -f5 "$T/b.record"
	assert_output "first=1603"
	assert_log_lines "tlsmux: conn client=127.0.0.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=2 out=$(reply_length 2) duration=D closed=client client_eof=- phase=done exit=0"
	assert_exits 0
	# The FIN decided: no wait for the 5 s detection deadline.
	run at_least 1 "$(summary_field duration | tr -d s)"
	assert_success
}

@test "a silent client with --on-silence close is closed after --detect-timeout" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" \
		--on-silence close --detect-timeout 0.5s
	# The client sends nothing and keeps its side open: tlsmux must end it.
	run tcp_client "$PORT" --then wait </dev/null
	assert_success
	assert_output ""
	wait_for_summary
	assert_log_lines \
		"tlsmux: client silent for 0.500s: closing" \
		"tlsmux: conn client=127.0.0.1:PORT path=none backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=detect exit=75"
	assert_exits 75
	run at_least "$(summary_field duration | tr -d s)" 0.5
	assert_success
	[ ! -e "$T/b.record" ]
}

@test "a silent client with the default --on-silence reaches a backend that speaks first" {
	start_backend b banner
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" \
		--detect-timeout 300ms
	# Wait for the greeting without sending a byte, then answer it.
	run tcp_client "$PORT" --read-first 18 <<<"QUIT"
	assert_success
	assert_output "220 backend ready
QUIT"
	wait_for_summary
	assert_log_lines "tlsmux: conn client=127.0.0.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=5 out=23 duration=D closed=client client_eof=- phase=done exit=0"
	assert_exits 0
	run at_least "$(summary_field duration | tr -d s)" 0.3
	assert_success
}

@test "a client that connects and leaves without a byte ends quietly in detect" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	run tcp_client "$PORT" --then close </dev/null
	assert_success
	wait_for_summary
	# No error line; no connection to the backend (the default --on-silence
	# plain would have made one after 2 s).
	assert_log_lines "tlsmux: conn client=127.0.0.1:PORT path=none backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=client client_eof=- phase=detect exit=0"
	assert_exits 0
	[ ! -e "$T/b.record" ]
}

@test "1 KiB of random bytes goes plain and arrives intact" {
	start_backend b reply
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	{ printf '\132'; head -c 1023 /dev/urandom; } >"$T/garbage"
	local sum
	sum=$(sha256_of "$T/garbage")
	run tcp_client "$PORT" <"$T/garbage"
	assert_success
	assert_output "got 1024 sha256=$sum"
	wait_for_summary
	wait_for_record b
	run cut -d' ' -f3- "$T/b.record"
	assert_output "bytes=1024 sha256=$sum first=$(head -c 16 "$T/garbage" | xxd -p) end=eof"
	assert_log_lines "tlsmux: conn client=127.0.0.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=1024 out=$(reply_length 1024) duration=D closed=client client_eof=- phase=done exit=0"
	assert_exits 0
}

@test "a truncated ClientHello, then FIN: a clean close and exit 76" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	head -c 64 "$HELLO" >"$T/truncated"
	run tcp_client "$PORT" --then shut <"$T/truncated"
	assert_success
	assert_output ""
	wait_for_summary
	assert_log_lines \
		"tlsmux: client closed the connection during the TLS handshake" \
		"tlsmux: conn client=127.0.0.1:PORT path=tls backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=client client_eof=- phase=handshake exit=76"
	assert_exits 76
	[ ! -e "$T/b.record" ]
}

@test "a truncated ClientHello, then silence: the handshake times out, exit 75" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" \
		--handshake-timeout 1s
	head -c 64 "$HELLO" >"$T/truncated"
	run tcp_client "$PORT" --then wait <"$T/truncated"
	assert_success
	assert_output ""
	wait_for_summary
	assert_log_lines \
		"tlsmux: TLS handshake timed out after 1.000s" \
		"tlsmux: conn client=127.0.0.1:PORT path=tls backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=handshake exit=75"
	assert_exits 75
	run at_least "$(summary_field duration | tr -d s)" 1
	assert_success
	run at_least 5 "$(summary_field duration | tr -d s)"
	assert_success
	[ ! -e "$T/b.record" ]
}

@test "an SSLv2 hello is refused and never reaches the backend" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	# 2-byte header (length 46, high bit set), CLIENT-HELLO, version 0x0002,
	# 21 bytes of cipher specs, an empty id, a 16-byte challenge.
	{
		printf '\200\056\001\000\002\000\025\000\000\000\020'
		printf '\001\000\200\002\000\200\003\000\200\004\000\200\005\000\200\006\000\100\007\000\300'
		head -c 16 /dev/urandom
	} >"$T/sslv2"
	[ "$(wc -c <"$T/sslv2")" -eq 48 ]
	# The client keeps its side open: tlsmux must close, cleanly, with no byte.
	run tcp_client "$PORT" --then wait <"$T/sslv2"
	assert_success
	assert_output ""
	wait_for_summary
	assert_log_lines \
		"tlsmux: client sent an SSLv2 hello: refused" \
		"tlsmux: conn client=127.0.0.1:PORT path=sslv2 backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=detect exit=76"
	assert_exits 76
	[ ! -e "$T/b.record" ]
}

@test "a TLS 1.1-only client is refused; a TLS 1.2 client is served" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	local refused="tlsmux: TLS handshake failed: A packet with illegal or unsupported version was received."
	local summary="tlsmux: conn client=127.0.0.1:PORT path=tls backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=handshake exit=76"

	run gnutls_client --priority NORMAL:-VERS-ALL:+VERS-TLS1.1 <<<"old hello"
	assert_failure
	refute_output --partial "old hello"
	wait_for_summary 1

	run openssl_client -tls1_1 <<<"old hello"
	assert_failure
	refute_output --partial "old hello"
	wait_for_summary 2

	run gnutls_client --priority NORMAL:-VERS-ALL:+VERS-TLS1.2 <<<"tls12 hello"
	assert_success
	assert_output "tls12 hello"
	wait_for_summary 3

	assert_log_lines "$refused" "$summary" "$refused" "$summary" \
		"tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.2 cipher=AES-256-GCM sni=localhost in=12 out=12 duration=D closed=client client_eof=close_notify phase=done exit=0"
	assert_exits 76 76 0
	# Only the TLS 1.2 client reached the backend.
	wait_for_record b
	run cut -d' ' -f5 "$T/b.record"
	assert_output "first=$(printf 'tls12 hello\n' | xxd -p)"
}

@test "TLS 1.2 renegotiation is refused with a no_renegotiation alert and logged" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"

	# gnutls-cli asks to renegotiate right after the handshake.
	run timeout 20 gnutls-cli --logfile="$T/gnutls.log" --x509cafile "$CA" -p "$PORT" \
		--priority NORMAL:-VERS-ALL:+VERS-TLS1.2 --rehandshake localhost <<<"hi"
	assert_failure
	run grep -c "Received alert \[100\]: No renegotiation is allowed" "$T/gnutls.log"
	assert_output 1
	wait_for_summary 1

	# openssl s_client renegotiates on an "R" line.
	run openssl_client -tls1_2 <<<"R"
	assert_failure
	run grep -c "RENEGOTIATING" "$T/openssl.log"
	assert_output 1
	run grep -c "no renegotiation" "$T/openssl.log"
	assert_output 1
	wait_for_summary 2

	run grep -c "^tlsmux\[[0-9]*\]: client asked for renegotiation: refused$" "$LOG"
	assert_output 2
	# Both connections were TLS 1.2 and were refused after the handshake.
	run log_normalized
	assert_line --index 0 "tlsmux: client asked for renegotiation: refused"
	assert_equal "$(summary_field version 1) $(summary_field phase 1)" "TLS1.2 pump"
	assert_equal "$(summary_field version 2) $(summary_field phase 2)" "TLS1.2 pump"
}

@test "a connection ended by a renegotiation attempt exits 76 with the TLS reason" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	run timeout 20 gnutls-cli --logfile="$T/gnutls.log" --x509cafile "$CA" -p "$PORT" \
		--priority NORMAL:-VERS-ALL:+VERS-TLS1.2 --rehandshake localhost <<<"hi"
	assert_failure
	wait_for_summary
	# EX_PROTOCOL covers "renegotiation attempts"; EX_IOERR is for I/O errors.
	run log_normalized
	assert_line --index 0 "tlsmux: client asked for renegotiation: refused"
	assert_line --regexp "^tlsmux: conn client=127\.0\.0\.1:PORT path=tls backend=127\.0\.0\.1:$b_PORT version=TLS1\.2 cipher=AES-256-GCM sni=localhost in=0 out=0 duration=D closed=[a-z]+ client_eof=- phase=pump exit=76$"
	# An error line gives GnuTLS's reason, not a bare errno text.
	refute_line "tlsmux: client: protocol error"
	assert_exits 76
}
