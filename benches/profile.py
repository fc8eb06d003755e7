#!/usr/bin/env python3
"""Callgrind profile of this crate's AsyncClient echo loop (`benches/run.sh profile`).

Runs `sio-bench-ours ours echo` (N events, window 1,000, current-thread runtime) under
`valgrind --tool=callgrind` against the Node socket.io server, then writes
results/callgrind-ours-echo.json: total instructions, the top functions by self and by
inclusive instructions, the self instructions summed per crate, and the other Rust clients'
totals, also with a window of 2 events (one or two per wake-up). Callgrind counts
user-space instructions only (no kernel time), repeatably from run to run.
"""
import argparse
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import HERE, NODE_SERVER_FLAGS, Server, log, rust_binary  # noqa: E402

LINE = re.compile(r"^\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(.*)$")


def annotate(out_file, inclusive):
    """Instructions per function (summed over the source files a function's code comes from,
    inlined code included), from callgrind_annotate's function table."""
    text = subprocess.run(
        ["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}", "--threshold=100",
         "--auto=no", out_file], capture_output=True, text=True, check=True).stdout
    total = re.search(r"^([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS", text, re.M)
    total = int(total.group(1).replace(",", ""))
    table = text.split("file:function", 1)[1].split("\n", 2)[2]
    by_name = {}
    for line in table.splitlines():
        m = LINE.match(line)
        if not m:
            if line.startswith("----") and by_name:
                break
            continue
        name = re.sub(r"\s+\[[^\]]*\]$", "", m.group(3).strip())  # the object file
        name = name.split(":", 1)[1] if not name.startswith(("<", "0x")) and ":" in name.split("::")[0] else name
        ir = int(m.group(1).replace(",", ""))
        # Self cost: a function's code may be listed under several source files (inlining):
        # sum them. Inclusive cost: summing would count recursion and nested instances twice:
        # keep the largest entry.
        by_name[name] = max(by_name.get(name, 0), ir) if inclusive else by_name.get(name, 0) + ir
    rows = [{"ir": ir, "pct": min(100.0, 100 * ir / total), "function": name}
            for name, ir in sorted(by_name.items(), key=lambda kv: -kv[1])]
    return rows, total


def massif_idle(args, url, n=1000):
    """Heap at the peak of `sio-bench-ours ours idle` (n connections) under massif: the bytes per
    connection allocated under the frames of socketio, tungstenite and tokio's channels and
    task cells (a frame's bytes include everything allocated below it)."""
    out = os.path.join(args.out, "massif.out.ours-idle")
    cmd = ["valgrind", "--tool=massif", f"--massif-out-file={out}", "--depth=40", "--threshold=0.5",
           os.path.join(args.bin_dir, "sio-bench-ours"), "ours", "idle", url, "--n", str(n),
           "--idle-secs", "1"]
    log("profile: massif, idle connections")
    subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=True)
    text = subprocess.run(["ms_print", out], capture_output=True, text=True, check=True).stdout
    lines = text.splitlines()
    peak = re.search(r"Detailed snapshots: \[.*?(\d+) \(peak\)\]", text).group(1)
    start = max(k for k, l in enumerate(lines) if re.match(rf"\s*{peak}\s", l))
    heap = int(lines[start].split()[2].replace(",", ""))
    best = {}
    for line in lines[start:]:
        m = re.match(r"^[\s|]*->([\d.]+)% \(([\d,]+)B\) 0x[0-9A-F]+: (.*)$", line)
        if not m:
            continue
        fn = re.sub(r" \([^()]*\)$", "", m.group(3))
        if re.search(r"socketio::|tungstenite::|ReadBuffer|tokio::sync::mpsc|task::core::Cell", fn) \
                and not fn.startswith(("sio_bench", "socketio_bench", "poll", "with_", "set", "try_with", "enter", "block_on")):
            best[fn] = max(best.get(fn, 0), int(m.group(2).replace(",", "")))
    rows = sorted(best.items(), key=lambda kv: -kv[1])[:20]
    return {"n": n, "peak_heap_bytes": heap, "heap_per_conn": heap / (n + 1),
            "top": [{"bytes_per_conn": b / (n + 1), "frame": f} for f, b in rows]}


