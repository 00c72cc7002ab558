#!/usr/bin/env bats
# --exec: a program per connection on the stream, tcpserver style.  The
# plain path hands the program the client's own socket; the TLS path
# feeds it the decrypted bytes through a socketpair.  What the program
# can see of tlsmux: its environment, its file descriptors, and (for the
# TLS path) whether the key's text is still in tlsmux-tls's memory.

bats_require_minimum_version 1.5.0

load lib/common
load lib/peers

setup() {
	common_setup
	# Reports what it was given, waits for $T/go if asked, then echoes.
	cat >"$T/inspect.py" <<-'EOF'
		import os, re, socket, sys, time
		lines = []
		for k in sorted(os.environ):
		    if k.startswith(("PROTO", "TCP", "TLS", "SSL_", "CREDENTIALS", "LISTEN")):
		        lines.append("env %s=%s" % (k, os.environ[k]))
		for fd in sorted(int(f) for f in os.listdir("/proc/self/fd")):
		    try:
		        target = os.readlink("/proc/self/fd/%d" % fd)
		    except OSError:
		        continue    # the directory listdir read, gone already
		    lines.append("fd %d %s" % (fd, re.sub(r"\[[0-9]+\]", "", target)))
		s = socket.socket(fileno=os.dup(0))
		if s.family == socket.AF_UNIX:
		    lines.append("peer unix")
		else:
		    lines.append("peer %s:%d" % s.getpeername()[:2])
		open(sys.argv[1] + "/program.ppid", "w").write("%d\n" % os.getppid())
		if len(sys.argv) > 2:
		    while not os.path.exists(sys.argv[2]):
		        time.sleep(0.02)
		os.write(1, ("\n".join(lines) + "\n").encode())
		while True:
		    data = os.read(0, 65536)
		    if not data:
		        break
		    os.write(1, data)
	EOF
	printf 'cat\necho done\nexit 3\n' >"$T/done3.sh"
}
teardown() { common_teardown; }

@test "--exec, plain: the program runs on the client's own socket, with the ucspi environment" {
	CREDENTIALS_DIRECTORY=$T start_tlsmux sa --exec "/usr/bin/python3 $T/inspect.py $T" \
		--cert "$CERT" --key "$KEY"
	run py_client send:"plain bytes" shut
	assert_success
	wait_for_summary
	local cport
	cport=$(summary_field client | cut -d: -f2)
	assert_output - <<-EOF
		env PROTO=TCP
		env TCPLOCALIP=127.0.0.1
		env TCPLOCALPORT=$PORT
		env TCPREMOTEIP=127.0.0.1
		env TCPREMOTEPORT=$cport
		env TLS=0
		fd 0 socket:
		fd 1 socket:
		fd 2 $LOG
		peer 127.0.0.1:$cport
		plain bytes
	EOF
	# The program's parent is tlsmux itself, waiting to log its status.
	assert_log_lines "tlsmux: conn client=127.0.0.1:PORT path=plain backend=exec:/usr/bin/python3 version=- cipher=- sni=- in=- out=- duration=D closed=- client_eof=- phase=done exit=0 program=exit:0"
	run grep -c "Spawned $TLSMUX" "$LOG"
	assert_output 1
}

@test "--exec, TLS: decrypted bytes through a socketpair; no key path, no key fd, no key text left in tlsmux-tls" {
	CREDENTIALS_DIRECTORY=$T start_tlsmux sa --exec "/usr/bin/python3 $T/inspect.py $T $T/go" \
		--cert "$CERT" --key "$KEY"
	py_client --tls --out "$T/out" --report "$T/report" send:"secret bytes" shut &
	local client=$!
	wait_until 20 test -s "$T/program.ppid"
	# While the program runs, tlsmux-tls (its parent) pumps for it: the
	# key file's base64 body must not be in its memory, while the key's
	# path (in its argv) is, which shows the search itself works.
	local helper
	helper=$(cat "$T/program.ppid")
	assert_equal "$(cat "/proc/$helper/comm")" "tlsmux-tls"
	run python3 "$TLSMUX_ROOT/tests/lib/keyscan.py" "$helper" "$KEY" "$CERT"
	assert_output "key body in memory: no
key path in memory: yes"
	run ls -l "/proc/$helper/fd"
	refute_output --partial "$KEY"
	touch "$T/go"
	wait "$client"
	wait_for_summary
	run cat "$T/out"
	assert_output - <<-EOF
		env PROTO=TCP
		env SSL_CIPHER=TLS_AES_256_GCM_SHA384
		env SSL_PROTOCOL=TLSv1.3
		env SSL_TLS_SNI_SERVERNAME=localhost
		env TCPLOCALIP=127.0.0.1
		env TCPLOCALPORT=$PORT
		env TCPREMOTEIP=127.0.0.1
		env TCPREMOTEPORT=$(summary_field client | cut -d: -f2)
		env TLS=1
		fd 0 socket:
		fd 1 socket:
		fd 2 $LOG
		peer unix
		secret bytes
	EOF
	run grep -x server_eof=close_notify "$T/report"
	assert_success
	run log_normalized
	assert_output --partial "path=tls backend=exec:/usr/bin/python3 version=TLS1.3 cipher=AES-256-GCM sni=localhost in=12 "
	assert_output --partial " closed=client client_eof=close_notify phase=done exit=0 program=exit:0"
}

