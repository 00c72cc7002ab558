#!/usr/bin/env python3
"""Test backend for tlsmux: a TCP or unix-socket server whose replies prove
what it received (path, order, integrity) and how the client ended.

Modes:
  echo        echo bytes as they come; on EOF finish echoing, then shut down writing
  reply       read until EOF, then answer "got N sha256=HEX\n" (a half-close test)
  banner      send "220 backend ready\n" at once (server speaks first), then echo
  exchange F  send file F while reading everything; record the sha256 of what came in
  http        answer one HTTP request with "hello from the backend\n", then close
  closefirst  send "bye from the backend\n" and shut down writing at once, then
              read everything the client still sends (the backend ends first)
  reset       read the first bytes, then reset the connection (SO_LINGER 0)
  hold        read to EOF, then neither answer nor close (a half-open peer)
  flood       send random bytes without end; the running total goes to
              RECORD.sent (back-pressure shows as a total that stops)
  fullbacklog never accept; the listen queue is filled at start, so a connect
              hangs until the client's deadline (a connect timeout on loopback)
Each connection appends "conn N sha256=HEX first=HEX" to --record after it ends;
with --proxy, a "proxy N key=value..." line describing its PROXY header first.
"""
import argparse
import hashlib
import os
import select
import socket
import struct
import sys
import threading
import time


PROXY_V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed inside the PROXY header")
        data += chunk
    return data


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def endpoint(family, ip, port):
    text = socket.inet_ntop(family, ip)
    return ("[%s]:%d" if family == socket.AF_INET6 else "%s:%d") % (text, port)


def read_proxy_header(conn):
    """Read exactly one PROXY header (v1 or v2) and describe it as
    key=value fields; written independently of tlsmux's own parser."""
    first = read_exact(conn, 1)
    fields = []
    if first == b"P":
        line = first
        while not line.endswith(b"\r\n"):
            if len(line) >= 107:
                raise ValueError("v1 line too long")
            line += read_exact(conn, 1)
        parts = line[:-2].decode("ascii").split(" ")
        fields.append("v=1")
        fields.append("proto=%s" % parts[1])
        if parts[1] in ("TCP4", "TCP6"):
            fields.append("src=%s:%s" % (parts[2], parts[4]) if parts[1] == "TCP4"
                          else "src=[%s]:%s" % (parts[2], parts[4]))
            fields.append("dst=%s:%s" % (parts[3], parts[5]) if parts[1] == "TCP4"
                          else "dst=[%s]:%s" % (parts[3], parts[5]))
        return " ".join(fields)
    head = first + read_exact(conn, 15)
    if head[:12] != PROXY_V2_SIGNATURE:
        raise ValueError("no PROXY header")
    body = read_exact(conn, int.from_bytes(head[14:16], "big"))
    fields.append("v=2")
    fields.append("cmd=%s" % {0: "local", 1: "proxy"}[head[12] & 0x0F])
    family = {0x00: "unspec", 0x11: "tcp4", 0x21: "tcp6", 0x31: "unix"}[head[13]]
    fields.append("fam=%s" % family)
    off = 0
    if family == "tcp4":
        fields.append("src=" + endpoint(socket.AF_INET, body[0:4], int.from_bytes(body[8:10], "big")))
        fields.append("dst=" + endpoint(socket.AF_INET, body[4:8], int.from_bytes(body[10:12], "big")))
        off = 12
    elif family == "tcp6":
        fields.append("src=" + endpoint(socket.AF_INET6, body[0:16], int.from_bytes(body[32:34], "big")))
        fields.append("dst=" + endpoint(socket.AF_INET6, body[16:32], int.from_bytes(body[34:36], "big")))
        off = 36
    elif family == "unix":
        off = 216

    def tlvs(data, start):
        i = start
        while i < len(data):
            kind, length = data[i], int.from_bytes(data[i + 1:i + 3], "big")
            if i + 3 + length > len(data):
                raise ValueError("TLV past the end")
            yield kind, i + 3, data[i + 3:i + 3 + length]
            i += 3 + length

    names = {0x01: "alpn", 0x02: "authority", 0x05: "unique_id"}
    sub_names = {0x21: "ssl_version", 0x22: "ssl_cn", 0x23: "ssl_cipher",
                 0x24: "ssl_sig_alg", 0x25: "ssl_key_alg"}
    for kind, at, value in tlvs(body, off):
        if kind in names:
            fields.append("%s=%s" % (names[kind], value.decode()))
        elif kind == 0x03:
            whole = bytearray(head + body)
            whole[16 + at:16 + at + 4] = b"\0\0\0\0"
            ok = crc32c(bytes(whole)) == int.from_bytes(value, "big")
            fields.append("crc32c=%s" % ("ok" if ok else "bad"))
        elif kind == 0x20:
            fields.append("ssl_client=%d" % value[0])
            fields.append("ssl_verify=%d" % int.from_bytes(value[1:5], "big"))
            for sub, _, sub_value in tlvs(value, 5):
                if sub in sub_names:
                    fields.append("%s=%s" % (sub_names[sub], sub_value.decode()))
        else:
            fields.append("tlv_0x%02x=%s" % (kind, value.hex()))
    return " ".join(fields)


