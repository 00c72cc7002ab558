#!/usr/bin/env python3
"""Turn the benchmark's raw figures into bench/results/results.md (tables
with ratios to tlsmux, the targets) and the data files bench/chart.gp
plots.  Each figure is the best of the interleaved rounds: the highest
rate, the lowest time, latency or memory.
    report.py META DATA OUTDIR
"""
import math
import sys

HIGHER_IS_BETTER = {"conn_per_s", "down_mb_s", "up_mb_s", "msg_per_s",
                    "wrk_conn_per_s"}


def read_meta(path):
    meta, labels, order = {}, {}, []
    for line in open(path, encoding="utf-8"):
        fields = line.rstrip("\n").split("\t")
        if fields[0] == "label":
            labels[fields[1]] = (fields[2], fields[3].split())
        elif fields[0] == "contenders":
            order = fields[1].split()
        else:
            meta[fields[0]] = fields[1]
    return meta, labels, order


def read_data(path):
    best, notes = {}, {}
    for line in open(path, encoding="utf-8"):
        contender, mode, metric, value = line.rstrip("\n").split("\t")
        key = (contender, mode, metric)
        if metric == "conn_errors":
            notes.setdefault((contender, mode), []).append(value.strip())
            continue
        if metric == "negotiated":
            notes.setdefault(("negotiated", contender), []).append(value.strip())
            continue
        value = float(value)
        if key not in best:
            best[key] = value
        elif metric in HIGHER_IS_BETTER:
            best[key] = max(best[key], value)
        else:
            best[key] = min(best[key], value)
    return best, notes


