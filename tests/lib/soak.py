#!/usr/bin/env python3
"""Load and soak driver for tlsmux: many concurrent connections, TLS and plain
mixed, random data both ways, every byte checked by sha256.

It runs its own backend.  Each client sends a header line "id N UP DOWN\\n"
and UP random bytes of its own in paced parts; the backend sends DOWN random
bytes of that connection's own while reading, then a trailer
"up-sha256 HEX\\n" over everything it received, and closes.  A client checks
the bytes it got and the trailer against digests computed beforehand.

  soak.py --port-file F            start the backend, write its port to F,
          --tlsmux-port-file P     wait for P (tlsmux's port), then run:
          --connections N --up BYTES --down BYTES --chunks K --pause S (K parts, S seconds apart)
          --spread S (start the connections over S seconds)
          --cafile CA [--swap LIVE GEN_A GEN_B]  (rename LIVE -> GEN_x every s)
          --report FILE
Exit status 0 when every connection finished with matching bytes.
"""
import argparse
import asyncio
import hashlib
import os
import ssl
import sys
import time


# Random blocks made once; each connection's data is a block rotated by an
# offset of its own.  Nothing is generated or hashed in bulk while the
# connections run: a busy event loop would delay a client's ClientHello
# past tlsmux's --detect-timeout, and the client, not tlsmux, would fail.
BLOCKS = {}


def data_of(kind, ident, size):
    """The bytes connection ident sends (kind "up") or gets ("down")."""
    block = BLOCKS.get((kind, size))
    if block is None:
        block = BLOCKS[(kind, size)] = os.urandom(size)
    at = (ident * 7919) % size if size else 0
    view = memoryview(block)
    return [view[at:], view[:at]]


def digest_of(parts, prefix=b""):
    h = hashlib.sha256(prefix)
    for part in parts:
        h.update(part)
    return h.hexdigest()


async def backend(reader, writer):
    try:
        header = await asyncio.wait_for(reader.readline(), 60)
        _, ident, up, down = header.split()
        got = hashlib.sha256()
        got.update(header)

        async def send():
            for part in data_of("down", int(ident), int(down)):
                for at in range(0, len(part), 65536):
                    writer.write(part[at:at + 65536])
                    await writer.drain()

        sender = asyncio.ensure_future(send())
        left = int(up)
        while left > 0:
            data = await asyncio.wait_for(reader.read(min(262144, left)), 120)
            if not data:
                break
            got.update(data)
            left -= len(data)
        await sender
        writer.write(b"up-sha256 %s\n" % got.hexdigest().encode())
        await writer.drain()
    except (OSError, asyncio.TimeoutError, ValueError):
        pass
    finally:
        writer.close()


class Stats:
    def __init__(self):
        self.ok = self.failed = self.mismatched = 0
        self.bytes_up = self.bytes_down = 0
        self.tls = self.plain = 0
        self.peer_certs = {}
        self.errors = {}
        self.live = self.max_live = 0