def serve(conn, args, number):
    h = hashlib.sha256()
    total = 0
    first = b""
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1) if conn.family != socket.AF_UNIX else None
    sender = None
    if args.proxy:
        try:
            described = read_proxy_header(conn)
        except (ValueError, KeyError, UnicodeDecodeError, ConnectionError) as e:
            described = "error=%s" % str(e).replace(" ", "_")
        with open(args.record, "a") as f:
            f.write("proxy %d %s\n" % (number, described))
    if args.mode == "banner":
        conn.sendall(b"220 backend ready\n")
    if args.mode == "closefirst":
        conn.sendall(b"bye from the backend\n")
        conn.shutdown(socket.SHUT_WR)
    if args.mode == "http":
        request = b""
        while b"\r\n\r\n" not in request:
            data = conn.recv(4096)
            if not data:
                break
            request += data
        body = b"hello from the backend\n"
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                     % (len(body), body))
        conn.shutdown(socket.SHUT_WR)
        first = request[:16]
        total = len(request)
        h.update(request)
    if args.mode == "reset":
        first = conn.recv(16)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
        ending = "reset"
        if args.record:
            with open(args.record, "a") as f:
                f.write("conn %d bytes=%d sha256=- first=%s end=%s\n"
                        % (number, len(first), first.hex(), ending))
        return
    if args.mode == "flood":
        def flood():
            chunk = os.urandom(65536)
            sent = 0
            try:
                while True:
                    conn.sendall(chunk)
                    sent += len(chunk)
                    with open(args.record + ".sent.tmp", "w") as f:
                        f.write("%d\n" % sent)
                    os.rename(args.record + ".sent.tmp", args.record + ".sent")
            except OSError:
                pass
        sender = threading.Thread(target=flood, daemon=True)
        sender.start()
    if args.mode == "exchange":
        def send_file():
            with open(args.file, "rb") as f:
                while True:
                    chunk = f.read(65536)
                    if not chunk:
                        break
                    conn.sendall(chunk)
            conn.shutdown(socket.SHUT_WR)
        sender = threading.Thread(target=send_file, daemon=True)
        sender.start()
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            if len(first) < 16:
                first += data[: 16 - len(first)]
            total += len(data)
            h.update(data)
            if args.mode in ("echo", "banner"):
                conn.sendall(data)
        if args.mode == "hold":
            while True:
                time.sleep(3600)
        if args.mode == "reply":
            conn.sendall(("got %d sha256=%s\n" % (total, h.hexdigest())).encode())
        if args.mode in ("echo", "banner", "reply"):
            conn.shutdown(socket.SHUT_WR)
        if sender:
            sender.join()
        ending = "eof"
    except OSError as e:
        ending = "error:%s" % e.__class__.__name__
    finally:
        conn.close()
    if args.record:
        with open(args.record, "a") as f:
            f.write("conn %d bytes=%d sha256=%s first=%s end=%s\n"
                    % (number, total, h.hexdigest(), first.hex(), ending))


def fill_backlog(s, where, port_file):
    """listen(0) queues one connection; with it queued and never accepted,
    Linux drops further SYNs, so a new connect neither succeeds nor fails."""
    s.listen(0)
    port = s.getsockname()[1]
    fillers = []
    for _ in range(2):
        c = socket.socket(s.family, socket.SOCK_STREAM)
        c.setblocking(False)
        c.connect_ex((s.getsockname()[0], port))
        fillers.append(c)
    # Readiness: the queue holds a connection (the first filler connected).
    select.select([], [fillers[0]], [], 5)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(where + "\n")
    os.rename(tmp, port_file)
    while True:
        time.sleep(3600)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", default="echo",
                   choices=["echo", "reply", "banner", "exchange", "http",
                            "closefirst", "fullbacklog", "reset", "hold",
                            "flood"])
    p.add_argument("--file")
    p.add_argument("--listen", default="127.0.0.1",
                   help="127.0.0.1, ::1, unix:/path or @abstract")
    p.add_argument("--port-file", required=True,
                   help="written once listening: the port (or the path)")
    p.add_argument("--record")
    p.add_argument("--proxy", action="store_true",
                   help="expect a PROXY header first; record it as a \"proxy N ...\" line")
    args = p.parse_args()

    if args.listen.startswith("unix:") or args.listen.startswith("@"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        path = args.listen[5:] if args.listen.startswith("unix:") else "\0" + args.listen[1:]
        s.bind(path)
        where = args.listen
    else:
        family = socket.AF_INET6 if ":" in args.listen else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        s.bind((args.listen, 0))
        where = str(s.getsockname()[1])
    if args.mode == "fullbacklog":
        return fill_backlog(s, where, args.port_file)
    s.listen(128)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(where + "\n")
    os.rename(tmp, args.port_file)
    number = 0
    while True:
        conn, _ = s.accept()
        number += 1
        threading.Thread(target=serve, args=(conn, args, number), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
