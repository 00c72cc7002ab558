#!/usr/bin/env bats
# Many machines: HAProxy balances two tlsmux hosts, each started by
# systemd-socket-activate with --accept-proxy, in front of one backend.
# The "machines" are network namespaces made here, joined by a bridge in
# a namespace of its own; their 10.200.0.0/24 addresses exist only inside
# those namespaces, so no packet leaves this machine.
#
#   client 10.200.0.10 ─► HAProxy 10.200.0.2:443 ─┬─► tlsmux 10.200.0.11:4433 ─┬─► nginx 10.200.0.20:8080
#                           (contrib/haproxy.cfg)  └─► tlsmux 10.200.0.12:4433 ─┘   (logs the client)

load lib/common
load lib/peers

CLIENT_IP=10.200.0.10
LB_IP=10.200.0.2
MUX1_IP=10.200.0.11
MUX2_IP=10.200.0.12
BACKEND_IP=10.200.0.20

# ns HOST: the namespace name of HOST in this test.
ns() { echo "tmx$$-${BATS_TEST_NUMBER}-$1"; }

# A host: its namespace, a veth pair straight into it and the bridge's
# namespace (never into this machine's own), one address, links up.
add_host() {
	local host=$1 ip=$2 peer=v-$1
	ip netns add "$(ns "$host")"
	ip link add name eth0 netns "$(ns "$host")" type veth peer name "$peer" netns "$(ns net)"
	ip -n "$(ns net)" link set "$peer" master br0 up
	ip -n "$(ns "$host")" addr add "$ip/24" dev eth0
	ip -n "$(ns "$host")" link set eth0 up
	ip -n "$(ns "$host")" link set lo up
}

# on_host HOST COMMAND...: run COMMAND inside HOST.
on_host() {
	local host=$1
	shift
	ip netns exec "$(ns "$host")" "$@"
}

listening_in() { on_host "$1" ss -Hltn "sport = :$2" | grep -q .; }

# start_mux N IP: tlsmux host N under systemd-socket-activate; sets MUXn_PID.
start_mux() {
	local n=$1 ip=$2
	setsid ip netns exec "$(ns "mux$n")" systemd-socket-activate -l "$ip:4433" --accept \
		"$TLSMUX" --accept-proxy --proxy-from "$LB_IP" \
		--backend "$BACKEND_IP:8080" --send-proxy v2 \
		--cert "$CERT" --key "$KEY" 2>>"$T/mux$n.log" 3>&- &
	PIDS+=($!)
	printf -v "MUX${n}_PID" '%s' "$!"
	wait_until 10 listening_in "mux$n" 4433
}

setup() {
	common_setup
	command -v haproxy nginx >/dev/null
	ip netns add "$(ns net)"
	ip -n "$(ns net)" link add br0 type bridge
	ip -n "$(ns net)" link set br0 up
	add_host client "$CLIENT_IP"
	add_host lb "$LB_IP"
	add_host mux1 "$MUX1_IP"
	add_host mux2 "$MUX2_IP"
	add_host backend "$BACKEND_IP"

	mkdir -p "$T/backend"
	nginx_config "$T/backend/nginx.conf" "$BACKEND_IP:8080" "$T/backend-access.log"
	setsid ip netns exec "$(ns backend)" nginx -c "$T/backend/nginx.conf" \
		-e "$T/backend/nginx-error.log" 2>>"$T/backend/nginx-error.log" 3>&- &
	PIDS+=($!)
	wait_until 10 listening_in backend 8080

	start_mux 1 "$MUX1_IP"
	start_mux 2 "$MUX2_IP"

	# The shipped balancer configuration, with this test's addresses, the
	# log on standard output and quicker checks.
	sed -e "s/192\.0\.2\.2:/$LB_IP:/; s/192\.0\.2\.11:443/$MUX1_IP:4433/; s/192\.0\.2\.12:443/$MUX2_IP:4433/" \
		-e "s|log /dev/log local0|log stdout format raw local0|" \
		-e "s/inter 500ms/inter 200ms/" \
		"$TLSMUX_ROOT/contrib/haproxy.cfg" >"$T/haproxy.cfg"
	haproxy -c -q -f "$T/haproxy.cfg"
	setsid ip netns exec "$(ns lb)" haproxy -db -f "$T/haproxy.cfg" >>"$T/haproxy.log" 2>&1 3>&- &
	PIDS+=($!)
	wait_until 10 listening_in lb 443
}

