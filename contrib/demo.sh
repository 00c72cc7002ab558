#!/bin/bash
# tlsmux demo: one local port, a TLS client and a plain client, one plain backend.
#   contrib/demo.sh deps   install what the demo needs (Debian, as root)
#   contrib/demo.sh run    run it from the source tree (after make)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-run}" = deps ]; then
	exec tests/deps.sh demo
fi

dir=$PWD/demo
mkdir -p "$dir"
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_listening() {
	local deadline=$((SECONDS + 10))
	until ss -Hltn "sport = :$1" | grep -q .; do
		[ "$SECONDS" -lt "$deadline" ] || { echo "port $1 never opened" >&2; exit 1; }
		sleep 0.05
	done
}

echo "== a self-signed ECDSA certificate for localhost"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
	-keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
./tlsmux --check --backend 127.0.0.1:1 --cert "$dir/cert.pem" --key "$dir/key.pem" | sed 's/^/   /'

backend_port=$(free_port)
echo "== a plain backend on 127.0.0.1:$backend_port that answers 'backend got: LINE'"
printf '#!/bin/sh\nexec sed -u "s/^/backend got: /"\n' >"$dir/backend.sh"
chmod +x "$dir/backend.sh"
setsid socat "TCP-LISTEN:$backend_port,bind=127.0.0.1,reuseaddr,fork" "EXEC:$dir/backend.sh" &
pids+=($!)
wait_listening "$backend_port"

port=$(free_port)
echo "== tlsmux on 127.0.0.1:$port under systemd-socket-activate --accept"
: >"$dir/tlsmux.log"
setsid systemd-socket-activate -l "127.0.0.1:$port" --accept ./tlsmux \
	--backend "127.0.0.1:$backend_port" --cert "$dir/cert.pem" --key "$dir/key.pem" \
	2>>"$dir/tlsmux.log" &
pids+=($!)
wait_listening "$port"

echo "== a plain client (socat) on port $port"
echo "8=FIX.4.4|35=A|hello in plain text" | timeout 10 socat -t 5 - "TCP:127.0.0.1:$port" | sed 's/^/   /'
echo "== a TLS client (gnutls-cli) on the same port"
echo "8=FIX.4.4|35=A|hello over TLS" |
	timeout 10 gnutls-cli --logfile=/dev/null --x509cafile "$dir/cert.pem" -p "$port" localhost 2>/dev/null |
	grep 'backend got' | sed 's/^/   /'
echo "== what tlsmux logged, one summary line per connection"
deadline=$((SECONDS + 10))
until [ "$(grep -c ' conn ' "$dir/tlsmux.log")" -ge 2 ] || [ "$SECONDS" -ge "$deadline" ]; do sleep 0.05; done
grep '^tlsmux' "$dir/tlsmux.log" | sed 's/^/   /'