@test "--exec: the client half-closes, the program answers after EOF; its exit status is logged (plain and TLS)" {
	start_tlsmux sa --exec "/bin/sh $T/done3.sh" --cert "$CERT" --key "$KEY"
	run plain_client <<<"hello"
	assert_success
	assert_output "hello
done"
	wait_for_summary 1
	run gnutls_client <<<"hello"
	assert_success
	assert_output "hello
done"
	wait_for_summary 2
	assert_log_lines \
		"tlsmux: program /bin/sh ended with exit:3" \
		"tlsmux: conn client=127.0.0.1:PORT path=plain backend=exec:/bin/sh version=- cipher=- sni=- in=- out=- duration=D closed=- client_eof=- phase=done exit=0 program=exit:3" \
		"tlsmux: program /bin/sh ended with exit:3" \
		"tlsmux: conn client=127.0.0.1:PORT path=tls backend=exec:/bin/sh version=TLS1.3 cipher=AES-256-GCM sni=localhost in=6 out=11 duration=D closed=client client_eof=close_notify phase=done exit=0 program=exit:3"
}

@test "--exec: a program that speaks first and ends first; the client still gets every byte (TLS, 1 MiB)" {
	head -c 1048576 /dev/urandom >"$T/blob"
	printf 'cat %s\n' "$T/blob" >"$T/send.sh"
	start_tlsmux sa --exec "/bin/sh $T/send.sh" --cert "$CERT" --key "$KEY"
	run py_client --tls --out "$T/got" --report "$T/report" eof shut
	assert_success
	assert_equal "$(sha256_of "$T/got")" "$(sha256_of "$T/blob")"
	run grep -x server_eof=close_notify "$T/report"
	assert_success
	wait_for_summary
	run log_normalized
	assert_output "tlsmux: conn client=127.0.0.1:PORT path=tls backend=exec:/bin/sh version=TLS1.3 cipher=AES-256-GCM sni=localhost in=0 out=1048576 duration=D closed=program client_eof=close_notify phase=done exit=0 program=exit:0"
}

@test "--exec with a program that cannot run: one line, exit 69 (plain and TLS)" {
	start_tlsmux sa --exec "$T/missing-program arg" --cert "$CERT" --key "$KEY"
	run plain_client <<<"hello"
	assert_output ""
	wait_for_summary 1
	run py_client --tls send:hello shut
	assert_failure 2
	assert_output --partial "TLSV1_ALERT_INTERNAL_ERROR"
	wait_for_summary 2
	assert_log_lines \
		"tlsmux: cannot run $T/missing-program: no such file or directory" \
		"tlsmux: conn client=127.0.0.1:PORT path=plain backend=exec:$T/missing-program version=- cipher=- sni=- in=0 out=0 duration=D closed=tlsmux client_eof=- phase=connect exit=69" \
		"tlsmux: cannot run $T/missing-program: no such file or directory" \
		"tlsmux: conn client=127.0.0.1:PORT path=tls backend=exec:$T/missing-program version=TLS1.3 cipher=AES-256-GCM sni=localhost in=0 out=0 duration=D closed=tlsmux client_eof=- phase=connect exit=69"
}

@test "--exec under tcpserver: the program's stdin and stdout are the client, as with tcpserver alone" {
	start_tlsmux tcpserver --exec "/usr/bin/python3 $T/inspect.py $T" \
		--cert "$CERT" --key "$KEY"
	run py_client send:"via tcpserver" shut
	assert_success
	assert_line "env PROTO=TCP"
	assert_line "env TCPREMOTEIP=127.0.0.1"
	assert_line "env TCPLOCALPORT=$PORT"
	assert_line "env TLS=0"
	assert_line "via tcpserver"
	refute_line --partial "TCPLOCALHOST"
}

@test "--exec with --backend, or an empty --exec: exit 64" {
	run --separate-stderr "$TLSMUX" --exec /bin/cat --backend 127.0.0.1:9 </dev/null
	assert_failure 64
	assert_stderr "tlsmux: --exec and --backend: give one (--tls-backend and --plain-backend may go with --exec)"
	run --separate-stderr "$TLSMUX" --exec " " </dev/null
	assert_failure 64
	assert_stderr "tlsmux: --exec: no program given"
}
