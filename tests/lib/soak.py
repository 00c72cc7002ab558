#!/usr/bin/env python3
"""Load and soak driver for tlsmux: many concurrent connections, TLS and plain
mixed, random sizes, every byte checked both ways at both ends.

Two roles, two processes (the machine's cores share the work with tlsmux):

  soak.py serve --port-file F [--port P] --record R
      The backend.  Per connection: read "id N UP DOWN\\n", answer "ready\\n",
      then send DOWN bytes of connection N's own while reading its UP bytes
      and the client's trailer "sha256 HEX\\n"; compare every byte received
      with what N sends and the digest with the trailer; end with
      "sha256 HEX up=ok|bad\\n" (HEX: what it sent) and close.  One line
      "conn N up=ok|bad|short bytes=B" per connection goes to R.  --port
      binds a given port again (a backend restarted in place); SIGUSR1
      closes the listening socket (new connects are refused) and serves
      the open connections to their end; SIGTERM ends it.

  soak.py run --port-file P --connections N --concurrency C --cafile CA
          [--max-size B] [--small-size S --large-share F] [--seed X]
          [--swap LIVE GEN_A GEN_B] [--spread S] [--pace S]
          [--event AT NAME COMMAND]... [--events-open N]
          [--report FILE] [--outcomes FILE]
      The clients, toward tlsmux on the port in P (waited for).  Even
      connections speak TLS, odd ones plain.  Each direction's size is
      uniform in 0..B, or with --large-share F: uniform in 0..B for a
      share F of the connections, in 0..S for the rest.  The client waits
      for "ready" before it sends its data, so a connection tlsmux ends
      before reaching the backend has no unread data (a clean close, not
      a reset).  It compares every byte it receives with what the backend
      sends for it, checks the digest, and the backend's verdict on the
      bytes it sent.  --swap points the symlink LIVE to GEN_A and GEN_B in
      turn, every second; --spread starts connection i no sooner than
      S * i / N seconds in; --pace holds each connection S seconds between
      "ready" and its data; --event runs COMMAND (sh -c) AT seconds in and
      writes "event NAME START END STATUS OPEN THROUGH" to the outcomes (a
      fault; OPEN: the connections open when it started, THROUGH: those of
      them past "ready", i.e. through tlsmux to the backend).  With
      --events-open N the first event waits, past its time, for N
      connections open at once (at most --timeout seconds more), and the
      others keep their distance from it: the fault comes under that load.

Each connection ends in one class, written to --outcomes as
"N tls|plain CLASS STAGE START END DETAIL" (seconds from the start):
  ok        every byte both ways arrived unchanged, digests and verdict agree
  changed   a byte, a digest or the backend's verdict differs: corruption
  closed    a clean end (EOF, TLS close) before the exchange was complete;
            everything received until then was right.  The stage says
            where: handshake, connect (before "ready") or transfer
  reset     the connection was reset; everything received was right
  alert     a TLS alert or error ended it (detail: the reason)
  timeout   nothing moved for --timeout seconds
  refused   the connect was refused
The report holds the counts of each class, the most connections open at
once (max_concurrent: connected, not yet ended) and the most of them past
"ready" at once (max_through).  Exit status: 0 when every
connection is ok, 1 otherwise, 2 when one changed (with --allow-failures,
0 unless one changed).
"""
import argparse
import asyncio
import hashlib
import os
import random
import signal
import ssl
import sys
import threading
import time

BLOCK_SIZE = (1 << 20) + 4099   # above any connection's size


class Data:
    """The bytes of every connection: a window into a random block (kept
    twice in a row, so that any window is one contiguous slice), at an
    offset of the connection's own.  Both processes make the same blocks
    from the seed; nothing is generated while connections run."""

    def __init__(self, seed):
        self.blocks = {}
        for kind in ("up", "down"):
            block = random.Random("%s-%s" % (seed, kind)).randbytes(BLOCK_SIZE)
            self.blocks[kind] = block + block

    def window(self, kind, ident, size):
        """(block, offset): connection ident's bytes are block[offset:offset+size]."""
        return self.blocks[kind], (ident * 7919 + (kind == "down") * 104729) % BLOCK_SIZE


