#!/usr/bin/env python3
"""Test client for tlsmux, plain or TLS, that controls how its sending side
ends: TLS runs over memory BIOs, so the client can send close_notify, a bare
TCP FIN, or keep writing after the server ended its side, while it keeps
reading.

Actions run in order; bytes keep flowing both ways while an action waits:
  send:TEXT       queue TEXT for sending (\\n is a newline)
  sendfile:PATH   queue the contents of PATH
  shut            once the queue is sent, end the sending side the proper
                  way: close_notify and FIN (TLS), FIN (plain)
  fin             once the queue is sent, send a bare TCP FIN (no close_notify)
  expect:TEXT     wait until the bytes received so far contain TEXT
  eof             wait for the server's end of stream
  touch:PATH      create PATH
  wait:PATH       wait until PATH exists
After the last action the client reads until the server's end of stream.

--bind picks the source address, --preface sends a file's bytes raw
before anything else (a PROXY header), --alpn offers protocols.
--tls12 offers TLS 1.2 at most; --read-chunk and --read-delay make a slow
reader.  Received bytes go to --out (default: standard output).  --report gets
key=value lines: sent, sent_sha256, received, received_sha256, server_eof
(close_notify or fin), peer_cn, peer_sha256 and alpn (TLS).
Exit status: 0 done, 1 deadline passed, 2 connection error.
"""
import argparse
import hashlib
import os
import select
import socket
import ssl
import sys
import time

TAIL = 1 << 20


