#!/usr/bin/env python3
"""Open N plain connections to HOST:PORT as fast as the kernel accepts
them, each sending one line and waiting for it back, at most CONCURRENCY
open at once, from up to SOURCES loopback addresses; bounded by --deadline.  Prints "served N refused N
unfinished N seconds S": a connection closed before its line came back
was refused (systemd's MaxConnections= drops the excess at once)."""
import argparse
import resource
import selectors
import socket
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--connect", required=True)
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--concurrency", type=int, default=400)
    p.add_argument("--deadline", type=float, default=90.0)
    p.add_argument("--sources", type=int, default=1,
                   help="spread over 127.0.0.1 .. 127.0.0.N as source addresses")
    a = p.parse_args()
    host, port = a.connect.rsplit(":", 1)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sel = selectors.DefaultSelector()
    start = time.monotonic()
    end = start + a.deadline
    opened = served = refused = 0
    while (opened < a.count or sel.get_map()) and time.monotonic() < end:
        while opened < a.count and len(sel.get_map()) < a.concurrency:
            s = socket.socket()
            s.setblocking(False)
            if a.sources > 1:
                s.bind(("127.0.0.%d" % (1 + opened % a.sources), 0))
            s.connect_ex((host, int(port)))
            line = b"burst %d\n" % opened
            sel.register(s, selectors.EVENT_WRITE, [line, b""])
            opened += 1
        for key, ev in sel.select(timeout=0.5):
            s, state = key.fileobj, key.data
            try:
                if ev & selectors.EVENT_WRITE:
                    s.send(state[0])
                    sel.modify(s, selectors.EVENT_READ, state)
                    continue
                data = s.recv(4096)
            except OSError:
                data = b""
            if data:
                state[1] += data
                if state[1] != state[0]:
                    continue
                served += 1
            else:
                refused += 1
            sel.unregister(s)
            s.close()
    unfinished = len(sel.get_map()) + a.count - opened
    print("served %d refused %d unfinished %d seconds %.1f"
          % (served, refused, unfinished, time.monotonic() - start))


if __name__ == "__main__":
    main()