def sizes_of(args, ident):
    """(up, down): connection ident's sizes, the same on every run with the seed."""
    rng = random.Random("%s-size-%d" % (args.seed, ident))

    def one():
        top = args.max_size if rng.random() < args.large_share else args.small_size
        return rng.randint(0, top)
    return one(), one()


# ---------------------------------------------------------------- backend --

async def serve_conn(data, record, reader, writer):
    ident, verdict, got = "-", "short", 0
    try:
        header = await asyncio.wait_for(reader.readline(), 60)
        _, ident, up, down = header.split()
        ident, up, down = int(ident), int(up), int(down)
        writer.write(b"ready\n")
        block, at = data.window("down", ident, down)
        view = memoryview(block)[at:at + down]
        sent_hex = hashlib.sha256(view).hexdigest()

        async def send():
            for i in range(0, down, 65536):
                writer.write(view[i:i + 65536])
                await writer.drain()

        sender = asyncio.ensure_future(send())
        expect, base = data.window("up", ident, up)
        h, same = hashlib.sha256(), True
        try:
            while got < up:
                chunk = await asyncio.wait_for(reader.read(min(262144, up - got)), 120)
                if not chunk:
                    break
                same = same and expect.startswith(chunk, base + got)
                h.update(chunk)
                got += len(chunk)
            trailer = await asyncio.wait_for(reader.readline(), 120) if got == up else b""
        finally:
            if got < up:
                sender.cancel()
        if got == up:
            verdict = "ok" if (same and trailer == b"sha256 %s\n" % h.hexdigest().encode()) else "bad"
            await sender
            writer.write(b"sha256 %s up=%s\n" % (sent_hex.encode(), verdict.encode()))
            await writer.drain()
        elif not same:
            verdict = "bad"
    except (OSError, asyncio.TimeoutError, asyncio.CancelledError, ValueError):
        pass
    finally:
        writer.close()
        record.write("conn %s up=%s bytes=%d\n" % (ident, verdict, got))
        record.flush()