class Client:
    def __init__(self, args):
        self.args = args
        self.deadline = time.monotonic() + args.timeout
        host, port = args.connect.rsplit(":", 1)
        source = (args.bind, 0) if args.bind else None
        self.sock = socket.create_connection((host, int(port)), timeout=args.timeout,
                                             source_address=source)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if args.preface:
            with open(args.preface, "rb") as f:
                self.sock.sendall(f.read())
        self.tls = None
        self.net_out = bytearray()
        self.queue = []          # bytes or open files, in order
        self.sent = 0
        self.sent_hash = hashlib.sha256()
        self.received = 0
        self.received_hash = hashlib.sha256()
        self.tail = bytearray()
        self.server_eof = None
        self.write_shut = False
        self.next_read = 0.0
        self.out = open(args.out, "wb") if args.out else sys.stdout.buffer
        self.report = {}
        if args.tls:
            self.handshake()
        self.sock.setblocking(False)

    # TLS over memory BIOs: we decide what reaches the socket and when.
    def handshake(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.args.cafile)
        if self.args.tls12:
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        if self.args.alpn:
            ctx.set_alpn_protocols(self.args.alpn.split(","))
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.incoming, self.outgoing,
                                server_hostname=self.args.servername)
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                pass
            self.sock.sendall(self.outgoing.read())
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("server closed during the handshake")
            self.incoming.write(data)
        self.sock.sendall(self.outgoing.read())
        der = self.tls.getpeercert(binary_form=True)
        subject = dict(x[0] for x in self.tls.getpeercert()["subject"])
        self.report["peer_cn"] = subject.get("commonName", "-")
        self.report["peer_sha256"] = hashlib.sha256(der).hexdigest()
        self.report["version"] = self.tls.version()
        self.report["alpn"] = self.tls.selected_alpn_protocol() or "-"

    def got(self, data):
        self.received += len(data)
        self.received_hash.update(data)
        self.out.write(data)
        self.tail += data
        if len(self.tail) > TAIL:
            del self.tail[: len(self.tail) - TAIL]

    def decrypt(self):
        while self.server_eof is None:
            try:
                data = self.tls.read(65536)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:
                self.server_eof = "close_notify"
                break
            except ssl.SSLEOFError:
                self.server_eof = "fin"
                break
            if not data:
                self.server_eof = "close_notify"
                break
            self.got(data)
        self.net_out += self.outgoing.read()

    def on_readable(self):
        size = self.args.read_chunk or 262144
        try:
            data = self.sock.recv(size)
        except BlockingIOError:
            return
        if self.args.read_delay:
            self.next_read = time.monotonic() + self.args.read_delay
        if self.tls is None:
            if data:
                self.got(data)
            else:
                self.server_eof = "fin"
            return
        if data:
            self.incoming.write(data)
        else:
            self.incoming.write_eof()
        self.decrypt()

    # Plaintext from the queue, encrypted if need be, into net_out.
    def fill(self):
        while self.queue and len(self.net_out) < 262144:
            item = self.queue[0]
            if isinstance(item, bytes):
                chunk, self.queue[0] = item[:16384], item[16384:]
                if not self.queue[0]:
                    self.queue.pop(0)
            else:
                chunk = item.read(16384)
                if not chunk:
                    item.close()
                    self.queue.pop(0)
                    continue
            self.sent += len(chunk)
            self.sent_hash.update(chunk)
            if self.tls is None:
                self.net_out += chunk
            else:
                self.tls.write(chunk)
                self.net_out += self.outgoing.read()

    def on_writable(self):
        try:
            n = self.sock.send(self.net_out[:262144])
        except BlockingIOError:
            return
        del self.net_out[:n]

    def end_write(self, how):
        if self.tls is not None and how == "shut":
            # Records already in the BIO are decrypted first: the second
            # SSL_shutdown() inside unwrap() may read and would drop them.
            self.decrypt()
            try:
                self.tls.unwrap()
            except ssl.SSLWantReadError:
                pass
            self.net_out += self.outgoing.read()
        while self.net_out:
            self.step(0.05)
        self.sock.shutdown(socket.SHUT_WR)
        self.write_shut = True

    def step(self, timeout):
        now = time.monotonic()
        if now > self.deadline:
            raise TimeoutError("deadline passed")
        self.fill()
        readers, writers = [], []
        if self.server_eof is None:
            if now >= self.next_read:
                readers.append(self.sock)
            else:
                timeout = min(timeout, self.next_read - now)
        if self.net_out:
            writers.append(self.sock)
        r, w, _ = select.select(readers, writers, [], max(timeout, 0))
        if w:
            self.on_writable()
        if r:
            self.on_readable()

    def wait(self, done):
        while not done():
            self.step(0.05)

    def run(self, actions):
        for action in actions:
            verb, _, arg = action.partition(":")
            if verb == "send":
                self.queue.append(arg.replace("\\n", "\n").encode())
            elif verb == "sendfile":
                self.queue.append(open(arg, "rb"))
            elif verb in ("shut", "fin"):
                self.wait(lambda: not self.queue)
                self.end_write(verb)
            elif verb == "expect":
                want = arg.replace("\\n", "\n").encode()
                self.wait(lambda: want in self.tail)
            elif verb == "eof":
                self.wait(lambda: self.server_eof is not None)
            elif verb == "touch":
                open(arg, "a").close()
            elif verb == "wait":
                self.wait(lambda: os.path.exists(arg))
            else:
                raise ValueError("unknown action %s" % action)
        self.wait(lambda: self.server_eof is not None and not self.net_out
                  and not self.queue)

    def write_report(self, error=None):
        self.out.flush()
        self.report.update(sent=self.sent, sent_sha256=self.sent_hash.hexdigest(),
                           received=self.received,
                           received_sha256=self.received_hash.hexdigest(),
                           server_eof=self.server_eof or "-")
        if error:
            self.report["error"] = error
        if self.args.report:
            with open(self.args.report, "w") as f:
                for k, v in self.report.items():
                    f.write("%s=%s\n" % (k, v))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--connect", required=True, help="host:port")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--cafile")
    p.add_argument("--servername", default="localhost")
    p.add_argument("--tls12", action="store_true", help="offer TLS 1.2 at most")
    p.add_argument("--out")
    p.add_argument("--report")
    p.add_argument("--read-chunk", type=int, default=0)
    p.add_argument("--read-delay", type=float, default=0.0, help="seconds")
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--bind", help="source address, e.g. 127.0.0.5")
    p.add_argument("--preface", help="file whose bytes go first, raw (a PROXY header)")
    p.add_argument("--alpn", help="protocols to offer, comma-separated")
    p.add_argument("actions", nargs="*")
    args = p.parse_args()
    client = None
    try:
        client = Client(args)
        client.run(args.actions)
    except TimeoutError as e:
        if client:
            client.write_report("timeout")
        print("client: %s" % e, file=sys.stderr)
        return 1
    except (OSError, ssl.SSLError, ConnectionError) as e:
        if client:
            client.write_report("%s: %s" % (e.__class__.__name__, e))
        print("client: %s: %s" % (e.__class__.__name__, e), file=sys.stderr)
        return 2
    client.write_report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
