#!/bin/bash
# What the sandbox costs per process start: an empty program, the same
# with src/sandbox.c's two seccomp stages (raw BPF), linked with
# libseccomp but not using it, and building the same filter with
# libseccomp.  Two measures: user-space instructions counted by callgrind
# (exact, whatever else the machine does; the dynamic loader's work for
# a library shows here) and wall time by hyperfine (no shell, many runs;
# includes the kernel's work to check and attach a filter).
#   bench/sandboxcost.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v hyperfine >/dev/null || { echo "needs hyperfine" >&2; exit 1; }
[ -f /usr/include/seccomp.h ] || { echo "needs libseccomp-dev (for the comparison only)" >&2; exit 1; }
make -s src/sandbox.o src/log.o
# The project's hardening and linking flags.
flags=(-O2 -D_GNU_SOURCE -fPIE -pie "-Wl,-z,relro" "-Wl,-z,now" "-Wl,--as-needed")
cc "${flags[@]}" -o "$work/empty" bench/empty.c
cc "${flags[@]}" -Isrc -o "$work/raw-bpf" bench/sandbox-raw.c src/sandbox.o src/log.o
cc "${flags[@]}" -DLINK_ONLY -o "$work/libseccomp-linked" bench/sandbox-libseccomp.c -lseccomp
cc "${flags[@]}" -o "$work/libseccomp" bench/sandbox-libseccomp.c -lseccomp
cc "${flags[@]}" -DEXPORT_ONLY -o "$work/libseccomp-export" bench/sandbox-libseccomp.c -lseccomp

# Under valgrind src/sandbox.c builds its filter but does not load it.
count() {
	local name=$1
	shift
	valgrind --tool=callgrind --callgrind-out-file="$work/$name.cg" "$@" 2>/dev/null
	printf '%s %s\n' "$name" "$(sed -n 's/^summary: //p' "$work/$name.cg")" >>"$work/instructions"
}
count empty "$work/empty"
count log-only "$work/raw-bpf" log-only
count raw-bpf "$work/raw-bpf"
count libseccomp-linked "$work/libseccomp-linked"
count libseccomp-export "$work/libseccomp-export"

hyperfine -N --warmup 100 --runs "$runs" --export-json "$work/result.json" \
	-n "empty program" "$work/empty" \
	-n "log_init() only" "$work/raw-bpf log-only" \
	-n "raw BPF, two stages" "$work/raw-bpf" \
	-n "libseccomp linked, unused" "$work/libseccomp-linked" \
	-n "libseccomp, two stages" "$work/libseccomp" >/dev/null
# CPU time (perf task-clock) is steadier than wall time on a shared machine.
for prog in empty "raw-bpf log-only" raw-bpf libseccomp-linked libseccomp; do
	# shellcheck disable=SC2086  # "raw-bpf log-only" is a program and its argument
	perf stat -x, -r 1000 -e task-clock -o "$work/${prog// /-}.perf" $work/$prog 2>/dev/null ||
		echo "0,msec,task-clock" >"$work/${prog// /-}.perf"
done
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
results = json.load(open(work + "/result.json"))["results"]
progs = ["empty", "raw-bpf-log-only", "raw-bpf", "libseccomp-linked", "libseccomp"]
def cpu_us(prog):
    for line in open("%s/%s.perf" % (work, prog)):
        f = line.split(",")
        if len(f) > 2 and f[2].startswith("task-clock"):
            return float(f[0] or 0) * 1000
    return 0.0
instr = dict(line.split() for line in open(work + "/instructions"))
print("user-space instructions per start (callgrind)")
for prog, label in [("empty", "empty program"), ("log-only", "log_init() only"),
                    ("raw-bpf", "log_init(), raw BPF two stages (built)"),
                    ("libseccomp-linked", "libseccomp linked, unused"),
                    ("libseccomp-export", "libseccomp, two stages (built)")]:
    print("  %-40s %10d  (+%d)" % (label, int(instr[prog]), int(instr[prog]) - int(instr["empty"])))
print()
floor, floor_i = results[0]["median"], cpu_us("empty")
print("%-28s %10s %8s %14s %8s" % ("per start (%d runs)" % len(results[0]["times"]),
                                    "median us", "x empty", "CPU us", "x empty"))
for r, prog in zip(results, progs):
    i = cpu_us(prog)
    print("%-28s %10.0f %8.2f %14.1f %8.2f" % (r["command"], r["median"] * 1e6,
          r["median"] / floor, i, i / floor_i if floor_i else 0))
PY
