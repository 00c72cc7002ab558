# shellcheck shell=bash
# Helpers shared by the bench scripts (sourced, not run).

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
