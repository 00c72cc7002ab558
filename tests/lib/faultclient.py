#!/usr/bin/env python3
"""Misbehaving clients for tlsmux's fault tests.  Every wait has a deadline.

  faultclient.py PORT reset-after N         send N random bytes, read until the
                                            echo of the first byte, then reset
                                            (SO_LINGER 0) while data still flows
  faultclient.py PORT stop-reading FILE     send one line, never read again;
                                            close when FILE exists
  faultclient.py PORT trickle FILE GAP      send FILE one byte every GAP seconds
                                            until the server closes
  faultclient.py PORT silent                connect, say nothing, wait for EOF
  faultclient.py PORT big-hello CAFILE      TLS with a ClientHello over 16 KiB
                                            (a long ALPN list), sent in 1000-byte
                                            segments; then 1 MiB each way
  faultclient.py PORT max-records CAFILE    TLS: send 4 MiB as 16 KiB records,
                                            read the echo; report record sizes
  faultclient.py - hello                    write a ClientHello to standard output
Results go to standard output as key=value lines.  Exit status: 0 as
expected, 1 deadline passed, 2 unexpected end.
"""
import hashlib
import os
import select
import socket
import ssl
import struct
import sys
import time

DEADLINE = time.monotonic() + 40


def remaining():
    left = DEADLINE - time.monotonic()
    if left <= 0:
        print("deadline passed", file=sys.stderr)
        sys.exit(1)
    return left


def connect(port):
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_to_eof(s):
    """Bytes until the server's EOF or reset; returns (count, how)."""
    total = 0
    while True:
        s.settimeout(remaining())
        try:
            data = s.recv(65536)
        except ConnectionResetError:
            return total, "reset"
        if not data:
            return total, "eof"
        total += len(data)


def reset_after(port, n):
    s = connect(port)
    payload = os.urandom(int(n))
    s.setblocking(False)
    sent = got = 0
    # Keep sending while the echo comes back; reset once some has.
    while got == 0:
        r, w, _ = select.select([s], [s] if sent < len(payload) else [], [], remaining())
        if w:
            sent += s.send(payload[sent:sent + 65536])
        if r:
            got += len(s.recv(65536))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    print("sent=%d" % sent)


def stop_reading(port, flag):
    s = connect(port)
    s.sendall(b"give me everything\n")
    while not os.path.exists(flag):
        remaining()
        time.sleep(0.05)
    s.close()


def trickle(port, path, gap):
    data = open(path, "rb").read()
    s = connect(port)
    sent = 0
    for i in range(len(data)):
        r, _, _ = select.select([s], [], [], float(gap))
        if r:
            break       # the server spoke or closed: stop trickling
        try:
            s.send(data[i:i + 1])
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += 1
        remaining()
    count, how = read_to_eof(s)
    print("sent=%d received=%d end=%s" % (sent, count, how))


def silent(port):
    s = connect(port)
    count, how = read_to_eof(s)
    print("received=%d end=%s" % (count, how))


