#!/usr/bin/env bats
# What keeps a connection cheap, checked without timing anything: no
# extra round trip in the handshake, GnuTLS only on the TLS path.
# (The figures themselves come from make bench.)

bats_require_minimum_version 1.5.0

load lib/common

setup() { common_setup; }
teardown() { common_teardown; }

# The handshake messages the server sent to openssl s_client -msg.
server_hellos() {
	timeout 20 openssl s_client -msg -CAfile "$CA" -servername localhost \
		-connect "127.0.0.1:$PORT" "$@" </dev/null 2>>"$T/openssl.log" |
		grep -E '^<<< TLS 1.3, Handshake \[length [0-9a-f]+\], ServerHello|^Server Temp Key'
}

@test "a client with an X25519 key share, as OpenSSL sends by default, gets no HelloRetryRequest" {
	start_backend b echo
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"

	# One ServerHello: a HelloRetryRequest would be a second one.
	run server_hellos
	assert_success
	assert_equal "$(grep -c ServerHello <<<"$output")" 1
	assert_line "Server Temp Key: X25519, 253 bits"

	# A client that offers only P-256 gets it, in one round trip too.
	run server_hellos -groups P-256
	assert_success
	assert_equal "$(grep -c ServerHello <<<"$output")" 1
	assert_line --partial "Server Temp Key: ECDH, prime256v1"
	wait_for_summary 2
	assert_equal "$(grep -c ' phase=done exit=0$' "$LOG")" 2
}

@test "the peeker links no GnuTLS, and no library at all unless built against the shared glibc" {
	run nm "$TLSMUX"
	assert_success
	refute_output --partial gnutls_
	refute_output --partial nettle_
	# The default build is static: no loader, nothing to bind at start.
	# Built with make PEEKER_STATIC= (or sanitizers), it needs libc only.
	run readelf -d "$TLSMUX"
	if readelf -l "$TLSMUX" | grep -q INTERP; then
		assert_equal "$(grep NEEDED <<<"$output" | grep -v -e '\[libc\.so\.6\]' \
			-e '\[libasan' -e '\[libubsan' -e '\[libm\.so' -e '\[libgcc_s' -e '\[libstdc++')" ""
	else
		refute_output --partial NEEDED
	fi
	run nm "$TLSMUX_ROOT/tlsmux-tls"
	assert_output --partial gnutls_handshake
}

@test "a static peeker resolves backend names from /etc/hosts and DNS, and loads no NSS module" {
	readelf -l "$TLSMUX" | grep -q INTERP && skip "this peeker is linked against the shared glibc"
	command -v strace >/dev/null || skip "needs strace"
	start_backend b echo
	# An nsswitch.conf naming a module: glibc would try to load it.
	sed -E 's/^(hosts|passwd):.*/\1: nosuchmodule files dns/' /etc/nsswitch.conf >"$T/nsswitch.conf"
	PORT=$(free_port)
	setsid unshare --mount sh -c 'mount --bind "$1" /etc/nsswitch.conf && shift && exec "$@"' sh \
		"$T/nsswitch.conf" strace -f -qq -e trace=openat,open -o "$T/strace.out" \
		systemd-socket-activate -l "127.0.0.1:$PORT" --accept \
		"$TLSMUX" --backend "localhost:$b_PORT" --user nobody 2>>"$LOG" 3>&- &
	PIDS+=($!)
	wait_until 10 port_listening "$PORT"
	run plain_client <<<"by name"
	assert_success
	assert_output "by name"
	wait_for_summary
	assert_equal "$(grep -c ' phase=done exit=0$' "$LOG")" 1
	# A static glibc reads nsswitch.conf and loads nothing it names; musl
	# (make PEEKER_LIBC=musl) has no NSS to read it for.
	if grep -aq 'glibc\.malloc' "$TLSMUX"; then
		run grep -c /etc/nsswitch.conf "$T/strace.out"
		refute_output 0
	fi
	run grep -E 'libnss_|nosuchmodule' "$T/strace.out"
	assert_output ""
}

