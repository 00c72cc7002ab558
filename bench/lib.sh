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