async def serve(args):
    data = Data(args.seed)
    record = open(args.record, "a")
    server = await asyncio.start_server(
        lambda r, w: serve_conn(data, record, r, w), "127.0.0.1", args.port,
        backlog=4096, limit=1 << 20, reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(args.port_file + ".tmp", args.port_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    # SIGUSR1: stop listening (new connects are refused), serve the rest.
    loop.add_signal_handler(signal.SIGUSR1, server.close)
    await stop.wait()
    server.close()
    return 0


# ---------------------------------------------------------------- clients --

class Outcome(Exception):
    def __init__(self, cls, stage, detail="-"):
        super().__init__(cls)
        self.cls, self.stage, self.detail = cls, stage, detail


class Plain:
    """A plain connection: EOF is b"", a reset raises ConnectionResetError."""

    def __init__(self, reader, writer):
        self.r, self.w = reader, writer

    async def read(self, n, t):
        return await asyncio.wait_for(self.r.read(n), t)

    async def readline(self, t):
        return await asyncio.wait_for(self.r.readline(), t)

    async def write(self, data):
        self.w.write(data)
        await self.w.drain()

    def peer_cert(self):
        return None

    async def close(self):
        pass


class TLS:
    """TLS over a plain stream, through memory BIOs: unlike asyncio's own
    TLS, it tells a TCP end (EOF, or a reset) from a TLS one (close_notify,
    an alert) in every phase, the handshake included."""

    def __init__(self, reader, writer, ctx):
        self.r, self.w = reader, writer
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_hostname="localhost")
        self.tcp_eof = False
        self.buf = b""

    async def flush(self):
        data = self.out.read()
        if data:
            self.w.write(data)
            await self.w.drain()

    async def feed(self, t):
        await self.flush()
        if self.tcp_eof:
            return False
        data = await asyncio.wait_for(self.r.read(262144), t)
        if data:
            self.inc.write(data)
        else:
            self.tcp_eof = True
            self.inc.write_eof()
        return True

    async def handshake(self, t):
        while True:
            try:
                self.obj.do_handshake()
                await self.flush()
                return
            except ssl.SSLWantReadError:
                if not await self.feed(t):
                    raise Outcome("closed", "handshake", "eof")
            except ssl.SSLEOFError:
                raise Outcome("closed", "handshake", "eof")

    async def read(self, n, t):
        if self.buf:
            data, self.buf = self.buf[:n], self.buf[n:]
            return data
        while True:
            try:
                return self.obj.read(n)
            except ssl.SSLWantReadError:
                if not await self.feed(t):
                    raise Outcome("closed", "transfer", "eof without close_notify")
            except ssl.SSLZeroReturnError:
                return b""
            except ssl.SSLEOFError:
                raise Outcome("closed", "transfer", "eof without close_notify")

    async def readline(self, t):
        while b"\n" not in self.buf:
            data = await self.read(65536, t)
            if not data:
                break
            self.buf += data
        at = self.buf.find(b"\n") + 1 or len(self.buf)
        line, self.buf = self.buf[:at], self.buf[at:]
        return line

    async def write(self, data):
        self.obj.write(data)
        await self.flush()

    def peer_cert(self):
        return self.obj.getpeercert(binary_form=True)

    async def close(self):
        """close_notify in answer to the server's."""
        try:
            self.obj.unwrap()
        except ssl.SSLError:
            pass
        await self.flush()


async def exchange(args, data, ident, tls, ctx, stats, progress):
    """One connection's exchange; returns nothing or raises Outcome."""
    up, down = sizes_of(args, ident)
    t = args.timeout
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(
            "127.0.0.1", args.tlsmux_port, limit=1 << 20), t)
    except ConnectionRefusedError:
        raise Outcome("refused", "connect")
    stats["live"] += 1
    stats["max_live"] = max(stats["max_live"], stats["live"])
    gate = stats["gate"]
    if gate and not gate.done() and stats["live"] >= args.events_open:
        gate.set_result(load_now(stats))
    try:
        if tls:
            conn = TLS(reader, writer, ctx)
            progress["stage"] = "handshake"
            await conn.handshake(t)
            key = hashlib.sha256(conn.peer_cert()).hexdigest()[:16]
            stats["certs"][key] = stats["certs"].get(key, 0) + 1
        else:
            conn = Plain(reader, writer)
        progress["stage"] = "connect"
        await conn.write(b"id %d %d %d\n" % (ident, up, down))
        ready = await conn.readline(t)
        if ready != b"ready\n":
            if ready == b"":
                raise Outcome("closed", "connect")
            raise Outcome("changed", "connect", "greeting=%r" % ready[:40])
        progress["stage"] = "transfer"
        stats["through"] += 1
        progress["through"] = True
        stats["max_through"] = max(stats["max_through"], stats["through"])
        if args.pace:
            await asyncio.sleep(args.pace)
        block, at = data.window("up", ident, up)
        view = memoryview(block)[at:at + up]
        sent_hex = hashlib.sha256(view).hexdigest()

        async def send():
            for i in range(0, up, 65536):
                await conn.write(view[i:i + 65536])
            await conn.write(b"sha256 %s\n" % sent_hex.encode())

        sender = asyncio.ensure_future(send())
        try:
            expect, base = data.window("down", ident, down)
            h = hashlib.sha256()
            got = 0
            while got < down:
                chunk = await conn.read(min(262144, down - got), t)
                if not chunk:
                    raise Outcome("closed", "transfer", "down=%d/%d" % (got, down))
                if not expect.startswith(chunk, base + got):
                    raise Outcome("changed", "transfer", "down byte %d on" % got)
                h.update(chunk)
                got += len(chunk)
            trailer = await conn.readline(t)
            await sender
        finally:
            if not sender.done():
                sender.cancel()
            elif not sender.cancelled():
                sender.exception()     # retrieved: an error here is the reader's too
        if trailer == b"":
            raise Outcome("closed", "transfer", "no trailer")
        want = b"sha256 %s up=ok\n" % h.hexdigest().encode()
        if trailer != want:
            raise Outcome("changed", "trailer", "trailer=%r" % trailer[:100])
        tail = await conn.read(65536, t)
        if tail != b"":
            raise Outcome("changed", "end", "extra=%r" % tail[:40])
        await conn.close()
        stats["bytes_up"] += up
        stats["bytes_down"] += down
    finally:
        stats["live"] -= 1
        stats["through"] -= progress.pop("through", False)
        writer.close()


