#!/usr/bin/env python3
"""A trading day in one run: FIX-like sessions through tlsmux.

One process plays both ends.  The backend side listens on 127.0.0.1 and
writes its port to --port-file; once --tlsmux-port-file appears, the
client side opens one TLS and one plain session through tlsmux and keeps
both open: heartbeats (35=0) both ways every --interval seconds, a test
request (35=1) every tenth message, each message with its sequence number
(34=), body length (9=), checksum (10=) and a text (58=) that the receiver
recomputes from the sequence number, so that a lost, duplicated,
reordered or changed message is caught on either side.

Meanwhile the driver renews the certificate --renewals times through the
shipped certbot deploy hook (a new key and certificate from the test CA
each time) and checks that the next connection is served the new one,
and rotates the session ticket key --rotations times with
`tlsmux --new-ticket-key` and checks that a ticket sealed before the
rotation no longer resumes while one sealed after it does.  Every probe
logs on and out over its own connection.  At the end both long sessions
log out cleanly.  Prints one summary line; exits 1 on any error.

--quiet-after N: instead of the renewals, heartbeat for N seconds, then
stop sending on both sessions and report when (and how) tlsmux ends them;
with --one-way only the client heartbeats, the backend sends nothing after
its logon reply.
"""

import argparse
import hashlib
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

SOH = b"\x01"
DEADLINE = 10.0  # seconds any single read or probe may take


def text_for(side, seq):
    """The 58= text of message SEQ from SIDE: its length varies with seq."""
    seed = hashlib.sha256(f"{side}:{seq}".encode()).hexdigest()
    return (seed * 40)[: 16 + (seq * 37) % 1500]


def encode(msg_type, seq, fields):
    body = b"35=%s\x0134=%d\x01" % (msg_type.encode(), seq)
    for tag, value in fields:
        body += b"%d=%s\x01" % (tag, value.encode())
    head = b"8=FIX.4.4\x019=%d\x01" % len(body)
    checksum = sum(head + body) % 256
    return head + body + b"10=%03d\x01" % checksum


