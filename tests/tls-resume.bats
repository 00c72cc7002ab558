#!/usr/bin/env bats
# Session resumption across processes (--ticket-key): every connection is
# a new process, so only a ticket sealed with a key they all read can be
# resumed.  The key file, its rotation, and what a resumed session skips.

bats_require_minimum_version 1.5.0

load lib/common
load lib/tls

setup() {
	common_setup
	"$TLSMUX" --new-ticket-key "$T/ticket.key"
}
teardown() { common_teardown; }

fresh() {
	common_teardown || true
	rm -f "$T"/*.port "$T"/*.record
	common_setup
}

# The resumed field of every summary line, in order.
resumed_fields() {
	local n=$1 i
	wait_for_summary "$n"
	for ((i = 1; i <= n; i++)); do summary_field resumed "$i"; done
}

@test "TLS 1.3: a new process resumes the session another one began, without reading the certificate" {
	cp "$CERT" "$T/cert.pem"
	cp "$KEY" "$T/key.pem"
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$T/cert.pem" --key "$T/key.pem" \
		--ticket-key "$T/ticket.key"
	run tls_client localhost -sess_out "$T/session.pem" <<<"first"
	assert_success
	assert_output "first"
	test -s "$T/session.pem"
	# Without the certificate and key, only a resumed session can succeed.
	rm "$T/cert.pem" "$T/key.pem"
	run tls_client localhost -sess_in "$T/session.pem" <<<"second"
	assert_success
	assert_output "second"
	run tls_client localhost <<<"third"
	assert_failure
	wait_for_summary 3
	run log_normalized
	assert_output - <<-EOF
		tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=6 out=6 duration=D closed=client client_eof=close_notify phase=done exit=0 resumed=no
		tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=7 out=7 duration=D closed=client client_eof=close_notify phase=done exit=0 resumed=yes
		tlsmux: cert $T/cert.pem: cannot read: no such file or directory
		tlsmux: conn client=127.0.0.1:PORT path=tls backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=handshake exit=78 resumed=-
	EOF
}

@test "TLS 1.2 and TLS 1.3 with gnutls-cli --resume: the second connection is resumed" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" \
		--ticket-key "$T/ticket.key"
	run gnutls_client --resume --priority NORMAL:-VERS-ALL:+VERS-TLS1.2 <<<"tls12"
	assert_success
	assert_output "tls12"
	run gnutls_client --resume <<<"tls13"
	assert_success
	assert_output "tls13"
	run resumed_fields 4
	assert_output $'no\nyes\nno\nyes'
	run summary_with version=TLS1.2 resumed=yes exit=0
	assert_equal "${#lines[@]}" 1
	run summary_with version=TLS1.3 resumed=yes exit=0
	assert_equal "${#lines[@]}" 1
}

@test "after a key rotation, tickets sealed with the old key no longer open" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" \
		--ticket-key "$T/ticket.key"
	run tls_client localhost -sess_out "$T/session.pem" <<<"first"
	assert_success
	run tls_client localhost -sess_in "$T/session.pem" <<<"again"
	assert_success
	"$TLSMUX" --new-ticket-key "$T/ticket.key"
	run tls_client localhost -sess_in "$T/session.pem" <<<"after rotation"
	assert_success
	assert_output "after rotation"
	run resumed_fields 3
	assert_output $'no\nyes\nno'
}

@test "a client certificate revoked since the session began is refused on resumption" {
	client_cert "$T/alice" /CN=alice
	client_cert "$T/eve" /CN=eve
	printf 'crl_next_update = 7\ncrl_number = 1\n' >"$T/crl.tmpl"
	make_crl() {
		certtool --generate-crl --load-ca-privkey "$BATS_FILE_TMPDIR/ca.key" \
			--load-ca-certificate "$CA" --load-certificate "$1" \
			--template "$T/crl.tmpl" --outfile "$T/crl.new" 2>/dev/null
		mv "$T/crl.new" "$T/crl.pem"
	}
	make_crl "$T/eve.pem"
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" \
		--ticket-key "$T/ticket.key" --client-ca "$CA" --crl "$T/crl.pem"
	run tls_client localhost -cert "$T/alice.pem" -key "$T/alice.key" -sess_out "$T/session.pem" <<<"first"
	assert_success
	run tls_client localhost -sess_in "$T/session.pem" <<<"resumed"
	assert_success
	assert_output "resumed"
	cat "$T/eve.pem" "$T/alice.pem" >"$T/both.pem"
	make_crl "$T/both.pem"
	run tls_client localhost -sess_in "$T/session.pem" <<<"revoked now"
	assert_failure
	assert_output --partial "SSL alert number 44"
	wait_for_summary 3
	run log_normalized
	assert_line --index 1 "tlsmux: conn client=127.0.0.1:PORT path=tls backend=127.0.0.1:$b_PORT version=TLS1.3 cipher=AES-256-GCM sni=localhost in=8 out=8 duration=D closed=client client_eof=close_notify phase=done exit=0 resumed=yes client_cert=CN=alice"
	assert_line --index 2 "tlsmux: client certificate CN=alice: revoked (resumed session)"
	assert_line --index 3 "tlsmux: conn client=127.0.0.1:PORT path=tls backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=handshake exit=76 resumed=- client_cert=-"
}

@test "--new-ticket-key: 64 fresh bytes, mode 0600 whatever the umask, replaced atomically; exit 73 when it cannot" {
	local first second inode
	first=$(xxd -p "$T/ticket.key" | tr -d '\n')
	inode=$(stat -c %i "$T/ticket.key")
	run bash -c 'umask 000 && "$0" --new-ticket-key "$1"' "$TLSMUX" "$T/ticket.key"
	assert_success
	assert_output ""
	second=$(xxd -p "$T/ticket.key" | tr -d '\n')
	assert_equal "$(stat -c '%s %a' "$T/ticket.key")" "64 600"
	[ "$first" != "$second" ]
	# A new file renamed over the old one, never the old one rewritten.
	[ "$(stat -c %i "$T/ticket.key")" != "$inode" ]
	run ls -A "$T"
	refute_output --partial "ticket.key."

	run --separate-stderr "$TLSMUX" --new-ticket-key "$T/missing/ticket.key"
	assert_failure 73
	assert_equal "$(strip_pid <<<"$stderr")" \
		"tlsmux: new-ticket-key $T/missing/ticket.key: cannot create a file next to it: no such file or directory"
}

@test "a ticket key file that is not a key: exit 78 on a connection, and --check says why" {
	head -c 32 /dev/urandom >"$T/short.key"
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY" --ticket-key "$T/short.key"
	run tls_client localhost <<<"hello"
	assert_failure
	wait_for_summary
	assert_log_lines \
		"tlsmux: ticket-key $T/short.key: not a key: expected 64 bytes as written by tlsmux --new-ticket-key" \
		"tlsmux: conn client=127.0.0.1:PORT path=tls backend=- version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=handshake exit=78 resumed=-"

	run --separate-stderr "$TLSMUX" --check --backend 127.0.0.1:9 --cert "$CERT" --key "$KEY" \
		--ticket-key "$T/missing.key"
	assert_failure 78
	assert_equal "$(strip_pid <<<"$stderr")" \
		"tlsmux: check: ticket-key $T/missing.key: cannot read: no such file or directory"
	chmod 644 "$T/ticket.key"
	run --separate-stderr "$TLSMUX" --check --backend 127.0.0.1:9 --cert "$CERT" --key "$KEY" \
		--ticket-key "$T/ticket.key"
	assert_success
	assert_line "ticket-key: 64 bytes"
	assert_line "ok"
	assert_equal "$(strip_pid <<<"$stderr")" \
		"tlsmux: check: warning: ticket-key $T/ticket.key is readable by others (mode 0644): anyone who reads it can decrypt resumed sessions"
}

# systemd-analyze checks that ExecStart= exists: show it one in a private mount.
with_installed_binary() {
	unshare -m --propagation private bash -c '
		mount -t tmpfs tmpfs /usr/sbin || exit 99
		install -m 755 "$0" /usr/sbin/tlsmux
		exec "$@"' "$TLSMUX" "$@"
}

@test "the rotation units: systemd accepts them, the timer is daily, the service writes a key" {
	local units=$TLSMUX_ROOT/units
	run with_installed_binary systemd-analyze verify --man=no \
		"$units/tlsmux-ticket-key.service" "$units/tlsmux-ticket-key.timer"
	assert_success
	assert_output ""
	run grep -E '^(OnCalendar=daily|Persistent=true)$' "$units/tlsmux-ticket-key.timer"
	assert_equal "${#lines[@]}" 2
	run systemd-analyze security --offline=yes --no-pager "$units/tlsmux-ticket-key.service"
	exposure=$(grep -o 'Overall exposure level for [^:]*: [0-9.]*' <<<"$output" | awk '{print $NF}')
	awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }'
	# Its ExecStart=, pointed at this build and a scratch file.
	local exec
	exec=$(sed -n 's/^ExecStart=//p' "$units/tlsmux-ticket-key.service")
	exec=${exec//\/usr\/sbin\/tlsmux/$TLSMUX}
	exec=${exec//\/etc\/tlsmux\/ticket.key/$T/rotated.key}
	run bash -c "$exec"
	assert_success
	assert_equal "$(stat -c '%s %a' "$T/rotated.key")" "64 600"
}