def crate_of(function):
    if function.startswith(("_int_", "malloc", "free", "cfree", "realloc", "__mem", "__str", "__libc")):
        return "libc (malloc, memcpy…)"
    if function.startswith("__rustc::"):
        return "alloc shims (__rust_alloc…)"
    f = function.lstrip("<&*( ")
    f = re.sub(r"^(dyn |impl |mut |const )", "", f)
    m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)::", f)
    if m:
        return m.group(1)
    if f.startswith(("__", "_int_", "malloc", "free", "cfree", "realloc", "mem", "str", "epoll", "recv",
                     "send", "write", "read", "syscall", "pthread", "clock_gettime", "_dl")):
        return "libc"
    return "other"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--server", choices=["node", "sioxide"], default="node")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    raw = os.path.join(args.out, "callgrind.out.ours-echo")
    argv_server = (["node", *NODE_SERVER_FLAGS, os.path.join(HERE, "peers/node/server.js"), "0"]
                   if args.server == "node"
                   else [os.path.join(args.bin_dir, "sioxide-server"), "0"])
    server = Server(args.server, argv_server)

    def echo_under_callgrind(client, out, n, window, check=True):
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
               os.path.join(args.bin_dir, rust_binary(client)), client, "echo", server.url,
               "--n", str(n), "--window", str(window), "--flavor", "ct"]
        log("profile:", " ".join(cmd))
        return subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=check)

    def per_event(out, n):
        _, ir = annotate(out, inclusive=False)
        return {"total_ir": ir, "ir_per_event": ir / n}

    try:
        run = echo_under_callgrind("ours", raw, args.n, 1000, check=False)
        if run.returncode != 0:
            sys.exit(f"callgrind run failed: {run.stderr[-2000:]}")
        cmd = run.args
        client_out = json.loads([l for l in run.stdout.splitlines() if l.startswith("{")][-1])
        # The same run for the other Rust clients: total instructions only, for comparison.
        compare = {}
        for other in ("bare", "bare_json", "ours", "ours_typed", "rust_socketio"):
            out = raw if other == "ours" else raw + "." + other
            if other != "ours":
                echo_under_callgrind(other, out, args.n, 1000)
            compare[other] = per_event(out, args.n)
        # The same clients with at most 2 events in flight: one or two events per wake-up, as
        # in the Node runs, so the costs paid once per wake-up show per event.
        small = {}
        n_small = max(1, args.n // 2)
        for other in ("bare", "bare_json", "ours_typed"):
            out = raw + "." + other + ".window2"
            echo_under_callgrind(other, out, n_small, 2)
            small[other] = per_event(out, n_small)
            os.remove(out)
        memory = massif_idle(args, server.url)
    finally:
        server.stop()
    self_rows, total = annotate(raw, inclusive=False)
    incl_rows, _ = annotate(raw, inclusive=True)
    by_crate = {}
    for r in self_rows:
        c = crate_of(r["function"])
        by_crate[c] = by_crate.get(c, 0) + r["ir"]
    profile = {
        "command": " ".join(cmd).replace(server.url, f"<{args.server} server url>")
                   .replace(args.bin_dir, "$CARGO_TARGET_DIR/release").replace(args.out + "/", ""),
        "n": args.n,
        "server": args.server,
        "client_result_under_valgrind": client_out,
        "total_ir": total,
        "ir_per_event": total / args.n if total else None,
        "top_self": self_rows[:30],
        "top_inclusive": incl_rows[:40],
        "compare": compare,
        "compare_small_batches": small,
        "memory": memory,
        "self_by_crate": sorted(({"crate": k, "ir": v, "pct": 100 * v / total}
                                 for k, v in by_crate.items()), key=lambda x: -x["ir"]),
    }
    dest = os.path.join(args.out, "callgrind-ours-echo.json")
    with open(dest, "w") as f:
        json.dump(profile, f, indent=1)
    log(f"wrote {dest}: {total:,} instructions, {profile['ir_per_event']:,.0f} per event")


if __name__ == "__main__":
    main()
