# Helpers for the suites that run the Debian package under the booted
# container of tests/system/run.  Every command runs inside the container
# (nsenter into its PID 1, all namespaces), bounded in time; the container
# has its own loopback, so the shipped port 9018 is free there.

TLSMUX_ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
export BATS_TEST_TIMEOUT="${BATS_TEST_TIMEOUT:-120}"
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
# shellcheck source=tests/lib/shared.bash
source "$TLSMUX_ROOT/tests/lib/shared.bash"

: "${TLSMUX_SYSTEM_PID:?run these suites with tests/system/run}"
ROOT=$TLSMUX_SYSTEM_ROOT
# The test helpers of tests/lib, bound read-only into the container.
LIB=/opt/tlsmux-tests
PORT=9018

# ct CMD...: CMD inside the container, with a clean environment.
ct() {
	timeout "${CT_TIMEOUT:-60}" nsenter -t "$TLSMUX_SYSTEM_PID" -a \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
}
ct_sh() { ct sh -c "$1"; }


# A work directory per suite, inside the container at $W and seen from
# here at $HW (the container's root is a directory of this machine).
system_setup_file() {
	SUITE=$(basename "$BATS_TEST_FILENAME" .bats)
	W=/var/lib/tlsmux-test/$SUITE
	HW=$ROOT$W
	export SUITE W HW
	rm -rf "$HW" && mkdir -p "$HW"
}

# make_pair NAME: a CA (once) and a certificate for localhost signed by it, in $W.
make_pair() {
	local name=$1
	ct_sh "cd $W && { [ -f ca.pem ] || openssl req -x509 -newkey ec \
		-pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=tlsmux-system-ca \
		-keyout ca.key -out ca.pem; } && openssl req -newkey ec \
		-pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=$name \
		-keyout $name.key -out $name.csr && printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >$name.ext && \
		openssl x509 -req -in $name.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
		-days 30 -extfile $name.ext -out $name.pem" >/dev/null 2>&1
}

# configure_tlsmux BACKEND: the three install steps of the README: the
# certificate and key in /etc/tlsmux, the backend in tlsmux.conf, the
# socket enabled.
configure_tlsmux() {
	make_pair server
	ct install -m 0644 "$W/server.pem" /etc/tlsmux/cert.pem
	ct install -m 0640 -g tlsmux "$W/server.key" /etc/tlsmux/key.pem
	set_backend "$1"
	ct systemctl enable --now tlsmux.socket
	wait_until 10 ct_sh "ss -Hltn 'sport = :$PORT' | grep -q ."
}

# set_backend ADDRESS...: the config file's backend lines, nothing else changed.
set_backend() {
	local lines="" b
	for b in "$@"; do lines="${lines}backend $b\n"; done
	ct_sh "sed -i '/^backend /d' /etc/tlsmux/tlsmux.conf && printf '$lines' >>/etc/tlsmux/tlsmux.conf"
}

# start_backend NAME MODE [backend.py args]: tests/lib/backend.py as a
# transient service of the container; sets NAME_PORT (TCP backends).
start_backend() {
	local name=$1 mode=$2
	shift 2
	rm -f "$HW/$name.port"
	ct systemd-run --quiet --collect --unit="tlsmux-test-$SUITE-$name" -p UMask=0000 \
		python3 "$LIB/backend.py" --mode "$mode" --port-file "$W/$name.port" \
		--record "$W/$name.record" "$@"
	wait_until 10 test -s "$HW/$name.port"
	printf -v "${name}_PORT" '%s' "$(cat "$HW/$name.port")"
	export "${name}_PORT"
}
stop_backend() { ct systemctl stop "tlsmux-test-$SUITE-$1" 2>/dev/null || true; }
# The suite's backends go when it ends.
system_teardown_file() { ct systemctl stop "tlsmux-test-$SUITE-*" 2>/dev/null || true; }

# client [--tls] [client.py options] ACTION...: tests/lib/client.py
# inside, toward the shipped port.
client() {
	local tls=()
	if [ "${1:-}" = --tls ]; then
		tls=(--tls --cafile "$W/ca.pem" --servername localhost)
		shift
	fi
	CT_TIMEOUT=45 ct python3 "$LIB/client.py" --connect "127.0.0.1:$PORT" \
		--timeout 40 "${tls[@]}" "$@"
}
plain_client() { CT_TIMEOUT=25 ct timeout 20 socat -t 15 - "TCP:127.0.0.1:$PORT"; }
gnutls_client() {
	CT_TIMEOUT=25 ct timeout 20 gnutls-cli --logfile=/dev/null \
		--x509cafile "$W/ca.pem" --sni-hostname localhost \
		--verify-hostname localhost -p "$PORT" "$@" 127.0.0.1
}

# report_field FILE KEY: a value from client.py's --report file (seen from here).
report_field() { sed -n "s/^$2=//p" "$HW/$1"; }

# live_client NAME [--tls]: a client that sends one line, then waits for
# $W/NAME.go before it sends a second and ends; its report lands in
# $W/NAME.report.  end_client NAME lets it go and waits for its report.
live_client() {
	local name=$1
	shift
	rm -f "$HW/$name.go" "$HW/$name.report" "$HW/$name.up"
	client "$@" --report "$W/$name.report" "send:$name one\n" "expect:$name one" \
		"touch:$W/$name.up" "wait:$W/$name.go" "send:$name two\n" "expect:$name two" shut \
		>/dev/null 3>&- &
	wait_until 20 test -e "$HW/$name.up"
}
end_client() {
	touch "$HW/$1.go"
	wait_until 40 test -s "$HW/$1.report"
	wait_until 10 grep -q '^server_eof=' "$HW/$1.report"
}
# assert_whole NAME: the live client got back exactly what it sent.
assert_whole() {
	assert_equal "$(report_field "$1.report" received)" "$(report_field "$1.report" sent)"
	assert_equal "$(report_field "$1.report" received_sha256)" "$(report_field "$1.report" sent_sha256)"
	[ "$(report_field "$1.report" sent)" -gt 0 ]
}

# The tlsmux@ instances now running, one a line.
instances() { ct systemctl list-units --no-legend --plain --state=active,activating 'tlsmux@*.service' | awk '{ print $1 }'; }
no_instances() { [ -z "$(instances)" ]; }

# journal_json MATCH...: the journal's entries from tlsmux that match, as JSON lines.
journal_json() { ct journalctl --no-pager -o json SYSLOG_IDENTIFIER=tlsmux "$@"; }

# After a failed test: the socket's state and the journal's tail.
dump_system() {
	[ -n "${BATS_TEST_COMPLETED:-}" ] && return 0
	{
		echo "--- systemctl status tlsmux.socket"
		ct systemctl status --no-pager tlsmux.socket
		echo "--- journal"
		ct journalctl --no-pager -n 40
	} >&2 2>&1
	return 0
}
