#!/bin/bash
# External TLS audit: testssl.sh against tlsmux's TLS path on 127.0.0.1
# (and nowhere else), under systemd-socket-activate, with a CA-signed
# certificate the run trusts (--add-ca), so that the findings are about
# tlsmux and not about a self-signed test certificate.
#   bench/testssl.sh [--full] [OUTDIR]
# TESTSSL_TLSMUX_ARGS adds tlsmux options (e.g. a weaker --priority, to see
# the audit fail).
# Fails when testssl rates anything HIGH or CRITICAL, when TLS 1.0 or 1.1,
# a weak cipher class or client-initiated renegotiation is accepted.
# Prints the severity counts; OUTDIR keeps testssl's JSON and text output.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=(--fast)
if [ "${1:-}" = --full ]; then
	mode=()
	shift
fi
out=${1:-$(mktemp -d)}
mkdir -p "$out"
# shellcheck source=bench/lib.sh disable=SC1091
. bench/lib.sh
bench_scratch

need testssl:testssl.sh
[ -x ./tlsmux ] || make -s all

# A CA and a 90-day server certificate for localhost and 127.0.0.1 that
# names a revocation list (testssl only checks that one is named).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
	-subj /CN=tlsmux-audit-ca -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
	-keyout "$work/key.pem" -out "$work/cert.csr" 2>/dev/null
openssl x509 -req -in "$work/cert.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
	-CAcreateserial -days 90 -out "$work/cert.pem" -extfile <(printf '%s\n' \
	'subjectAltName=DNS:localhost,IP:127.0.0.1' \
	'crlDistributionPoints=URI:http://127.0.0.1/tlsmux-audit.crl' \
	'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth') 2>/dev/null

wait_for() {
	local deadline=$((SECONDS + 20))
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || { echo "timed out waiting for: $*" >&2; exit 1; }
		sleep 0.05
	done
}

# An echo backend: not HTTP, so testssl's HTTP header checks (about the
# service, not about tlsmux) do not apply.
python3 tests/lib/backend.py --mode echo --port-file "$work/backend.port" 2>/dev/null &
pids+=($!)
wait_for test -s "$work/backend.port"
port=$(free_port)
read -ra extra <<<"${TESTSSL_TLSMUX_ARGS:-}"
systemd-socket-activate -l "127.0.0.1:$port" --accept ./tlsmux --log stderr \
	--backend "127.0.0.1:$(cat "$work/backend.port")" \
	--cert "$work/cert.pem" --key "$work/key.pem" "${extra[@]}" 2>"$out/tlsmux.log" &
pids+=($!)
wait_listening "$port" tlsmux

rm -f "$out/testssl.json" "$out/testssl.txt"
started=$SECONDS
testssl "${mode[@]}" --quiet --color 0 --warnings off --add-ca "$work/ca.pem" \
	--jsonfile "$out/testssl.json" "127.0.0.1:$port" >"$out/testssl.txt" 2>&1 || true
seconds=$((SECONDS - started))
[ -s "$out/testssl.json" ] || { tail -n 20 "$out/testssl.txt" >&2; echo "testssl gave no results" >&2; exit 1; }

python3 - "$out/testssl.json" "$seconds" "$(grep -c ' conn client=' "$out/tlsmux.log")" <<'EOF'
import collections, json, sys
findings = json.load(open(sys.argv[1]))
by_id = {f["id"]: f for f in findings}
counts = collections.Counter(f["severity"] for f in findings)
order = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "WARN", "OK", "INFO"]
print("testssl: %s (%s s, %s connections)" % (
    ", ".join("%s %d" % (s, counts.get(s, 0)) for s in order), sys.argv[2], sys.argv[3]))
problems = []
for f in findings:
    if f["severity"] in ("HIGH", "CRITICAL"):
        problems.append("%s %s: %s" % (f["severity"], f["id"], f["finding"]))
    elif f["severity"] not in ("OK", "INFO"):
        print("  %s %s: %s" % (f["severity"], f["id"], f["finding"]))
def expect(fid, words):
    f = by_id.get(fid)
    if f is None or not any(w in f["finding"] for w in words):
        problems.append("%s: %s" % (fid, f["finding"] if f else "not tested"))
expect("TLS1", ["not offered"])
expect("TLS1_1", ["not offered"])
expect("TLS1_3", ["offered"])
for weak in ["cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW",
             "cipherlist_3DES_IDEA"]:
    expect(weak, ["not offered"])
# CBC ciphers: "AVERAGE" in testssl 3.0, "OBSOLETED" in later versions.
expect("cipherlist_OBSOLETED" if "cipherlist_OBSOLETED" in by_id else "cipherlist_AVERAGE",
       ["not offered"])
expect("secure_client_renego", ["not vulnerable"])
for p in problems:
    print("  PROBLEM %s" % p)
sys.exit(1 if problems else 0)
EOF
