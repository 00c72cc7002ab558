#!/usr/bin/env python3
"""Hold N idle connections to a Redis service through a relay, for the
memory measurement: each connection does one PING/PONG (so every relay
has set up its whole path, TLS included), then stays open and silent.
Prints "ready" once all are up and waits for its standard input to close.
    idle.py PORT N [tls]
"""
import socket
import ssl
import sys


def main():
    port, count = int(sys.argv[1]), int(sys.argv[2])
    use_tls = len(sys.argv) > 3 and sys.argv[3] == "tls"
    context = None
    if use_tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    held = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        if context is not None:
            sock = context.wrap_socket(sock, server_hostname="localhost")
        sock.sendall(b"PING\r\n")
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = sock.recv(64)
            if not chunk:
                sys.exit("connection closed before PONG")
            reply += chunk
        if reply != b"+PONG\r\n":
            sys.exit("unexpected reply %r" % reply)
        held.append(sock)
    print("ready", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