@test "tlsmux-tls carries GnuTLS itself, and --check says when dpkg has installed another GnuTLS since" {
	# The default build: no shared GnuTLS, nettle or gmp to bind at start.
	run ldd "$TLSMUX_ROOT/tlsmux-tls"
	assert_success
	refute_output --partial libgnutls
	refute_output --partial libnettle
	refute_output --partial libgmp
	# Not even glibc or p11-kit (src/p11kit_none.c), unless sanitized.
	grep -q libasan <<<"$output" || assert_output --partial "statically linked"
	local version
	version=$(dpkg-query -W -f '${Version}' libgnutls30)

	# Same versions as at build time: nothing to say.
	run --separate-stderr "$TLSMUX" --check --backend 127.0.0.1:9 --cert "$CERT" --key "$KEY"
	assert_success
	assert_equal "$stderr" ""

	# dpkg's status as after a security update of libgnutls30.
	sed "/^Package: libgnutls30\$/,/^\$/s/^Version: .*/Version: $version+fix1/" \
		/var/lib/dpkg/status >"$T/status"
	run grep -c "^Version: $version+fix1\$" "$T/status"
	assert_output 1
	run --separate-stderr unshare --mount sh -c 'mount --bind "$1" /var/lib/dpkg/status &&
		exec "$2" --check --backend 127.0.0.1:9 --cert "$3" --key "$4"' \
		sh "$T/status" "$TLSMUX" "$CERT" "$KEY"
	assert_success
	assert_line ok
	assert_equal "$(strip_pid <<<"$stderr")" \
		"tlsmux: check: warning: libgnutls30 $version is linked into tlsmux, the system has $version+fix1: rebuild and reinstall tlsmux to take its fixes"
}

@test "fifty TLS records read in one go all reach the backend, and the close_notify behind them ends the stream" {
	start_backend b reply
	start_tlsmux sa --backend "127.0.0.1:$b_PORT" --cert "$CERT" --key "$KEY"
	local actions=() sent=""
	for i in $(seq 1 50); do
		actions+=("send:record $i\n")
		sent+="record $i"$'\n'
	done
	# One write per action on the client, all on the wire before tlsmux reads.
	run py_client --tls "${actions[@]}" shut
	assert_success
	assert_output "got ${#sent} sha256=$(printf '%s' "$sent" | sha256sum | cut -d' ' -f1)"
	wait_for_summary
	run summary_field client_eof
	assert_output close_notify
	run summary_field in
	assert_output "${#sent}"
}

# user+system clock ticks a process has used so far.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

@test "a backend that stops reading costs the plain pump no CPU while it waits" {
	# The backend accepts, then never reads: its socket buffers fill up.
	setsid python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
c, _ = s.accept(); time.sleep(60)' "$T/stall.port" 3>&- &
	PIDS+=($!)
	wait_until 10 test -s "$T/stall.port"
	start_tlsmux sa-inetd --backend "127.0.0.1:$(cat "$T/stall.port")"
	local launcher=${PIDS[-1]}
	# 32 MiB: more than every buffer on the way holds.
	head -c 33554432 /dev/zero >"$T/big"
	timeout 30 socat -u "OPEN:$T/big" "TCP:127.0.0.1:$PORT" 3>&- &
	PIDS+=($!)
	wait_until 10 eval "pgrep -P $launcher >/dev/null"
	local pid
	pid=$(pgrep -P "$launcher")
	# Once the client's own send queue holds bytes, every buffer on the
	# way is full; then watch tlsmux for two seconds.
	wait_until 20 eval "ss -Htn 'dport = :$PORT' | awk '\$3 > 0' | grep -q ."
	local before after
	before=$(cpu_ticks "$pid")
	sleep 2
	after=$(cpu_ticks "$pid")
	echo "tlsmux used $((after - before)) ticks in 2 s"
	[ $((after - before)) -le 5 ]
}
