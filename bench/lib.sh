# Helpers shared by the bench scripts (sourced, not run).

# A port the kernel picked for 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Wait up to 10 s for something to listen on PORT.
wait_listening() {
	local deadline=$((SECONDS + 10))
	until ss -Hltn "sport = :$1" | grep -q .; do
		[ "$SECONDS" -lt "$deadline" ] || { echo "port $1 never opened" >&2; exit 1; }
		sleep 0.02
	done
}
