#!/bin/sh
# Install, on Debian, what building and testing tlsmux needs; a no-op when all is there.
set -eu

packages="make gcc pkg-config libgnutls28-dev libunistring-dev
bats bats-support bats-assert
gnutls-bin openssl curl socat xinetd ucspi-tcp systemd iproute2 procps python3
clang libclang-rt-14-dev mandoc shellcheck man-db valgrind testssl.sh
haproxy nginx xxd faketime strace"
[ "${1:-}" = demo ] && packages="make gcc pkg-config libgnutls28-dev libunistring-dev
gnutls-bin openssl socat systemd iproute2 python3"

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
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
