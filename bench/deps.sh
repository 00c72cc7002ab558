#!/bin/sh
# Install, on Debian, what make bench needs besides the build: the peers,
# the backends and the clients; a no-op when all is there.
set -eu

packages="haproxy stunnel4 sslh socat hitch nginx-light redis-server redis-tools
wrk curl gnuplot-nox valgrind openssl libssl-dev python3 iproute2 procps bc
systemd make gcc pkg-config libgnutls28-dev libunistring-dev"

missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "tlsmux: missing packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# The daemons are started by the benchmark itself, never as services.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