teardown() {
	common_teardown
	local host
	for host in client lb mux1 mux2 backend net; do
		ip netns del "$(ns "$host")" 2>/dev/null || true
	done
}

# request plain|tls: one HTTP request from the client host through the balancer.
request() {
	if [ "$1" = tls ]; then
		on_host client timeout 20 curl -sS --max-time 15 --cacert "$CA" \
			--resolve "localhost:443:$LB_IP" https://localhost:443/
	else
		on_host client timeout 20 curl -sS --max-time 15 "http://$LB_IP:443/"
	fi
}

# Lines of tlsmux host N's log for connections from the client host.
client_summaries() { grep " conn client=$CLIENT_IP:" "$T/mux$1.log" || true; }

@test "two tlsmux hosts behind HAProxy: TLS and plain clients served, the backend sees the real client" {
	local i out
	for i in 1 2 3 4; do
		if [ $((i % 2)) = 1 ]; then out=$(request plain); else out=$(request tls); fi
		assert_regex "$out" "^client=$CLIENT_IP:[0-9]+\$"
	done
	# Both hosts served, plain and TLS, each logging the client (not the balancer) ...
	wait_until 20 eval '[ $(( $(client_summaries 1 | wc -l) + $(client_summaries 2 | wc -l) )) -ge 4 ]'
	run client_summaries 1
	assert [ "${#lines[@]}" -ge 1 ]
	run client_summaries 2
	assert [ "${#lines[@]}" -ge 1 ]
	run cat <(client_summaries 1) <(client_summaries 2)
	assert_equal "$(grep -c ' path=plain ' <<<"$output")" 2
	assert_equal "$(grep -c ' path=tls .*sni=localhost ' <<<"$output")" 2
	assert_equal "$(grep -c " via=$LB_IP:[0-9]* *\$" <<<"$output")" 4
	# ... and the backend got the client's address from the header tlsmux sent.
	wait_until 10 eval '[ "$(wc -l <"$T/backend-access.log")" -ge 4 ]'
	run cut -d' ' -f1,3,4 "$T/backend-access.log"
	assert_output "$CLIENT_IP $LB_IP 443
$CLIENT_IP $LB_IP 443
$CLIENT_IP $LB_IP 443
$CLIENT_IP $LB_IP 443"
	run cut -d' ' -f5 "$T/backend-access.log"
	assert_line "$MUX1_IP"
	assert_line "$MUX2_IP"
	# The health checks' LOCAL headers were taken, with no error line.
	run grep -c "PROXY header" "$T/mux1.log" "$T/mux2.log"
	assert_output "$T/mux1.log:0
$T/mux2.log:0"
}

@test "one tlsmux host goes down: HAProxy retries elsewhere and marks it down, no connection lost; back up, it serves again" {
	local i out failed=0 kinds=(plain tls)
	for i in $(seq 1 24); do
		if [ "$i" = 7 ]; then
			# Host 1's launcher goes away: its port closes.
			kill -TERM -- "-$MUX1_PID"
			wait "$MUX1_PID" 2>/dev/null || true
		fi
		out=$(request "${kinds[i % 2]}") || true
		[[ $out =~ ^client=$CLIENT_IP:[0-9]+$ ]] || { failed=$((failed + 1)); echo "request $i: $out" >&2; }
	done
	assert_equal "$failed" 0
	wait_until 10 grep -q "Server tlsmux_hosts/host-a is DOWN" "$T/haproxy.log"
	# Every request from the 7th on went through host 2.
	wait_until 10 eval '[ "$(wc -l <"$T/backend-access.log")" -ge 24 ]'
	run bash -c "tail -n 18 '$T/backend-access.log' | cut -d' ' -f5 | sort -u"
	assert_output "$MUX2_IP"

	# Host 1 comes back: HAProxy's checks see it and it takes traffic again.
	start_mux 1 "$MUX1_IP"
	wait_until 20 grep -q "Server tlsmux_hosts/host-a is UP" "$T/haproxy.log"
	for i in 1 2 3 4; do
		out=$(request "${kinds[i % 2]}")
		assert_regex "$out" "^client=$CLIENT_IP:[0-9]+\$"
	done
	run bash -c "tail -n 4 '$T/backend-access.log' | cut -d' ' -f5 | sort -u"
	assert_line "$MUX1_IP"
}
