#!/bin/sh
# renew-loop.sh DIR NAME...: renew tlsmux's certificate and key every
# second (or as fast as the hook runs), as certbot does: DIR/NAME.pem
# and DIR/NAME.key become the lineage /etc/letsencrypt/live/NAME, then the deploy hook (TLSMUX_HOOK,
# default the installed one) is run for it; the NAMEs take turns.  Counts
# the renewals in DIR/renewals (written atomically), appends the hook's
# output to DIR/renew.log, and ends once DIR/renewals.stop exists.  A
# failed renewal ends it with the hook's status.
set -eu

dir=$1
shift
hook=${TLSMUX_HOOK:-/usr/libexec/tlsmux/certbot-deploy-hook}
live=${LETSENCRYPT_LIVE:-/etc/letsencrypt/live}

for name in "$@"; do
	mkdir -p "$live/$name"
	cp "$dir/$name.pem" "$live/$name/fullchain.pem"
	cp "$dir/$name.key" "$live/$name/privkey.pem"
done
n=0
while :; do
	for name in "$@"; do
		[ ! -e "$dir/renewals.stop" ] || exit 0
		# The second runs while the hook does: one renewal a second,
		# or as fast as the hook goes on a loaded host.
		sleep 1 &
		RENEWED_LINEAGE=$live/$name "$hook" >>"$dir/renew.log" 2>&1
		n=$((n + 1))
		echo "$n" >"$dir/renewals.tmp"
		mv -f "$dir/renewals.tmp" "$dir/renewals"
		wait "$!"
	done
done