def hello_bytes(alpn=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if alpn:
        ctx.set_alpn_protocols(alpn)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def records(data):
    """(content type, length) of each whole TLS record in data."""
    out, at = [], 0
    while at + 5 <= len(data):
        length = int.from_bytes(data[at + 3:at + 5], "big")
        if at + 5 + length > len(data):
            break
        out.append((data[at], length))
        at += 5 + length
    return out


class TlsOverSocket:
    """TLS over memory BIOs: every byte on the wire passes through here."""

    def __init__(self, port, cafile, alpn=None, segment=0):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cafile)
        if alpn:
            ctx.set_alpn_protocols(alpn)
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.incoming, self.outgoing, server_hostname="localhost")
        self.sock = connect(port)
        self.segment = segment
        self.wire_out = bytearray()
        self.wire_in = bytearray()

    def flush(self):
        data = self.outgoing.read()
        self.wire_out += data
        step = self.segment or len(data) or 1
        for i in range(0, len(data), step):
            self.sock.settimeout(remaining())
            self.sock.sendall(data[i:i + step])
            if self.segment:
                time.sleep(0.002)   # one segment each: TCP_NODELAY, a pause

    def pull(self):
        self.sock.settimeout(remaining())
        data = self.sock.recv(262144)
        if not data:
            self.incoming.write_eof()
        else:
            self.wire_in += data
            self.incoming.write(data)
        return data

    def handshake(self):
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                pass
            self.flush()
            if not self.pull():
                raise ConnectionError("server closed during the handshake")
        self.flush()

    def exchange(self, payload, chunk):
        """Send payload in chunk-sized writes, then close_notify; read the echo to its end."""
        got = hashlib.sha256()
        received = 0
        self.sock.setblocking(False)
        sent = 0
        eof = False
        while not eof:
            remaining()
            if sent < len(payload) and len(self.wire_pending()) == 0:
                self.tls.write(payload[sent:sent + chunk])
                sent += min(chunk, len(payload) - sent)
                if sent == len(payload):
                    try:
                        self.tls.unwrap()
                    except ssl.SSLWantReadError:
                        pass
                self.pending = self.outgoing.read()
                self.wire_out += self.pending
            r, w, _ = select.select([self.sock], [self.sock] if self.wire_pending() else [], [], 1)
            if w:
                n = self.sock.send(self.pending)
                self.pending = self.pending[n:]
            if r:
                data = self.sock.recv(262144)
                if not data:
                    self.incoming.write_eof()
                else:
                    self.wire_in += data
                    self.incoming.write(data)
                while True:
                    try:
                        plain = self.tls.read(65536)
                    except ssl.SSLWantReadError:
                        break
                    except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                        eof = True
                        break
                    if not plain:
                        eof = True
                        break
                    got.update(plain)
                    received += len(plain)
                if not data:
                    eof = True
        return received, got.hexdigest()

    pending = b""

    def wire_pending(self):
        return self.pending


def big_hello(port, cafile):
    # 160 names of 250 bytes: an ALPN extension of about 40 KiB.
    alpn = ["x%03d" % i + "a" * 246 for i in range(160)]
    c = TlsOverSocket(port, cafile, alpn=alpn, segment=1000)
    c.handshake()
    hello_records = 0
    hello_bytes_total = 0
    for kind, length in records(bytes(c.wire_out)):
        if kind != 0x16:
            break
        hello_records += 1
        hello_bytes_total += length
    payload = os.urandom(1 << 20)
    received, digest = c.exchange(payload, 16384)
    print("hello_bytes=%d hello_records=%d version=%s" % (hello_bytes_total, hello_records, c.tls.version()))
    print("sent_sha256=%s received=%d received_sha256=%s" % (hashlib.sha256(payload).hexdigest(), received, digest))


def max_records(port, cafile):
    c = TlsOverSocket(port, cafile)
    c.handshake()
    handshake_in = len(c.wire_in)
    payload = os.urandom(4 << 20)
    received, digest = c.exchange(payload, 16384)
    out = [n for kind, n in records(bytes(c.wire_out)) if kind == 0x17]
    into = [n for kind, n in records(bytes(c.wire_in[handshake_in:])) if kind == 0x17]
    print("sent_sha256=%s received=%d received_sha256=%s" % (hashlib.sha256(payload).hexdigest(), received, digest))
    # TLS 1.3: 16384 bytes of data + 1 content type byte + 16 bytes of tag.
    print("max_out=%d full_out=%d max_in=%d full_in=%d" % (
        max(out), sum(1 for n in out if n == 16401), max(into), sum(1 for n in into if n == 16401)))


def main():
    port, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    try:
        if mode == "reset-after":
            reset_after(port, *args)
        elif mode == "stop-reading":
            stop_reading(port, *args)
        elif mode == "trickle":
            trickle(port, *args)
        elif mode == "silent":
            silent(port)
        elif mode == "big-hello":
            big_hello(port, *args)
        elif mode == "max-records":
            max_records(port, *args)
        elif mode == "hello":
            sys.stdout.buffer.write(hello_bytes())
        else:
            sys.exit("unknown mode %s" % mode)
    except (ConnectionError, ssl.SSLError, socket.timeout) as e:
        print("error=%s" % e.__class__.__name__)
        print("client: %s" % e, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
