#!/usr/bin/env bats
# valgrind memcheck over a plain and a TLS connection, the TLS helper
# included (--trace-children): no memory error, no definite or indirect
# leak.  The launcher starts valgrind, which starts tlsmux.

load lib/common

setup() {
	common_setup
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	! ldd "$TLSMUX" | grep -q libasan || skip "valgrind cannot run an AddressSanitizer build"
	# memcheck cannot follow malloc in a static binary: for a static
	# peeker, the same objects linked against the shared glibc.
	local peeker=$TLSMUX
	if ldd "$TLSMUX" | grep -q "statically linked"; then
		peeker=$(dirname "$TLSMUX")/build/shared/tlsmux
		[ -x "$peeker" ] || skip "the static peeker's shared twin is not built (make build/shared/tlsmux)"
	fi
	# A launcher target that runs tlsmux under memcheck; valgrind's
	# findings go to one file per process, and make it exit 1.
	cat >"$T/memcheck-tlsmux" <<-EOF
		#!/bin/sh
		exec valgrind -q --error-exitcode=1 --leak-check=full \\
			--errors-for-leak-kinds=definite,indirect --trace-children=yes \\
			--log-file=$T/memcheck.%p $peeker "\$@"
	EOF
	chmod +x "$T/memcheck-tlsmux"
}
teardown() { common_teardown; }

@test "memcheck: a plain and a TLS connection, no errors and no leaks" {
	start_backend b echo
	TLSMUX=$T/memcheck-tlsmux start_tlsmux sa-inetd \
		--backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	run plain_client <<<"plain hello"
	assert_success
	assert_output "plain hello"
	wait_for_summary 1
	run gnutls_client <<<"tls hello"
	assert_success
	assert_output --partial "tls hello"
	wait_for_summary 2
	wait_until 30 eval '[ "$(grep -c "^Child [0-9]* died with code " "$LOG")" -ge 2 ]'
	run sed -nE 's/^Child [0-9]+ died with code ([0-9]+)$/\1/p' "$LOG"
	assert_output "0
0"
	# Both processes reported, and quietly: nothing found.
	run bash -c "ls '$T'/memcheck.* | wc -l"
	assert_output 2
	run cat "$T"/memcheck.*
	assert_output ""
	assert_log_lines \
		"tlsmux: sandbox: running under valgrind, no seccomp filter" \
		"tlsmux: conn client=127.0.0.1:PORT path=plain backend=127.0.0.1:$b_PORT version=- cipher=- sni=- in=12 out=12 duration=D closed=client client_eof=- phase=done exit=0" \
		"tlsmux: sandbox: running under valgrind, no seccomp filter" \
		"tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=10 out=10 duration=D closed=client client_eof=close_notify phase=done exit=0"
}
