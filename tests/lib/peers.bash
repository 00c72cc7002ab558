# Real PROXY protocol peers for the tests: nginx behind tlsmux (it reads the
# header tlsmux sends) and HAProxy in front of or behind it.  Each runs in
# the foreground under the test's directory, logs to a file there, and is
# stopped by common_teardown like every other server.

# nginx_config FILE LISTEN LOG: an HTTP server on LISTEN (address:port)
# that expects a PROXY header, answers "client=ADDR:PORT" (what the header
# said) and logs, per request, the header's source and destination and
# the TCP peer, space-separated, to LOG.
nginx_config() {
	local file=$1 listen=$2 log=$3 dir
	dir=$(dirname "$file")
	mkdir -p "$dir/nginx-tmp"
	cat >"$file" <<-EOF
		daemon off;
		master_process off;
		worker_processes 1;
		pid $dir/nginx.pid;
		error_log $dir/nginx-error.log notice;
		events { worker_connections 128; }
		http {
		    client_body_temp_path $dir/nginx-tmp/body;
		    proxy_temp_path $dir/nginx-tmp/proxy;
		    fastcgi_temp_path $dir/nginx-tmp/fastcgi;
		    uwsgi_temp_path $dir/nginx-tmp/uwsgi;
		    scgi_temp_path $dir/nginx-tmp/scgi;
		    log_format pp '\$proxy_protocol_addr \$proxy_protocol_port \$proxy_protocol_server_addr \$proxy_protocol_server_port \$remote_addr';
		    server {
		        listen $listen proxy_protocol;
		        access_log $log pp;
		        location / {
		            default_type text/plain;
		            return 200 "client=\$proxy_protocol_addr:\$proxy_protocol_port\n";
		        }
		    }
		}
	EOF
}

# start_nginx: nginx with a PROXY listener on 127.0.0.1; sets NGINX_PORT and
# NGINX_LOG.  The port is asked of the kernel first, then bound by nginx.
start_nginx() {
	NGINX_PORT=$(free_port)
	NGINX_LOG=$T/nginx-access.log
	nginx_config "$T/nginx.conf" "127.0.0.1:$NGINX_PORT" "$NGINX_LOG"
	setsid nginx -c "$T/nginx.conf" -e "$T/nginx-error.log" 2>>"$T/nginx-error.log" 3>&- &
	PIDS+=($!)
	wait_until 10 port_listening "$NGINX_PORT"
}

# start_haproxy NAME CONFIG-BODY: HAProxy in the foreground with global and
# defaults for TCP mode and one log line per connection to $T/NAME.log.
# CONFIG-BODY holds the frontends and backends; every "@PORT_x@" in it is
# replaced with a port the kernel picked, exported as HAPROXY_PORT_x.
start_haproxy() {
	local name=$1 body=$2 token port
	for token in $(grep -o '@PORT_[a-z0-9_]*@' <<<"$body" | sort -u); do
		port=$(free_port)
		body=${body//$token/$port}
		token=${token#@PORT_}
		printf -v "HAPROXY_PORT_${token%@}" '%s' "$port"
	done
	cat >"$T/$name.cfg" <<-EOF
		global
		    log stdout format raw local0
		    maxconn 200
		defaults
		    mode tcp
		    log global
		    timeout connect 5s
		    timeout client 30s
		    timeout server 30s
		$body
	EOF
	haproxy -c -q -f "$T/$name.cfg" >>"$T/$name.log" 2>&1 || return 1
	setsid haproxy -db -f "$T/$name.cfg" >>"$T/$name.log" 2>&1 3>&- &
	PIDS+=($!)
	for token in $(grep -o 'bind [0-9.]*:[0-9]*' "$T/$name.cfg" | cut -d: -f2); do
		wait_until 10 port_listening "$token"
	done
}

# Like log_normalized, for any client address: the ports of client= and
# via= become PORT, a unique_id= becomes ID, the duration D.
log_normalized_any() {
	grep -E '^tlsmux\[[0-9]+\]: ' "${1:-$LOG}" | strip_pid | sed -E \
		-e 's/ (client|via)=([0-9.]+|\[[0-9a-f:.]+\]):[0-9]+/ \1=\2:PORT/g' \
		-e 's/ unique_id=[0-9a-f]{32}/ unique_id=ID/' \
		-e 's/ duration=[0-9]+\.[0-9]{3}s / duration=D /' \
		-e 's/(from|client) (127\.0\.0\.[0-9]+):[0-9]+:/\1 \2:PORT:/'
}

# proxy_v2_header FILE [python expressions]: writes a PROXY v2 header for
# TCP4 127.0.0.33:4000 -> 127.0.0.1:443 to FILE; "crc=bad" corrupts its
# CRC32C, "local" makes it a LOCAL header.
proxy_v2_header() {
	python3 - "$@" <<-'EOF'
		import struct, sys
		out, opts = sys.argv[1], sys.argv[2:]
		def crc32c(data):
		    crc = 0xFFFFFFFF
		    for b in data:
		        crc ^= b
		        for _ in range(8):
		            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
		    return crc ^ 0xFFFFFFFF
		sig = b"\r\n\r\n\x00\r\nQUIT\n"
		if "local" in opts:
		    open(out, "wb").write(sig + b"\x20\x00\x00\x00")
		    sys.exit(0)
		body = bytes([127, 0, 0, 33, 127, 0, 0, 1]) + struct.pack(">HH", 4000, 443)
		body += b"\x03\x00\x04" + b"\0\0\0\0"
		head = sig + b"\x21\x11" + struct.pack(">H", len(body)) + body
		crc = crc32c(head) ^ (1 if "crc=bad" in opts else 0)
		open(out, "wb").write(head[:-4] + struct.pack(">I", crc))
	EOF
}

# assert_log_lines_any LINE...: as assert_log_lines, through log_normalized_any.
assert_log_lines_any() {
	run log_normalized_any
	assert_output "$(printf '%s\n' "$@")"
}
