# shellcheck shell=bash
# Helpers shared by the bench scripts (sourced, not run).

# A scratch folder in $work, removed on exit after every process in
# $pids is stopped.
bench_scratch() {
	work=$(mktemp -d)
	pids=()
	trap bench_cleanup EXIT
}
bench_cleanup() {
	local pid
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}

# need TOOL[:PACKAGE]...: exit with a line naming the first tool missing.
need() {
	local t tool package
	for t; do
		tool=${t%%:*}
		command -v "$tool" >/dev/null && continue
		package=
		[ "$tool" = "$t" ] || package=" (Debian package ${t#*:})"
		echo "needs $tool$package" >&2
		exit 1
	done
}

# A port the kernel picked for 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_listening PORT [NAME]: wait up to 15 s for something to listen on
# PORT; if nothing does, say so, call bench_logs (when the script defines
# it, to show what the server said) and exit.
wait_listening() {
	local deadline=$((SECONDS + 15))
	until ss -Hltn "sport = :$1" | grep -q .; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "bench: port $1 (${2:-server}) never opened" >&2
			! declare -F bench_logs >/dev/null || bench_logs >&2
			exit 1
		fi
		sleep 0.02
	done
}

# self_signed NAME [NEWKEY...]: $work/NAME.pem and $work/NAME.key for
# localhost; ECDSA P-256 unless openssl's -newkey arguments say otherwise.
self_signed() {
	local name=$1
	shift
	[ $# -gt 0 ] || set -- ec -pkeyopt ec_paramgen_curve:P-256
	openssl req -x509 -newkey "$@" -nodes -days 30 -subj /CN=localhost \
		-keyout "$work/$name.key" -out "$work/$name.pem" 2>/dev/null
}

# An echo server (socat) on 127.0.0.1:$backend, stopped on exit.
echo_backend() {
	backend=$(free_port)
	socat "TCP-LISTEN:$backend,bind=127.0.0.1,reuseaddr,fork" EXEC:cat 2>/dev/null &
	pids+=($!)
	wait_listening "$backend" "echo backend"
}

# stop_launcher LAUNCHER WAIT: once the launcher's last child is done,
# stop it, then wait for WAIT (the launcher, or perf around it).
stop_launcher() {
	local launcher=$1 deadline=$((SECONDS + 30))
	while pgrep -P "$launcher" >/dev/null 2>&1 && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.05
	done
	kill -TERM "$launcher" 2>/dev/null || true
	wait "$2" || true
}

# nginx_site PORT: the web backend of the benchmarks, one nginx worker on
# 127.0.0.1:PORT serving $work/www (a 1 KiB file, 1k) and discarding
# uploads to /upload; written to $work/nginx.conf, its files in $work.
nginx_site() {
	mkdir -p "$work/www" "$work/nginx-tmp"
	head -c 1024 /dev/urandom >"$work/www/1k"
	cat >"$work/nginx.conf" <<-EOF
		daemon off;
		worker_processes 1;
		pid $work/nginx.pid;
		error_log $work/nginx-error.log;
		events { worker_connections 8192; }
		http {
		    access_log off;
		    sendfile on;
		    keepalive_requests 1000000;
		    client_body_temp_path $work/nginx-tmp/body;
		    proxy_temp_path $work/nginx-tmp/proxy;
		    fastcgi_temp_path $work/nginx-tmp/fastcgi;
		    uwsgi_temp_path $work/nginx-tmp/uwsgi;
		    scgi_temp_path $work/nginx-tmp/scgi;
		    server {
		        listen 127.0.0.1:$1 backlog=4096;
		        root $work/www;
		        # Uploads: nginx reads the whole body and throws it away.
		        location = /upload { client_max_body_size 0; return 204; }
		    }
		}
	EOF
}

# haproxy_seed_global [LINE]: the global and defaults sections of that
# configuration (LINE: one more global setting, e.g. nbthread 1).
haproxy_seed_global() {
	cat <<-EOF
		global
		    maxconn 4000
		    ${1:-}
		defaults
		    mode tcp
		    timeout connect 5s
		    timeout client 60s
		    timeout server 60s
	EOF
}

# haproxy_seed NAME PORT BACKEND_PORT PEM [BIND OPTIONS]: the configuration users start
# from to share one port with HAProxy (req.ssl_hello_type, then PROXY v2
# to a TLS and a plain frontend on abstract sockets), for one backend.
# Abstract names are per network namespace: NAME keeps them apart.
haproxy_seed() {
	local name=$1 port=$2 to=$3 pem=$4 options=${5:-}
	cat <<-EOF
		frontend mux_$name
		    bind 127.0.0.1:$port${options:+ $options}
		    tcp-request inspect-delay 2s
		    tcp-request content accept if { req.ssl_hello_type 1 }
		    use_backend to_tls_$name if { req.ssl_hello_type 1 }
		    default_backend to_plain_$name
		backend to_tls_$name
		    server tls abns@$name-$$-tls send-proxy-v2
		backend to_plain_$name
		    server plain abns@$name-$$-plain send-proxy-v2
		frontend tls_$name
		    bind abns@$name-$$-tls accept-proxy ssl crt $pem
		    default_backend app_$name
		frontend plain_$name
		    bind abns@$name-$$-plain accept-proxy
		    default_backend app_$name
		backend app_$name
		    server app 127.0.0.1:$to
	EOF
}

# storm_keep ARRAY KEY "storm N ok OK failed F last_ms L median_ms M":
# keeps in ARRAY[KEY] ("OK F L M") the best storm of a size: the fewest
# failures, then the earliest last success.  An empty line counts as all
# N failed.
storm_keep() {
	local -n kept=$1
	local key=$2 line=$3 ok failed last median bf bl
	read -r _ _ _ ok _ failed _ last _ median <<<"$line"
	if [ -n "${kept[$key]:-}" ]; then
		read -r _ bf bl _ <<<"${kept[$key]}"
		[ "$failed" -lt "$bf" ] || { [ "$failed" = "$bf" ] && [ "$last" -lt "$bl" ]; } || return 0
	fi
	# shellcheck disable=SC2004 # an associative array: the key is a string
	kept[$key]="$ok $failed $last $median"
}
