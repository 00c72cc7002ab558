#!/usr/bin/env bats
# OCSP stapling: responses made by openssl ocsp against the test CA (and
# one made as if days ago, with faketime); only a good, current response
# about the certificate served is stapled, anything else is logged.

bats_require_minimum_version 1.5.0

load lib/common
load lib/tls

setup() {
	common_setup
	O=$BATS_FILE_TMPDIR/ocsp
	[ -d "$O" ] || make_responses "$O"
}
teardown() { common_teardown; }

# index.txt line for a certificate: status V (valid) or R (revoked).
index_line() {
	local pem=$1 status=$2 serial expiry subject
	serial=$(openssl x509 -in "$pem" -noout -serial | cut -d= -f2)
	expiry=$(date -u -d "$(openssl x509 -in "$pem" -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
	subject=$(openssl x509 -in "$pem" -noout -subject -nameopt compat | sed 's/^subject=//')
	if [ "$status" = R ]; then
		printf 'R\t%s\t%s\t%s\tunknown\t%s\n' "$expiry" "$(date -u +%y%m%d%H%M%SZ)" "$serial" "$subject"
	else
		printf 'V\t%s\t\t%s\tunknown\t%s\n' "$expiry" "$serial" "$subject"
	fi
}

# respond INDEX CERT OUT [SIGNER-BASE]: a DER response from the test CA
# (or SIGNER-BASE.pem/.key) about CERT, valid for two days.
respond() {
	local signer=${4:-}
	local rsigner=$CA rkey=$BATS_FILE_TMPDIR/ca.key
	[ -z "$signer" ] || { rsigner=$signer.pem; rkey=$signer.key; }
	openssl ocsp -index "$1" -rsigner "$rsigner" -rkey "$rkey" -CA "$CA" -issuer "$CA" \
		-cert "$2" -respout "$3" -ndays 2 >/dev/null 2>&1
}

make_responses() {
	local o=$1
	mkdir -p "$o"
	# The chain the server sends: leaf and issuer, so signatures are checked.
	cat "$CERT" "$CA" >"$o/chain.pem"
	make_certs "$o" other
	index_line "$CERT" V >"$o/index.txt"
	respond "$o/index.txt" "$CERT" "$o/good.der"
	faketime -f '-5d' bash -c "$(declare -f respond); CA=$CA BATS_FILE_TMPDIR=$BATS_FILE_TMPDIR respond $o/index.txt $CERT $o/stale.der"
	index_line "$o/other.pem" V >"$o/other-index.txt"
	respond "$o/other-index.txt" "$o/other.pem" "$o/foreign.der"
	index_line "$CERT" R >"$o/revoked-index.txt"
	respond "$o/revoked-index.txt" "$CERT" "$o/revoked.der"
	other_ca "$o/other-ca"
	respond "$o/index.txt" "$CERT" "$o/badsig.der" "$o/other-ca"
	echo "not DER at all" >"$o/garbage.der"
}

# What a client that asks for a staple gets: the status lines openssl prints.
staple() {
	timeout 20 openssl s_client -status -CAfile "$CA" -servername "${1:-localhost}" \
		-connect "127.0.0.1:$PORT" </dev/null 2>/dev/null |
		grep -E '^(OCSP response: no response sent|    OCSP Response Status:|    Cert Status:)'
}

@test "--ocsp: a good response about the certificate is stapled" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$O/chain.pem" --key "$KEY" --ocsp "$O/good.der"
	run staple
	assert_output - <<-EOF
		    OCSP Response Status: successful (0x0)
		    Cert Status: good
	EOF
	wait_for_summary 1
	run log_normalized
	refute_output --partial "ocsp"
	# A client that does not ask gets none, and the connection is as ever.
	run gnutls_client <<<"no staple asked"
	assert_success
	assert_output "no staple asked"
}

@test "stale, foreign, revoked, badly signed or unreadable responses are not stapled, and the log says why" {
	local cases=(
		"stale.der|stale: next update was due $(date -u -d "$(openssl ocsp -respin "$O/stale.der" -resp_text -noverify 2>/dev/null | sed -n 's/^ *Next Update: //p')" '+%Y-%m-%d %H:%M:%S UTC')"
		"foreign.der|not about this certificate"
		"revoked.der|says the certificate is revoked"
		"badsig.der|not signed by the certificate's issuer"
		"garbage.der|cannot parse: ASN1 parser: Error in TAG."
	)
	local c file why n=0
	start_backend b echo
	for c in "${cases[@]}"; do
		file=${c%%|*}
		why=${c#*|}
		fresh_log
		start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$O/chain.pem" --key "$KEY" --ocsp "$O/$file"
		run staple
		assert_output "OCSP response: no response sent"
		run tls_client localhost <<<"still served"
		assert_success
		assert_output "still served"
		wait_for_summary 2
		run log_normalized
		assert_line --index 0 "tlsmux: ocsp $O/$file: $why: not stapled"
		assert_line --index 3 --partial "exit=0"
		stop_tlsmux
	done
	fresh_log
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$O/chain.pem" --key "$KEY" --ocsp "$O/missing.der"
	run staple
	assert_output "OCSP response: no response sent"
	wait_for_summary
	run log_normalized
	assert_line --index 0 "tlsmux: ocsp $O/missing.der: cannot read: no such file or directory: not stapled"
}

@test "--cert-dir: an entry's NAME.ocsp is stapled for that entry only" {
	mkdir "$T/certs"
	cat "$O/chain.pem" "$KEY" >"$T/certs/localhost.pem"
	cp "$O/good.der" "$T/certs/localhost.ocsp"
	cat "$O/other.pem" "$O/other.key" >"$T/certs/other.pem"
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert-dir "$T/certs"
	run staple localhost
	assert_output - <<-EOF
		    OCSP Response Status: successful (0x0)
		    Cert Status: good
	EOF
	run bash -c "timeout 20 openssl s_client -status -servername other -connect 127.0.0.1:$PORT </dev/null 2>/dev/null | grep -E '^OCSP response: no response sent'"
	assert_success
	wait_for_summary 2
	run log_normalized
	refute_output --partial "ocsp"
}

@test "--check --ocsp: a good response passes, any other fails with the reason" {
	run --separate-stderr "$TLSMUX" --check --backend 127.0.0.1:9 --cert "$O/chain.pem" --key "$KEY" --ocsp "$O/good.der"
	assert_success
	assert_line --regexp '^ocsp good until: [0-9-]+ [0-9:]+ UTC$'
	assert_line "ok"
	run --separate-stderr "$TLSMUX" --check --backend 127.0.0.1:9 --cert "$O/chain.pem" --key "$KEY" --ocsp "$O/foreign.der"
	assert_failure 78
	refute_line "ok"
	assert_equal "$(strip_pid <<<"$stderr")" "tlsmux: check: ocsp $O/foreign.der: not about this certificate"
	# In a --cert-dir too.
	mkdir "$T/certs"
	cat "$O/chain.pem" "$KEY" >"$T/certs/localhost.pem"
	cp "$O/stale.der" "$T/certs/localhost.ocsp"
	run --separate-stderr "$TLSMUX" --check --backend 127.0.0.1:9 --cert-dir "$T/certs"
	assert_failure 78
	assert_line "cert-dir: $T/certs: 1 entry"
	run strip_pid <<<"$stderr"
	assert_line --index 0 --partial "tlsmux: check: ocsp $T/certs/localhost.ocsp: stale: next update was due "
}
