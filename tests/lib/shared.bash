# Helpers shared by the suites of tests/ and of tests/system/; each
# defines its own plain_client and gnutls_client toward $PORT.

# wait_until SECONDS COMMAND...: poll until COMMAND succeeds or the deadline passes.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "timed out waiting for: $*" >&2
			return 1
		fi
		sleep 0.02
	done
}

# A plain and then a TLS client each send one line through $PORT and read it back.
assert_hello_both_paths() {
	run plain_client <<<"plain hello"
	assert_success
	assert_output "plain hello"
	run gnutls_client <<<"tls hello"
	assert_success
	assert_output --partial "tls hello"
}

# at_least A B: the decimal number A is at least B.
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
