# Shared helpers for the tlsmux bats tests: real launchers, real clients,
# ephemeral ports, readiness waits with deadlines, logs dumped on failure.

TLSMUX_ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
# TLSMUX_BIN: another build of the same tree (tests/run, build/sanitize).
TLSMUX="${TLSMUX_BIN:-$TLSMUX_ROOT/tlsmux}"
case $TLSMUX in /*) ;; *) TLSMUX="$TLSMUX_ROOT/$TLSMUX" ;; esac
BACKEND_PY="$TLSMUX_ROOT/tests/lib/backend.py"
export BATS_TEST_TIMEOUT="${BATS_TEST_TIMEOUT:-90}"

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
# shellcheck source=tests/lib/shared.bash
source "$TLSMUX_ROOT/tests/lib/shared.bash"

# Certificates shared by a file's tests: a CA and a server cert for localhost.
make_certs() {
	local dir=$1 name=${2:-server}
	[ -f "$dir/ca.pem" ] || openssl req -x509 -newkey ec \
		-pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj /CN=tlsmux-test-ca -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj "/CN=$name" -keyout "$dir/$name.key" -out "$dir/$name.csr" 2>/dev/null
	openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
		-CAcreateserial -days 30 -out "$dir/$name.pem" \
		-extfile <(printf 'subjectAltName=DNS:localhost,DNS:%s,IP:127.0.0.1\n' "$name") 2>/dev/null
}

common_setup() {
	T=$BATS_TEST_TMPDIR
	PIDS=()
	if [ ! -f "$BATS_FILE_TMPDIR/server.pem" ]; then
		make_certs "$BATS_FILE_TMPDIR"
	fi
	CA=$BATS_FILE_TMPDIR/ca.pem
	CERT=$BATS_FILE_TMPDIR/server.pem
	KEY=$BATS_FILE_TMPDIR/server.key
	LOG=$T/tlsmux.log
	: >"$LOG"
}

common_teardown() {
	local pid
	# Each launcher leads its own process group: its tlsmux children go too.
	for pid in "${PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	# No test expects the sandbox to refuse a call: any refusal fails it.
	if cat "$T"/*.log 2>/dev/null |
		grep -E 'sandbox: system call [0-9]+ refused|Bad system call' >&2; then
		echo "the sandbox refused a system call" >&2
		BATS_TEST_COMPLETED=
		dump_logs
		return 1
	fi
	dump_logs
	return 0
}

# After a failed test: the tail of every log and record.
dump_logs() {
	if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		local f
		for f in "$T"/*.log "$T"/*.record; do
			[ -f "$f" ] || continue
			echo "--- $f" >&2
			tail -n 40 "$f" >&2
		done
	fi
}


port_listening() { ss -Hltn "sport = :$1" | grep -q .; }

# A port the kernel picked; the small window before reuse is retried by callers.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_backend NAME MODE [backend.py args]: sets NAME_PORT (or NAME_ADDR).
start_backend() {
	local name=$1 mode=$2
	shift 2
	setsid python3 "$BACKEND_PY" --mode "$mode" --port-file "$T/$name.port" \
		--record "$T/$name.record" "$@" 2>>"$T/$name.log" 3>&- &
	PIDS+=($!)
	wait_until 10 test -s "$T/$name.port"
	printf -v "${name}_PORT" '%s' "$(cat "$T/$name.port")"
}

# start_tlsmux LAUNCHER TLSMUX-ARGS...: sets PORT.
# LAUNCHER: sa (LISTEN_FDS, fd 3), sa-inetd (fds 0/1), tcpserver, xinetd.
start_tlsmux() {
	local launcher=$1
	shift
	case $launcher in
	sa | sa-inetd)
		local inetd=()
		[ "$launcher" = sa-inetd ] && inetd=(--inetd)
		PORT=$(free_port)
		# The launcher passes on only the variables it is told to.
		local env=()
		[ -z "${ASAN_OPTIONS:-}" ] || env+=(-E ASAN_OPTIONS)
		[ -z "${UBSAN_OPTIONS:-}" ] || env+=(-E UBSAN_OPTIONS)
		[ -z "${TLSMUX_SANDBOX_PROBE:-}" ] || env+=(-E TLSMUX_SANDBOX_PROBE)
		setsid systemd-socket-activate -l "127.0.0.1:$PORT" --accept "${inetd[@]}" \
			"${env[@]}" "$TLSMUX" "$@" 2>>"$LOG" 3>&- &
		PIDS+=($!)
		;;
	tcpserver)
		# -1 prints the port the kernel chose.
		setsid tcpserver -1 -q 127.0.0.1 0 "$TLSMUX" "$@" \
			>"$T/tcpserver.port" 2>>"$LOG" 3>&- &
		PIDS+=($!)
		wait_until 10 test -s "$T/tcpserver.port"
		PORT=$(tr -dc 0-9 <"$T/tcpserver.port")
		;;
	xinetd)
		PORT=$(free_port)
		{
			echo "service tlsmux-test"
			echo "{"
			echo "	type = UNLISTED"
			echo "	socket_type = stream"
			echo "	protocol = tcp"
			echo "	wait = no"
			echo "	user = root"
			echo "	bind = 127.0.0.1"
			echo "	port = $PORT"
			echo "	server = $TLSMUX"
			echo "	server_args = $*"
			echo "	passenv = ASAN_OPTIONS UBSAN_OPTIONS"
			echo "	log_type = FILE $T/xinetd.log"
			echo "}"
		} >"$T/xinetd.conf"
		setsid xinetd -dontfork -f "$T/xinetd.conf" -pidfile "$T/xinetd.pid" \
			2>>"$T/xinetd.log" 3>&- &
		PIDS+=($!)
		;;
	*)
		echo "unknown launcher $launcher" >&2
		return 1
		;;
	esac
	wait_until 10 port_listening "$PORT"
}

# Wait for the summary line of the Nth connection (default 1) in the log.
wait_for_summary() {
	local count=${1:-1}
	wait_until 20 eval '[ "$(grep -c " conn client=" "$LOG")" -ge '"$count"' ]'
}

plain_client() { timeout 20 socat -t 15 - "TCP:127.0.0.1:$PORT"; }
gnutls_client() {
	timeout 20 gnutls-cli --logfile=/dev/null --x509cafile "$CA" -p "$PORT" "$@" localhost
}
openssl_client() {
	timeout 20 openssl s_client -quiet -no_ign_eof -verify_return_error \
		-CAfile "$CA" -servername localhost -connect "127.0.0.1:$PORT" "$@" 2>>"$T/openssl.log"
}

# --- Half-close, bulk, backend and certificate tests ---
CLIENT_PY="$TLSMUX_ROOT/tests/lib/client.py"

# py_client [--tls] [client.py options] ACTION...: tests/lib/client.py toward
# tlsmux on $PORT, bounded in time; --tls trusts the test CA.
py_client() {
	local tls=()
	if [ "${1:-}" = --tls ]; then
		tls=(--tls --cafile "$CA" --servername localhost)
		shift
	fi
	timeout 40 python3 "$CLIENT_PY" --connect "127.0.0.1:$PORT" --timeout 35 \
		"${tls[@]}" "$@"
}

# Log lines as comparable text: "tlsmux[PID]: " becomes "tlsmux: ".
strip_pid() { sed -E 's/^tlsmux\[[0-9]+\]: /tlsmux: /'; }

# The one error line of the last `run --separate-stderr`, without the PID.
assert_stderr() { assert_equal "$(strip_pid <<<"$stderr")" "$1"; }

# assert_usage_errors [ARG...] -- "OPTIONS|MESSAGE"...: tlsmux with ARGs
# and each case's OPTIONS exits 64, writes nothing on stdout and one line
# "tlsmux: MESSAGE" on stderr.
assert_usage_errors() {
	local fixed=() c args
	while [ "$1" != -- ]; do fixed+=("$1"); shift; done
	shift
	for c in "$@"; do
		read -ra args <<<"${c%%|*}"
		run --separate-stderr "$TLSMUX" "${fixed[@]}" "${args[@]}" </dev/null
		assert_failure 64
		assert_output ""
		assert_stderr "tlsmux: ${c#*|}"
	done
}

# tlsmux's own lines from $LOG, with what varies per run replaced: the PID,
# the client's port (client=127.0.0.1:PORT) and the duration (duration=D).
log_normalized() {
	grep -E '^tlsmux\[[0-9]+\]: ' "$LOG" | strip_pid | sed -E \
		-e 's/ client=(127\.0\.0\.1|\[::1\]):[0-9]+ / client=\1:PORT /' \
		-e 's/ duration=[0-9]+\.[0-9]{3}s / duration=D /'
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# --- Launcher and detection tests ---

# assert_log_lines LINE...: tlsmux logged exactly these lines, in this order
# (as log_normalized writes them).
assert_log_lines() {
	run log_normalized
	assert_output "$(printf '%s\n' "$@")"
}

# summary_field FIELD [N]: FIELD's value in the Nth summary line (default 1).
summary_field() {
	sed -nE 's/^tlsmux\[[0-9]+\]: (conn client=.*)/\1/p' "$LOG" | sed -n "${2:-1}p" |
		tr ' ' '\n' | sed -n "s/^$1=//p"
}

# Wait until backend NAME has recorded COUNT connections (default 1).
wait_for_record() {
	local name=$1 count=${2:-1}
	wait_until 20 eval '[ "$(grep -c "^conn " "$T/'"$name"'.record" 2>/dev/null)" -ge '"$count"' ]'
}