async def client(args, data, ident, ctx, stats, slots, outcomes):
    tls = ident % 2 == 0
    if args.spread:
        await asyncio.sleep(args.spread * ident / args.connections)
    async with slots:
        started = time.monotonic() - stats["t0"]
        progress = {"stage": "connect", "sent": 0, "received": 0}
        try:
            await exchange(args, data, ident, tls, ctx, stats, progress)
            cls, stage, detail = "ok", "-", "-"
        except Outcome as o:
            cls, stage, detail = o.cls, o.stage, o.detail
        except ssl.SSLError as e:
            cls, stage, detail = "alert", progress["stage"], e.reason or e.__class__.__name__
        except (ConnectionResetError, BrokenPipeError):
            cls, stage, detail = "reset", progress["stage"], "-"
        except asyncio.TimeoutError:
            cls, stage, detail = "timeout", progress["stage"], "-"
        except (OSError, EOFError) as e:
            cls, stage, detail = "error", progress["stage"], e.__class__.__name__
        ended = time.monotonic() - stats["t0"]
    stats["classes"][cls] = stats["classes"].get(cls, 0) + 1
    stats["tls" if tls else "plain"] += cls == "ok"
    line = "%d %s %s %s %.3f %.3f %s\n" % (ident, "tls" if tls else "plain", cls,
                                          stage, started, ended, detail.replace(" ", "_"))
    if outcomes:
        outcomes.write(line)
    if cls != "ok" and args.verbose:
        sys.stderr.write("connection " + line)


def swapper(live, gens, stop, counter):
    """Every second on the clock, LIVE points to the other generation: a
    thread, so that a busy event loop does not stretch the seconds."""
    i = 0
    start = time.monotonic()
    while not stop.wait(max(0, start + i + 1 - time.monotonic())):
        i += 1
        tmp = live + ".tmp"
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        os.symlink(gens[i % 2], tmp)
        os.rename(tmp, live)
        counter[0] += 1


def load_now(stats):
    """(monotonic time, connections open, those of them past "ready")."""
    return time.monotonic(), stats["live"], stats["through"]


async def event_origin(args, stats, first):
    """load_now() when the first event runs: at t0 + first seconds, or with
    --events-open N the first moment after that N connections are open."""
    await asyncio.sleep(max(0, stats["t0"] + first - time.monotonic()))
    if not args.events_open or stats["live"] >= args.events_open:
        return load_now(stats)
    stats["gate"] = asyncio.get_running_loop().create_future()
    try:
        return await asyncio.wait_for(stats["gate"], args.timeout)
    except asyncio.TimeoutError:
        sys.stderr.write("never %d open at once: the events run with %d\n"
                         % (args.events_open, stats["live"]))
        return load_now(stats)


async def event(at, name, command, outcomes, stats, origin):
    """At its distance from the first event, run COMMAND; its times and the
    connections open when it started go to the outcomes (for the first:
    when it was decided, as the clients may move before it runs)."""
    now, open_now, through_now = await origin
    if at > 0:
        await asyncio.sleep(max(0, now + at - time.monotonic()))
        now, open_now, through_now = load_now(stats)
    proc = await asyncio.create_subprocess_shell(command)
    rc = await proc.wait()
    t0 = stats["t0"]
    line = "event %s %.3f %.3f %d %d %d\n" % (name, now - t0, time.monotonic() - t0, rc,
                                             open_now, through_now)
    if outcomes:
        outcomes.write(line)
    sys.stderr.write(line)