async def client(args, ident, stats, ctx):
    """One connection; even ones speak TLS.  Counts itself in stats."""
    tls = ident % 2 == 0
    await asyncio.sleep(args.spread * ident / max(1, args.connections))
    stats.live += 1
    stats.max_live = max(stats.max_live, stats.live)
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(
            "127.0.0.1", args.tlsmux_port, ssl=ctx if tls else None,
            server_hostname="localhost" if tls else None), 60)
        if tls:
            der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
            key = hashlib.sha256(der).hexdigest()[:16]
            stats.peer_certs[key] = stats.peer_certs.get(key, 0) + 1
        header = b"id %d %d %d\n" % (ident, args.up, args.down)
        up = data_of("up", ident, args.up)

        async def send():
            writer.write(header)
            data = bytes(up[0]) + bytes(up[1])
            part = -(-len(data) // max(1, args.chunks))
            for at in range(0, len(data), part):
                if at > 0:
                    await asyncio.sleep(args.pause)   # spread over time
                writer.write(data[at:at + part])
                await writer.drain()

        sender = asyncio.ensure_future(send())
        got = hashlib.sha256()
        received = 0
        while received < args.down:
            data = await asyncio.wait_for(reader.read(min(262144, args.down - received)), 120)
            if not data:
                break
            got.update(data)
            received += len(data)
        await sender
        trailer = await asyncio.wait_for(reader.readline(), 120)
        tail = await asyncio.wait_for(reader.read(), 60)   # the backend's end
        writer.close()
        good = (received == args.down and got.hexdigest() == args.expected_down[ident]
                and trailer == b"up-sha256 %s\n" % args.expected_up[ident].encode()
                and tail == b"")
        if good:
            stats.ok += 1
            stats.bytes_up += len(header) + args.up
            stats.bytes_down += received + len(trailer)
            if tls:
                stats.tls += 1
            else:
                stats.plain += 1
        else:
            stats.mismatched += 1
            print("connection %d: mismatch (received %d of %d, trailer %r)"
                  % (ident, received, args.down, trailer[:80]), file=sys.stderr)
    except Exception as e:  # every failure is counted, none is fatal
        stats.failed += 1
        name = e.__class__.__name__
        stats.errors[name] = stats.errors.get(name, 0) + 1
        print("connection %d: %s: %s" % (ident, name, e), file=sys.stderr)
    finally:
        stats.live -= 1


async def swapper(live, gens, stop, counter):
    i = 0
    while not stop.is_set():
        await asyncio.sleep(1)
        i += 1
        tmp = live + ".tmp"
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        os.symlink(gens[i % 2], tmp)
        os.rename(tmp, live)
        counter[0] += 1


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--tlsmux-port-file", required=True)
    p.add_argument("--connections", type=int, default=100)
    p.add_argument("--up", type=int, default=131072)
    p.add_argument("--down", type=int, default=131072)
    p.add_argument("--chunks", type=int, default=8)
    p.add_argument("--pause", type=float, default=0.2)
    p.add_argument("--spread", type=float, default=0.0,
                   help="start the connections over this many seconds")
    p.add_argument("--cafile", required=True)
    p.add_argument("--swap", nargs=3, metavar=("LIVE", "GEN_A", "GEN_B"))
    p.add_argument("--report", required=True)
    p.add_argument("--deadline", type=float, default=300)
    args = p.parse_args()

    server = await asyncio.start_server(backend, "127.0.0.1", 0, backlog=1024,
                                        limit=1 << 20)
    port = server.sockets[0].getsockname()[1]
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(args.port_file + ".tmp", args.port_file)
    deadline = time.monotonic() + 60
    while not os.path.exists(args.tlsmux_port_file):
        if time.monotonic() > deadline:
            sys.exit("tlsmux's port never came")
        await asyncio.sleep(0.05)
    args.tlsmux_port = int(open(args.tlsmux_port_file).read())

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(args.cafile)
    stats = Stats()
    stop = asyncio.Event()
    swaps = [0]
    swap_task = None
    if args.swap:
        swap_task = asyncio.ensure_future(swapper(args.swap[0], args.swap[1:], stop, swaps))
    # Every connection's expected digests, before the clock starts.
    args.expected_up = [digest_of(data_of("up", i, args.up),
                                  b"id %d %d %d\n" % (i, args.up, args.down))
                        for i in range(args.connections)]
    args.expected_down = [digest_of(data_of("down", i, args.down))
                          for i in range(args.connections)]
    started = time.monotonic()
    tasks = [asyncio.ensure_future(client(args, i, stats, ctx))
             for i in range(args.connections)]
    done, pending = await asyncio.wait(tasks, timeout=args.deadline)
    for t in pending:
        t.cancel()
    stats.failed += len(pending)
    elapsed = time.monotonic() - started
    stop.set()
    if swap_task:
        await swap_task
    server.close()
    report = {
        "connections": args.connections, "ok": stats.ok, "failed": stats.failed,
        "mismatched": stats.mismatched, "max_concurrent": stats.max_live,
        "tls": stats.tls, "plain": stats.plain,
        "bytes_up": stats.bytes_up, "bytes_down": stats.bytes_down,
        "seconds": "%.1f" % elapsed, "cert_swaps": swaps[0],
        "certs_seen": len(stats.peer_certs),
        "errors": ",".join("%s:%d" % kv for kv in sorted(stats.errors.items())) or "-",
    }
    with open(args.report, "w") as f:
        for k, v in report.items():
            f.write("%s=%s\n" % (k, v))
    print(" ".join("%s=%s" % kv for kv in report.items()))
    return 0 if stats.ok == args.connections else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
