#!/usr/bin/env bats
# Bulk: 100 MiB each way at the same time, on both paths, checked by
# sha256 at both ends (the backend's record for the upload, the client's
# file for the download).

load lib/common

SIZE=104857600

setup_file() {
	head -c "$SIZE" /dev/urandom >"$BATS_FILE_TMPDIR/up.bin"
	head -c "$SIZE" /dev/urandom >"$BATS_FILE_TMPDIR/down.bin"
	sha256_of "$BATS_FILE_TMPDIR/up.bin" >"$BATS_FILE_TMPDIR/up.sha"
	sha256_of "$BATS_FILE_TMPDIR/down.bin" >"$BATS_FILE_TMPDIR/down.sha"
}

setup() {
	common_setup
	UP=$BATS_FILE_TMPDIR/up.bin
	DOWN=$BATS_FILE_TMPDIR/down.bin
	start_backend b exchange --file "$DOWN"
}
teardown() { common_teardown; }

# Both sums and the summary line; who ended first depends on which
# direction finished first, so closed= is either side.
assert_both_ways() {
	local path=$1 tls_fields=$2 client_eof=$3
	assert_equal "$(sha256_of "$T/received")" "$(cat "$BATS_FILE_TMPDIR/down.sha")"
	wait_for_summary
	wait_for_record b
	run cut -d' ' -f1-4,6 "$T/b.record"
	assert_output "conn 1 bytes=$SIZE sha256=$(cat "$BATS_FILE_TMPDIR/up.sha") end=eof"
	run log_normalized
	assert_output --regexp "^tlsmux: conn client=127\.0\.0\.1:PORT path=$path backend=127\.0\.0\.1:$b_PORT $tls_fields in=$SIZE out=$SIZE duration=D closed=(client|backend) client_eof=$client_eof phase=done exit=0\$"
}

@test "plain, 100 MiB each way at once (socat, connection on fd 3)" {
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	# Not under `run`: it would keep 100 MiB in a shell variable.
	timeout 60 socat -t 30 -b 262144 - "TCP:127.0.0.1:$PORT" <"$UP" >"$T/received"
	assert_both_ways plain "version=- cipher=- sni=-" -
}

@test "plain, 100 MiB each way at once (connection on fds 0 and 1)" {
	start_tlsmux sa-inetd --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	run py_client --out "$T/received" sendfile:"$UP" shut
	assert_success
	assert_both_ways plain "version=- cipher=- sni=-" -
}

@test "TLS, 100 MiB each way at once (socat OPENSSL, connection on fd 3)" {
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	timeout 60 socat -t 30 -b 262144 - \
		"OPENSSL:127.0.0.1:$PORT,cafile=$CA,commonname=localhost" <"$UP" >"$T/received"
	assert_both_ways tls "version=TLS1\.3 cipher=AES-256-GCM sni=localhost" close_notify
}

@test "TLS, 100 MiB each way at once (Python ssl client, connection on fds 0 and 1)" {
	start_tlsmux sa-inetd --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	run py_client --tls --out "$T/received" sendfile:"$UP" shut
	assert_success
	assert_both_ways tls "version=TLS1\.3 cipher=AES-256-GCM sni=localhost" close_notify
}