async def run(args):
    data = Data(args.seed)
    deadline = time.monotonic() + 60
    while not os.path.exists(args.port_file):
        if time.monotonic() > deadline:
            sys.exit("tlsmux's port never came")
        await asyncio.sleep(0.05)
    args.tlsmux_port = int(open(args.port_file).read())
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(args.cafile)
    stats = {"live": 0, "max_live": 0, "through": 0, "max_through": 0, "gate": None,
             "certs": {}, "classes": {}, "tls": 0,
             "plain": 0, "bytes_up": 0, "bytes_down": 0, "t0": time.monotonic()}
    outcomes = open(args.outcomes, "w") if args.outcomes else None
    stop = threading.Event()
    swaps = [0]
    swap_task = None
    if args.swap:
        swap_task = threading.Thread(target=swapper, args=(args.swap[0], args.swap[1:], stop, swaps))
        swap_task.start()
    slots = asyncio.Semaphore(args.concurrency)
    tasks = [asyncio.ensure_future(client(args, data, i, ctx, stats, slots, outcomes))
             for i in range(args.connections)]
    first = min((float(e[0]) for e in args.event or []), default=0)
    origin = asyncio.ensure_future(event_origin(args, stats, first)) if args.event else None
    events = [asyncio.ensure_future(event(float(at) - first, name, command, outcomes, stats,
                                          origin))
              for at, name, command in args.event or []]
    done, pending = await asyncio.wait(tasks, timeout=args.deadline)
    for t in pending:
        t.cancel()
    elapsed = time.monotonic() - stats["t0"]
    if events:
        await asyncio.wait(events, timeout=60)
    stop.set()
    if swap_task:
        swap_task.join()
    classes = stats["classes"]
    classes["unfinished"] = len(pending)
    failed = args.connections - classes.get("ok", 0)
    report = {
        "connections": args.connections, "ok": classes.get("ok", 0), "failed": failed,
        "changed": classes.get("changed", 0), "max_concurrent": stats["max_live"],
        "max_through": stats["max_through"],
        "tls": stats["tls"], "plain": stats["plain"],
        "bytes_up": stats["bytes_up"], "bytes_down": stats["bytes_down"],
        "seconds": "%.1f" % elapsed, "cert_swaps": swaps[0],
        "certs_seen": len(stats["certs"]),
        "classes": ",".join("%s:%d" % kv for kv in sorted(classes.items()) if kv[1]) or "-",
    }
    if outcomes:
        outcomes.close()
    if args.report:
        with open(args.report, "w") as f:
            for k, v in report.items():
                f.write("%s=%s\n" % (k, v))
    print(" ".join("%s=%s" % kv for kv in report.items()))
    if report["changed"]:
        return 2
    return 0 if failed == 0 or args.allow_failures else 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="role", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port-file", required=True)
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--record", required=True)
    s.add_argument("--seed", default="soak")
    r = sub.add_parser("run")
    r.add_argument("--port-file", required=True)
    r.add_argument("--connections", type=int, default=100)
    r.add_argument("--concurrency", type=int, default=100)
    r.add_argument("--max-size", type=int, default=1 << 20)
    r.add_argument("--small-size", type=int, default=65536)
    r.add_argument("--large-share", type=float, default=1.0)
    r.add_argument("--seed", default="soak")
    r.add_argument("--cafile", required=True)
    r.add_argument("--swap", nargs=3, metavar=("LIVE", "GEN_A", "GEN_B"))
    r.add_argument("--report")
    r.add_argument("--outcomes")
    r.add_argument("--spread", type=float, default=0,
                   help="start connection i no sooner than SPREAD * i / N seconds in")
    r.add_argument("--pace", type=float, default=0,
                   help="each connection waits this long between ready and its data")
    r.add_argument("--event", nargs=3, action="append", metavar=("AT", "NAME", "COMMAND"),
                   help="run COMMAND (sh -c) AT seconds in; its times go to the outcomes")
    r.add_argument("--events-open", type=int, default=0, metavar="N",
                   help="the first event waits, past its time, for N connections open at once")
    r.add_argument("--timeout", type=float, default=60)
    r.add_argument("--deadline", type=float, default=1800)
    r.add_argument("--allow-failures", action="store_true")
    r.add_argument("--verbose", action="store_true")
    args = p.parse_args()
    if args.role == "run" and args.max_size > BLOCK_SIZE:
        p.error("--max-size is at most %d" % BLOCK_SIZE)
    return asyncio.run(serve(args) if args.role == "serve" else run(args))


if __name__ == "__main__":
    sys.exit(main())