class Reader:
    """Splits a byte stream into checked FIX messages."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buf += data

    def message(self):
        """The next message as a dict tag -> value; EOFError at the end."""
        while True:
            end = self.buf.find(b"\x0110=")
            if end >= 0 and len(self.buf) >= end + 8:
                break
            self._fill()
        raw, self.buf = self.buf[: end + 8], self.buf[end + 8:]
        if raw[-1:] != SOH:
            raise ValueError(f"no SOH after the checksum: {raw[-20:]!r}")
        checksum = int(raw[end + 4: end + 7])
        if sum(raw[: end + 1]) % 256 != checksum:
            raise ValueError("checksum mismatch")
        fields = raw[: end + 1].split(SOH)[:-1]
        pairs = [f.split(b"=", 1) for f in fields]
        if pairs[0] != [b"8", b"FIX.4.4"] or pairs[1][0] != b"9":
            raise ValueError(f"bad header {raw[:30]!r}")
        body_start = len(fields[0]) + len(fields[1]) + 2
        if int(pairs[1][1]) != end + 1 - body_start:
            raise ValueError("body length mismatch")
        return {int(k): v.decode() for k, v in pairs[2:]}


class Peer:
    """One end of a session: sends numbered messages, checks received ones."""

    def __init__(self, sock, me, other, errors):
        self.sock = sock
        self.reader = Reader(sock)
        self.me, self.other = me, other
        self.sent = 0
        self.received = 0
        self.lock = threading.Lock()
        self.errors = errors

    def send(self, msg_type, extra=()):
        with self.lock:
            self.sent += 1
            seq = self.sent
            fields = list(extra) + [(58, text_for(self.me, seq))]
            self.sock.sendall(encode(msg_type, seq, fields))

    def receive(self):
        msg = self.reader.message()
        self.received += 1
        seq = int(msg.get(34, "0"))
        if seq != self.received:
            raise ValueError(f"{self.me}: got seq {seq}, expected {self.received}")
        if msg.get(58) != text_for(self.other, seq):
            raise ValueError(f"{self.me}: text of seq {seq} changed")
        return msg


def heartbeat_loop(peer, interval, stop, on_error):
    """Send a heartbeat (and every tenth a test request) until STOP."""
    n = 0
    try:
        while not stop.wait(interval):
            n += 1
            if n % 10 == 0:
                peer.send("1", [(112, f"{peer.me}-{n}")])
            else:
                peer.send("0")
    except OSError as e:
        on_error(f"{peer.me}: send: {e}")


# ---------------------------------------------------------------- backend
def serve_session(conn, args, errors):
    """The backend end of one connection, probe or long session."""
    conn.settimeout(None)
    peer = Peer(conn, "server", "client", errors)
    stop = threading.Event()
    beats = None
    try:
        logon = peer.receive()
        if logon.get(35) != "A":
            raise ValueError("first message is not a logon")
        long_session = logon.get(49) == "LONG"
        one_way = logon.get(50) == "ONEWAY"  # the backend then sends nothing
        peer.send("A")
        if long_session and not one_way:
            beats = threading.Thread(target=heartbeat_loop, daemon=True,
                                     args=(peer, args.interval, stop,
                                           errors.append))
            beats.start()
        while True:
            msg = peer.receive()
            if msg.get(35) == "1" and not one_way:
                peer.send("0", [(112, msg.get(112, ""))])
            elif msg.get(35) == "U1":  # the client goes quiet: so do we
                stop.set()
                if beats:
                    beats.join()
            elif msg.get(35) == "5":
                stop.set()
                if beats:
                    beats.join()
                peer.send("5")
                conn.shutdown(socket.SHUT_WR)
                return
    except EOFError:
        # A long session ends only by logout, unless it was told to go quiet.
        if long_session and not stop.is_set():
            errors.append("server: a long session ended without a logout")
    except (OSError, ValueError) as e:
        errors.append(f"server: {e}")
    finally:
        stop.set()
        conn.close()


def backend(listener, args, errors):
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve_session, args=(conn, args, errors),
                         daemon=True).start()


# ---------------------------------------------------------------- clients
def connect(port, tls_ctx, session=None):
    sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    if tls_ctx:
        sock = tls_ctx.wrap_socket(sock, server_hostname="localhost",
                                   session=session)
    return sock


class LongSession:
    """The client end of one session kept open the whole run."""

    def __init__(self, name, port, tls_ctx, args, errors):
        self.name = name
        self.sock = connect(port, tls_ctx)
        self.sock.settimeout(None)
        self.peer = Peer(self.sock, "client", "server", errors)
        self.errors = errors
        self.args = args
        self.stop = threading.Event()
        self.last_rx = time.monotonic()
        self.answers = 0
        self.ended = None  # how the read side ended
        self.logged_out = threading.Event()
        logon = [(49, "LONG")] + ([(50, "ONEWAY")] if args.one_way else [])
        self.peer.send("A", logon)
        if self.peer.receive().get(35) != "A":
            raise ValueError(f"{name}: no logon reply")
        self.rx = threading.Thread(target=self._read, daemon=True)
        self.tx = threading.Thread(target=heartbeat_loop, daemon=True,
                                   args=(self.peer, args.interval, self.stop,
                                         self._error))
        self.rx.start()
        self.tx.start()

    def _error(self, text):
        self.errors.append(f"{self.name}: {text}")

    def _read(self):
        try:
            while True:
                msg = self.peer.receive()
                self.last_rx = time.monotonic()
                if msg.get(35) == "0" and 112 in msg:
                    self.answers += 1
                elif msg.get(35) == "5":
                    self.logged_out.set()
                    if self.sock.recv(1):
                        self._error("bytes after the logout")
                    self.ended = "logout"
                    return
        except EOFError:
            self.ended = "eof"
        except (OSError, ValueError) as e:
            self.ended = f"error: {e}"

    def logout(self):
        self.stop.set()
        self.tx.join()
        self.peer.send("5")
        self.rx.join(DEADLINE)
        if not self.logged_out.is_set():
            self._error(f"no logout reply ({self.ended})")
        close(self.sock)

    def silence(self):
        """Stop sending; return seconds until the read side ends, and how."""
        self.stop.set()
        self.tx.join()
        self.peer.send("U1")
        start = time.monotonic()
        self.rx.join(self.args.quiet_limit)
        return time.monotonic() - start, self.ended


def close(sock):
    """Close as a good client does: close_notify first on TLS."""
    if isinstance(sock, ssl.SSLSocket):
        try:
            sock.unwrap()
        except (OSError, ValueError):
            pass
    sock.close()


def probe(port, tls_ctx, session=None):
    """Log on and off over a new connection: (peer cert DER, session, resumed)."""
    sock = connect(port, tls_ctx, session)
    try:
        sock.settimeout(DEADLINE)
        peer = Peer(sock, "client", "server", [])
        peer.send("A")
        if peer.receive().get(35) != "A":
            raise ValueError("probe: no logon reply")
        peer.send("5")
        if peer.receive().get(35) != "5":
            raise ValueError("probe: no logout reply")
        if sock.recv(1):
            raise ValueError("probe: bytes after the logout")
        if not tls_ctx:
            return None, None, False
        return sock.getpeercert(binary_form=True), sock.session, sock.session_reused
    finally:
        close(sock)


# ---------------------------------------------------------------- renewal
def run(cmd, env=None):
    done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=30, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[0]}: exit {done.returncode}: "
                           f"{done.stdout.decode(errors='replace').strip()}")


def new_certificate(args, lineage, n):
    """A fresh key and certificate from the test CA in LINEAGE: its DER."""
    key, csr = f"{lineage}/privkey.pem", f"{lineage}/req.csr"
    cert = f"{lineage}/fullchain.pem"
    run(["openssl", "req", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-subj", f"/CN=renewal-{n}",
         "-keyout", key, "-out", csr])
    ext = f"{lineage}/ext"
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run(["openssl", "x509", "-req", "-in", csr, "-CA", args.ca,
         "-CAkey", args.ca_key, "-set_serial", str(1000 + n), "-days", "2",
         "-extfile", ext, "-out", cert])
    with open(cert) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def renew(args, lineage, n):
    der = new_certificate(args, lineage, n)
    env = dict(os.environ, RENEWED_LINEAGE=lineage, TLSMUX=args.tlsmux,
               TLSMUX_CONF=args.conf, TLSMUX_CERT=args.cert,
               TLSMUX_KEY=args.key)
    run([args.hook], env)
    return der


def day(args, port, tls_ctx, errors):
    lineage = tempfile.mkdtemp(prefix="fixday-lineage.")
    tls = LongSession("tls", port, tls_ctx, args, errors)
    plain = LongSession("plain", port, None, args, errors)
    start = time.monotonic()
    probes = 0
    _, session, _ = probe(port, tls_ctx)
    probes += 1
    for i in range(1, max(args.renewals, args.rotations) + 1):
        if errors:
            break
        if i <= args.renewals:
            der = renew(args, lineage, i)
            served, session, _ = probe(port, tls_ctx)
            probes += 1
            if served != der:
                errors.append(f"renewal {i}: the next connection was not "
                              "served the new certificate")
        if i <= args.rotations:
            _, _, resumed = probe(port, tls_ctx, session)
            if not resumed:
                errors.append(f"rotation {i}: a ticket did not resume before it")
            run([args.tlsmux, "--new-ticket-key", args.ticket_key])
            _, fresh, resumed = probe(port, tls_ctx, session)
            if resumed:
                errors.append(f"rotation {i}: a ticket from before it resumed")
            _, _, resumed = probe(port, tls_ctx, fresh)
            probes += 3
            if not resumed:
                errors.append(f"rotation {i}: a ticket from after it did not resume")
        time.sleep(args.pause)
    # Both sessions saw traffic up to now.
    for s in (tls, plain):
        if time.monotonic() - s.last_rx > max(1.0, 20 * args.interval):
            errors.append(f"{s.name}: nothing received for "
                          f"{time.monotonic() - s.last_rx:.1f}s")
        if s.ended:
            errors.append(f"{s.name}: ended early ({s.ended})")
    for s in (tls, plain):
        s.logout()
    elapsed = time.monotonic() - start
    up = tls.peer.sent + plain.peer.sent
    down = tls.peer.received + plain.peer.received
    answers = tls.answers + plain.answers
    print(f"fixday: renewals={args.renewals} rotations={args.rotations} "
          f"probes={probes} messages_up={up} messages_down={down} "
          f"test_requests_answered={answers} duration={elapsed:.1f}s "
          f"errors={len(errors)}", flush=True)


def quiet(args, port, tls_ctx, errors):
    """Heartbeats for --quiet-after seconds, then silence on both sessions."""
    sessions = [LongSession("tls", port, tls_ctx, args, errors),
                LongSession("plain", port, None, args, errors)]
    time.sleep(args.quiet_after)
    for s in sessions:
        if s.ended:
            errors.append(f"{s.name}: ended while heartbeating ({s.ended})")
    for s in sessions:
        waited, how = s.silence()
        print(f"fixday: {s.name} heartbeats={s.peer.sent} "
              f"closed_after_silence={waited:.1f}s how={how}", flush=True)
        if how is None:
            errors.append(f"{s.name}: still open {waited:.1f}s into the silence")


def wait_for_file(path, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with open(path) as f:
                text = f.read().strip()
            if text:
                return text
        except FileNotFoundError:
            pass
        time.sleep(0.02)
    raise TimeoutError(f"{path} did not appear within {seconds}s")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port-file", required=True)
    p.add_argument("--tlsmux-port-file", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--ca-key")
    p.add_argument("--interval", type=float, default=0.02)
    p.add_argument("--renewals", type=int, default=10)
    p.add_argument("--rotations", type=int, default=10)
    p.add_argument("--pause", type=float, default=0.0,
                   help="seconds between renewal rounds")
    p.add_argument("--hook", help="the certbot deploy hook")
    p.add_argument("--tlsmux", default="tlsmux")
    p.add_argument("--conf", help="the config file the hook checks with")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--ticket-key")
    p.add_argument("--quiet-after", type=float)
    p.add_argument("--quiet-limit", type=float, default=10.0)
    p.add_argument("--one-way", action="store_true",
                   help="with --quiet-after: the backend sends nothing after the logon")
    args = p.parse_args()

    errors = []
    listener = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=backend, args=(listener, args, errors),
                     daemon=True).start()
    with open(args.port_file + ".part", "w") as f:
        f.write(f"{listener.getsockname()[1]}\n")
    os.rename(args.port_file + ".part", args.port_file)
    port = int(wait_for_file(args.tlsmux_port_file, 20))

    tls_ctx = ssl.create_default_context(cafile=args.ca)
    try:
        if args.quiet_after is not None:
            quiet(args, port, tls_ctx, errors)
        else:
            day(args, port, tls_ctx, errors)
    except (OSError, ValueError, RuntimeError, subprocess.SubprocessError) as e:
        errors.append(f"driver: {e}")
    time.sleep(0.2)  # let the backend threads report a late error
    for e in errors[:20]:
        print(f"fixday: error: {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
