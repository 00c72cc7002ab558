#!/usr/bin/env bats
# What keeps a connection cheap, checked without timing anything: no
# extra round trip in the handshake, GnuTLS only on the TLS path.
# (The figures themselves come from make bench.)

bats_require_minimum_version 1.5.0

load lib/common

setup() { common_setup; }
teardown() { common_teardown; }

# The handshake messages the server sent to openssl s_client -msg.
server_hellos() {
	timeout 20 openssl s_client -msg -CAfile "$CA" -servername localhost \
		-connect "127.0.0.1:$PORT" "$@" </dev/null 2>>"$T/openssl.log" |
		grep -E '^<<< TLS 1.3, Handshake \[length [0-9a-f]+\], ServerHello|^Server Temp Key'
}

@test "a client with an X25519 key share, as OpenSSL sends by default, gets no HelloRetryRequest" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"

	# One ServerHello: a HelloRetryRequest would be a second one.
	run server_hellos
	assert_success
	assert_equal "$(grep -c ServerHello <<<"$output")" 1
	assert_line "Server Temp Key: X25519, 253 bits"

	# A client that offers only P-256 gets it, in one round trip too.
	run server_hellos -groups P-256
	assert_success
	assert_equal "$(grep -c ServerHello <<<"$output")" 1
	assert_line --partial "Server Temp Key: ECDH, prime256v1"
	wait_for_summary 2
	assert_equal "$(grep -c ' phase=done exit=0$' "$LOG")" 2
}

@test "the peeker links no GnuTLS; only tlsmux-tls does" {
	run ldd "$TLSMUX"
	assert_success
	refute_output --partial gnutls
	refute_output --partial nettle
	run ldd "$TLSMUX_ROOT/tlsmux-tls"
	assert_success
	refute_output --partial "not found"
}

@test "fifty TLS records read in one go all reach the backend, and the close_notify behind them ends the stream" {
	start_backend b reply
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	local actions=() sent=""
	for i in $(seq 1 50); do
		actions+=("send:record $i\n")
		sent+="record $i"$'\n'
	done
	# One write per action on the client, all on the wire before tlsmux reads.
	run py_client --tls "${actions[@]}" shut
	assert_success
	assert_output "got ${#sent} sha256=$(printf '%s' "$sent" | sha256sum | cut -d' ' -f1)"
	wait_for_summary
	run summary_field client_eof
	assert_output close_notify
	run summary_field in
	assert_output "${#sent}"
}
