# Helpers for the production TLS suites (tls-*.bats): certificates made
# on the spot with openssl and certtool, real clients bounded in time.
# Load after lib/common.

# server_cert BASE CN [DNS...]: BASE.crt and BASE.key (P-256), signed by the
# test CA, for TLS server use, with the DNS names as subjectAltName.
server_cert() {
	local base=$1 cn=$2 san="" name
	shift 2
	for name in "$@"; do san="$san${san:+,}DNS:$name"; done
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$cn" \
		-keyout "$base.key" -out "$base.csr" 2>/dev/null
	# Issued an hour ago: "days left" is 29, however fast the test runs.
	faketime -f -1h openssl x509 -req -in "$base.csr" -CA "$CA" -CAkey "$BATS_FILE_TMPDIR/ca.key" \
		-CAcreateserial -days 30 -out "$base.crt" \
		-extfile <(printf 'extendedKeyUsage=serverAuth\n%s\n' "${san:+subjectAltName=$san}") 2>/dev/null
	rm -f "$base.csr"
}

# client_cert BASE SUBJECT [EXTENSION-LINES [CA-BASE]]: BASE.pem and BASE.key,
# for TLS client use unless the extension lines say otherwise; signed by
# the test CA, or by CA-BASE.pem/CA-BASE.key.
client_cert() {
	local base=$1 subject=$2 ext=${3:-extendedKeyUsage=clientAuth} ca=${4:-}
	local ca_pem=$CA ca_key=$BATS_FILE_TMPDIR/ca.key
	[ -z "$ca" ] || { ca_pem=$ca.pem; ca_key=$ca.key; }
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$subject" \
		-keyout "$base.key" -out "$base.csr" 2>/dev/null
	openssl x509 -req -in "$base.csr" -CA "$ca_pem" -CAkey "$ca_key" -CAcreateserial \
		-days 30 -out "$base.pem" -extfile <(printf '%b\n' "$ext") 2>/dev/null
	rm -f "$base.csr"
}

# other_ca BASE: a second CA, unknown to tlsmux.
other_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj /CN=other-ca -keyout "$1.key" -out "$1.pem" 2>/dev/null
}

# tls_client NAME [s_client options]: openssl s_client to tlsmux on $PORT,
# asking for server name NAME ("" for none), sending the one line of its
# standard input.  s_client ends its side as soon as its input ends, so
# the input stays open until the line comes back or s_client exits (an
# alert, a refusal).  Prints what came back and openssl's errors, which
# name the alert; the certificate verification chatter is left out.
tls_client() {
	local name=$1 sni=(-noservername) line out fifo pid rc w
	shift
	[ -z "$name" ] || sni=(-servername "$name")
	IFS= read -r line || true
	out=$(mktemp "$T/s_client.XXXXXX")
	fifo=$out.in
	mkfifo "$fifo"
	timeout 20 openssl s_client -quiet -no_ign_eof -nocommands -CAfile "$CA" "${sni[@]}" \
		-connect "127.0.0.1:$PORT" "$@" <"$fifo" >"$out" 2>&1 &
	pid=$!
	exec {w}>"$fifo"
	printf '%s\n' "$line" >&"$w"
	local deadline=$((SECONDS + 15))
	while kill -0 "$pid" 2>/dev/null && ! grep -qxF -- "$line" "$out" &&
		[ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.02
	done
	exec {w}>&-
	wait "$pid"
	rc=$?
	grep -vE '^(depth=|verify return:|DONE$)' "$out"
	return "$rc"
}

# served_subject NAME [s_client options]: the subject of the certificate a
# client asking for NAME is served.
served_subject() {
	local name=$1 sni=(-noservername)
	shift
	[ -z "$name" ] || sni=(-servername "$name")
	timeout 20 openssl s_client -CAfile "$CA" "${sni[@]}" -connect "127.0.0.1:$PORT" \
		"$@" </dev/null 2>>"$T/openssl.log" | openssl x509 -noout -subject
}

# summary_with FIELD=VALUE...: the summary lines, as log_normalized gives
# them, that hold every one of these fields.
summary_with() {
	local line field ok
	while IFS= read -r line; do
		ok=1
		for field in "$@"; do
			[[ " $line " == *" $field "* ]] || ok=
		done
		[ -z "$ok" ] || printf '%s\n' "$line"
	done < <(log_normalized | grep ' conn client=')
}

# start_tlsmux_journal TLSMUX-ARGS...: like start_tlsmux sa, with --log
# journal and a private /run/systemd whose journal socket writes each
# datagram to $T/journal.out as one line, fields joined by '|'.
JOURNAL_LISTENER='
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path + ".new")
os.rename(path + ".new", path)
with open(out, "a") as f:
    while True:
        data = s.recv(65536)
        f.write(data.decode("utf-8", "replace").rstrip("\n").replace("\n", "|") + "\n")
        f.flush()
'
start_tlsmux_journal() {
	PORT=$(free_port)
	: >"$T/journal.out"
	setsid unshare -m --propagation private bash -c '
		mount -t tmpfs tmpfs /run/systemd || exit 99
		mkdir -p /run/systemd/journal
		python3 -c "$0" /run/systemd/journal/socket "$1" &
		for _ in $(seq 500); do [ -S /run/systemd/journal/socket ] && break; sleep 0.02; done
		shift
		exec systemd-socket-activate -l "$@"' \
		"$JOURNAL_LISTENER" "$T/journal.out" "127.0.0.1:$PORT" --accept \
		"$TLSMUX" --log journal "$@" 2>>"$LOG" 3>&- &
	PIDS+=($!)
	wait_until 10 port_listening "$PORT"
}

# journal_summary [N]: the Nth summary datagram (default 1), once it came.
journal_summary() {
	local n=${1:-1}
	wait_until 20 eval '[ "$(grep -c "MESSAGE=conn " "$T/journal.out")" -ge '"$n"' ]'
	grep "MESSAGE=conn " "$T/journal.out" | sed -n "${n}p"
}

# stop_tlsmux: stop the servers started since the last fresh_log (the
# backends stay); fresh_log: an empty log for the next start_tlsmux.
stop_tlsmux() {
	local pid
	for pid in "${PIDS[@]:${TLSMUX_PIDS_FROM:-0}}"; do
		kill -TERM -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null || true
	done
	PIDS=("${PIDS[@]:0:${TLSMUX_PIDS_FROM:-0}}")
}
fresh_log() {
	: >"$LOG"
	TLSMUX_PIDS_FROM=${#PIDS[@]}
}
