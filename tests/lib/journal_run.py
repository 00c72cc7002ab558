#!/usr/bin/env python3
"""Run a command the way systemd does with StandardError=journal: stderr is a
stream socket named by JOURNAL_STREAM, and a journal socket listens at
SOCKET (the caller makes that path private, e.g. with unshare -m).
Prints each datagram received as 'datagram:' + its fields joined by '|',
and whatever came through the stderr stream as 'stderr:' lines.

  journal_run.py SOCKET COMMAND [ARGS...]   (stdin is passed through)
"""
import os
import socket
import subprocess
import sys


def main():
    path, command = sys.argv[1], sys.argv[2:]
    if os.path.exists(path):
        os.unlink(path)
    journal = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    journal.bind(path)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    st = os.fstat(theirs.fileno())
    env = dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
    proc = subprocess.Popen(command, stderr=theirs.fileno(), env=env)
    theirs.close()
    rc = proc.wait(timeout=30)
    journal.setblocking(False)
    while True:
        try:
            data = journal.recv(65536)
        except BlockingIOError:
            break
        print("datagram:" + "|".join(data.decode(errors="replace").rstrip("\n").split("\n")))
    ours.settimeout(1)
    stream = b""
    try:
        while True:
            chunk = ours.recv(65536)
            if not chunk:
                break
            stream += chunk
    except socket.timeout:
        pass
    for line in stream.decode(errors="replace").splitlines():
        print("stderr:" + line)
    print("exit:%d" % rc)


if __name__ == "__main__":
    main()
