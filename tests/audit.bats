#!/usr/bin/env bats
# The external TLS audit (bench/testssl.sh, testssl --fast) against the TLS
# path on 127.0.0.1.  About a minute per run: `make check-long` runs it.

# Long tests: the per-test deadline is counted from before setup().
export BATS_TEST_TIMEOUT=600

load lib/common

setup() {
	common_setup
	command -v testssl >/dev/null || skip "testssl is not installed (Debian package testssl.sh)"
}
teardown() { common_teardown; }

@test "testssl: nothing HIGH or CRITICAL, no TLS 1.0/1.1, no weak ciphers, renegotiation refused" {
	run timeout 500 "$TLSMUX_ROOT/bench/testssl.sh" "$T/audit"
	echo "$output" | sed 's/^/# /' >&3
	assert_success
	assert_line --regexp '^testssl: CRITICAL 0, HIGH 0, MEDIUM 0, '
	refute_line --partial PROBLEM
	run grep -c ' path=tls ' "$T/audit/tlsmux.log"
	at_least "$output" 50
}

@test "testssl: the audit fails when tlsmux is told to offer CBC ciphers" {
	TESTSSL_TLSMUX_ARGS="--priority NORMAL" run timeout 500 "$TLSMUX_ROOT/bench/testssl.sh" "$T/audit"
	assert_failure
	assert_line --regexp '^  PROBLEM cipherlist_(AVERAGE|OBSOLETED): offered'
}
