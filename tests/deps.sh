#!/bin/sh
# Install, on Debian, what building and testing tlsmux needs; a no-op when
# all is there.  tests/deps.sh demo: only what make demo needs;
# tests/deps.sh bench: what make bench needs (the peers, the backends
# and the clients); tests/deps.sh deb: what make deb needs (the Debian
# packaging tools and the build dependencies); tests/deps.sh system: what
# make check-system needs besides (mmdebstrap makes the container's root;
# systemd-nspawn is unpacked by tests/system/run itself).
set -eu

packages="make gcc musl-tools pkg-config libgnutls28-dev libunistring-dev
bats bats-support bats-assert
gnutls-bin openssl curl socat xinetd ucspi-tcp systemd iproute2 procps python3
clang libclang-rt-14-dev mandoc shellcheck man-db valgrind testssl.sh
haproxy nginx xxd faketime strace"
[ "${1:-}" = demo ] && packages="make gcc musl-tools pkg-config libgnutls28-dev libunistring-dev
gnutls-bin openssl socat systemd iproute2 python3"
[ "${1:-}" = deb ] && packages="make gcc musl-tools pkg-config libgnutls28-dev libunistring-dev
debhelper dpkg-dev fakeroot lintian binutils"
[ "${1:-}" = system ] && packages="mmdebstrap bats bats-support bats-assert
python3 dpkg-dev util-linux procps"
[ "${1:-}" = bench ] && packages="make gcc musl-tools pkg-config libgnutls28-dev libunistring-dev
haproxy stunnel4 sslh socat hitch nginx-light redis-server redis-tools
wrk curl gnuplot-nox valgrind openssl libssl-dev python3 iproute2 procps bc systemd"

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
# The bench starts its daemons itself, never as services.
policy=/usr/sbin/policy-rc.d
if [ "${1:-}" = bench ] && [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
# Others may be running apt on this machine: wait for their lock.
apt-get -o DPkg::Lock::Timeout=300 update -qq
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $missing >/dev/null