def number(value, metric=""):
    if value is None:
        return "—"
    if metric.endswith("_kib_per_conn") and value < 0.5:
        return "≈0"    # a daemon's pools absorb a few connections
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def main():
    meta, labels, order = read_meta(sys.argv[1])
    best, notes = read_data(sys.argv[2])
    outdir = sys.argv[3]

    def get(contender, mode, metric):
        return best.get((contender, mode, metric))

    def cell(contender, mode, metric):
        value = get(contender, mode, metric)
        if value is None:
            return "—"
        ref = get("tlsmux", mode, metric)
        if contender == "tlsmux" or not ref or number(value, metric) == "≈0":
            return number(value, metric)
        return f"{number(value)} ({value / ref:.2f}×)"

    def table(title, columns, note=""):
        lines = [f"### {title}", ""]
        if note:
            lines += [note, ""]
        lines.append("| contender | " + " | ".join(c[0] for c in columns) + " |")
        lines.append("|---|" + "---:|" * len(columns))
        for contender in order:
            row = [labels[contender][0]]
            row += [cell(contender, mode, metric) for _, mode, metric in columns]
            lines.append("| " + " | ".join(row) + " |")
        return lines + [""]

    md = ["# tlsmux against its peers", ""]
    md.append(f"Measured {meta['date']} with `make bench` on {meta['machine']}; "
              f"load average {meta['load']}; {meta['duration']} s of measuring.")
    md.append(f"Settings: {meta['settings']}. Versions: {meta['versions']}. "
              f"kTLS offered by the kernel: {meta['ktls']}.")
    md += ["",
           "Every contender runs on the same two cores as the clients and "
           "backends (nginx with one worker, Redis); per-connection programs "
           "run under `systemd-socket-activate --accept --inetd`. TLS is "
           "TLS 1.3 with an ECDSA P-256 certificate. In parentheses: the "
           "ratio to tlsmux in the same mode (above 1 means more of the "
           "figure than tlsmux).", ""]
    md += table("New connections (bench/connrate, 8 at a time, one 1 KiB request each)", [
        ("plain conn/s", "plain", "conn_per_s"),
        ("TLS conn/s", "tls", "conn_per_s"),
        ("CPU ms/conn, plain", "plain", "cpu_ms_per_conn"),
        ("CPU ms/conn, TLS", "tls", "cpu_ms_per_conn")],
        "CPU per connection: user+system time of all the contender's "
        "processes during the run, divided by the connections served "
        "(clients and backends not counted).")
    md += table("The same with wrk -t1 -c8 -d2s (one round)", [
        ("plain conn/s", "plain", "wrk_conn_per_s"),
        ("TLS conn/s", "tls", "wrk_conn_per_s"),
        ("wrk's CPU ms/conn, plain", "plain", "wrk_cpu_ms_per_conn"),
        ("wrk's CPU ms/conn, TLS", "tls", "wrk_cpu_ms_per_conn")],
        "wrk waits for a TLS handshake with its socket registered for "
        "writing, so it spins until the server answers: its own CPU per "
        "TLS connection grows with the server's handshake latency and, on "
        "two cores, is taken from the server. bench/connrate waits for "
        "what OpenSSL asks for; its figures are the ones above and in the "
        "targets.")
    md += table("Bulk throughput through one connection, MB/s (curl, 1 GiB)", [
        ("plain down", "plain", "down_mb_s"),
        ("plain up", "plain", "up_mb_s"),
        ("TLS down", "tls", "down_mb_s"),
        ("TLS up", "tls", "up_mb_s")])
    md += table("Small messages (redis-benchmark GET, 16-byte values)", [
        ("p50 µs, plain", "plain", "p50_us"),
        ("p99 µs, plain", "plain", "p99_us"),
        ("p50 µs, TLS", "tls", "p50_us"),
        ("p99 µs, TLS", "tls", "p99_us"),
        ("GET/s ×50, plain", "plain", "msg_per_s"),
        ("GET/s ×50, TLS", "tls", "msg_per_s")],
        "Latency with one client, one request at a time; throughput with "
        "50 clients on long-lived connections.")
    md += table("Memory per idle connection, KiB", [
        ("USS plain", "plain", "uss_kib_per_conn"),
        ("PSS plain", "plain", "pss_kib_per_conn"),
        ("USS TLS", "tls", "uss_kib_per_conn"),
        ("PSS TLS", "tls", "pss_kib_per_conn")],
        "The contender's processes holding 20 idle connections (one "
        "PING/PONG each) less the same with none, per connection; from "
        "/proc/PID/smaps_rollup. Kernel socket and pipe buffers are not "
        "counted.")

    md += table("Instructions per connection, user space (callgrind, one connection)", [
        ("plain", "plain", "instructions"),
        ("TLS", "tls", "instructions")],
        "Counted by valgrind for the per-connection programs (the launcher "
        "not included): unlike the timings above, these do not move with the "
        "machine's load. For tlsmux's TLS path, the peeker's part before it "
        "execs tlsmux-tls is included.")

    # The targets, as ratios in this run.
    def ratio(a, b):
        return a / b if a is not None and b else None

    def added(contender, mode):
        value, direct = get(contender, mode, "p50_us"), get("direct", "plain", "p50_us")
        return value - direct if value is not None and direct is not None else None

    targets = []

    def target(text, measured, goal, higher=True, unit="×"):
        if measured is None:
            met = "not measured"
            shown = "—"
        else:
            ok = measured >= goal if higher else measured <= goal
            met = "met" if ok else "**not met**"
            shown = f"{measured:.2f}{unit}" if unit == "×" else f"{measured:.0f} {unit}"
        targets.append(f"| {text} | {shown} | {met} |")

    target("plain conn/s ≥ 0.9 × minimal pump",
           ratio(get("tlsmux", "plain", "conn_per_s"), get("pump", "plain", "conn_per_s")), 0.9)
    target("TLS conn/s ≥ 10 × stunnel inetd",
           ratio(get("tlsmux", "tls", "conn_per_s"), get("stunnel", "tls", "conn_per_s")), 10)
    target("TLS conn/s ≥ 0.33 × HAProxy (seed config, 1 thread)",
           ratio(get("tlsmux", "tls", "conn_per_s"), get("haproxy", "tls", "conn_per_s")), 0.33)
    target("TLS conn/s ≥ 0.33 × HAProxy (seed config, default threads)",
           ratio(get("tlsmux", "tls", "conn_per_s"), get("haproxy_mt", "tls", "conn_per_s")), 0.33)
    for way in ("down", "up"):
        target(f"TLS bulk {way} ≥ 1.0 × HAProxy",
               ratio(get("tlsmux", "tls", f"{way}_mb_s"), get("haproxy", "tls", f"{way}_mb_s")), 1.0)
    for way in ("down", "up"):
        target(f"plain bulk {way} ≥ 0.95 × minimal pump",
               ratio(get("tlsmux", "plain", f"{way}_mb_s"), get("pump", "plain", f"{way}_mb_s")), 0.95)
    ours, theirs = added("tlsmux", "tls"), added("haproxy", "tls")
    target(f"TLS p50 added over direct ≤ HAProxy's ({number(theirs)} µs)",
           ours, theirs if theirs is not None else 0, higher=False, unit="µs")
    target("memory per idle connection, plain ≤ 256 KiB USS",
           get("tlsmux", "plain", "uss_kib_per_conn"), 256, higher=False, unit="KiB")
    target("memory per idle connection, TLS ≤ 1 MiB USS",
           get("tlsmux", "tls", "uss_kib_per_conn"), 1024, higher=False, unit="KiB")
    md += ["### Targets (tlsmux, ratios in this run)", "",
           "| target | measured | |", "|---|---:|---|"] + targets + [""]
    negotiated = [(k[1], v) for k, v in notes.items() if k[0] == "negotiated"]
    if negotiated:
        md += ["What each TLS contender negotiated with an OpenSSL 3 client "
               "(version, cipher suite, key exchange):", ""]
        for contender in order:
            for name, texts in negotiated:
                if name == contender:
                    md.append(f"- {labels[contender][0]}: {texts[0]}")
        md.append("")
    errors = [(k, v) for k, v in notes.items() if k[0] != "negotiated"]
    if errors:
        md += ["Errors reported by wrk:", ""]
        for (contender, mode), texts in sorted(errors):
            md.append(f"- {labels[contender][0]}, {mode}: {'; '.join(sorted(set(texts)))}")
        md.append("")
    md += ["![tlsmux against its peers](chart.png)", ""]
    with open(f"{outdir}/results.md", "w", encoding="utf-8") as f:
        f.write("\n".join(md))

    # One data file per chart panel: label, then one column per series.
    panels = {
        "connections": [("plain", "conn_per_s"), ("tls", "conn_per_s")],
        "cpu": [("plain", "cpu_ms_per_conn"), ("tls", "cpu_ms_per_conn")],
        "bulk": [("plain", "down_mb_s"), ("plain", "up_mb_s"),
                 ("tls", "down_mb_s"), ("tls", "up_mb_s")],
        "latency": [("plain", "p50_us"), ("tls", "p50_us")],
        "messages": [("plain", "msg_per_s"), ("tls", "msg_per_s")],
        "memory": [("plain", "uss_kib_per_conn"), ("tls", "uss_kib_per_conn")],
    }
    for name, series in panels.items():
        with open(f"{outdir}/chart-{name}.dat", "w", encoding="utf-8") as f:
            for contender in order:
                values = []
                for mode, metric in series:
                    v = get(contender, mode, metric)
                    values.append("NaN" if v is None or (v <= 0 and name in ("cpu", "memory"))
                                  or math.isnan(v) else f"{v:.3f}")
                short = labels[contender][0]
                f.write(f"\"{short}\" " + " ".join(values) + "\n")


if __name__ == "__main__":
    main()
