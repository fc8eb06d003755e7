#!/usr/bin/env python3
"""Turns benches/results/results.json (and results/callgrind-ours-echo.json, when present)
into BENCHMARKS.md and an SVG chart. Standard library only; called by benches/run.sh.

    python3 report.py <results.json> <BENCHMARKS.md> <chart.svg>
"""
import html
import json
import os
import statistics
import sys

CLIENTS = ["bare", "bare_json", "ours", "ours_typed", "rust_socketio", "socket.io-client", "python-socketio"]
LABEL = {
    "bare": "bare websocket (ceiling)",
    "bare_json": "bare websocket + serde_json (codec floor)",
    "ours": "**socketio AsyncClient (ours)**",
    "ours_typed": "socketio AsyncClient, struct in and out",
    "ours_reply": "socketio AsyncClient, structs, the handler emits the next event",
    "rust_socketio": "rust_socketio 0.6 async",
    "socket.io-client": "socket.io-client 4.8.4 (Node)",
    "python-socketio": "python-socketio 5.18 AsyncClient",
}
PLAIN = {k: v.replace("**", "") for k, v in LABEL.items()}
COLOR = {"bare": "#9e9e9e", "bare_json": "#bdbdbd", "ours": "#d84315", "ours_typed": "#ff8a65", "rust_socketio": "#5c6bc0",
         "socket.io-client": "#43a047", "python-socketio": "#fbc02d"}


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# A run during which other processes used more than this share of one core is dropped, as
# long as at least two undisturbed runs of the same configuration remain.
INTERFERENCE_LIMIT = 0.2


class Data:
    def __init__(self, results):
        self.results = results
        self.dropped = 0

    def runs(self, suite, client, flavor=None):
        rs = [r for r in self.results if r["suite"] == suite and r["client"] == client
              and "error" not in r and (flavor is None or r.get("flavor") in (flavor, "-"))]
        clean = [r for r in rs if r.get("interference", 0) <= INTERFERENCE_LIMIT]
        return clean if len(clean) >= 2 or len(clean) == len(rs) else rs

    def dropped_runs(self):
        out = 0
        for key in {(r["suite"], r["client"], r.get("flavor")) for r in self.results}:
            rs = [r for r in self.results if (r["suite"], r["client"], r.get("flavor")) == key and "error" not in r]
            clean = [r for r in rs if r.get("interference", 0) <= INTERFERENCE_LIMIT]
            if len(clean) >= 2 or len(clean) == len(rs):
                out += len(rs) - len(clean)
        return out

    def errors(self):
        return [r for r in self.results if "error" in r]

    def m(self, suite, client, key, flavor="ct", fn=None):
        rs = self.runs(suite, client, flavor)
        return med([fn(r) if fn else r.get(key) for r in rs]) if rs else None

    def per_client(self, suite, fn, flavor="ct"):
        """`fn` of each client's runs in `suite`, median, by client."""
        return {c: self.m(suite, c, None, flavor, fn) for c in CLIENTS}

    def span(self, suite, client, key, flavor="ct", fn=None):
        vals = [fn(r) if fn else r.get(key) for r in self.runs(suite, client, flavor)]
        vals = [v for v in vals if v is not None]
        return (min(vals), max(vals), len(vals)) if vals else None


def f(v, digits=2, suffix=""):
    if v is None:
        return "–"
    if isinstance(v, float) and abs(v) >= 100:
        return f"{v:,.0f}{suffix}"
    return f"{v:,.{digits}f}{suffix}"


def us_per_event(r):
    return r["cpu_s"] / r["n"] * 1e6


def wall_100k(r):
    return r["wall_s"] * 100_000 / r["n"]


RUNTIME = {"ct": "current-thread, loop in `block_on`", "task": "current-thread, loop in a task",
           "mt": "multi-thread, loop in `block_on`", "-": "event loop"}


def echo_table(d, suite, flavors):
    lines = ["| client | runtime | CPU µs / event (min–max) | CPU s / 100k | wall s / 100k | events / s "
             "| client busy | server CPU s | server busy |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for flavor in flavors:
        for c in CLIENTS:
            rs = d.runs(suite, c, flavor)
            # Node's and Python's clients have one runtime: they are listed once, with `ct`.
            if not rs or (flavor != "ct" and rs[0].get("flavor") != flavor):
                continue
            n = rs[0]["n"]
            per = med([us_per_event(r) for r in rs])
            lo, hi, k = d.span(suite, c, None, flavor, us_per_event)
            cpu = med([r["cpu_s"] * 100_000 / n for r in rs])
            wall = med([r["wall_s"] * 100_000 / n for r in rs])
            eps = med([n / r["wall_s"] for r in rs])
            cbusy = med([r["cpu_s"] / r["wall_s"] for r in rs])
            scpu = med([r["server_cpu_s"] * 100_000 / n for r in rs])
            sbusy = med([r["server_cpu_s"] / r["wall_s"] for r in rs])
            runtime = RUNTIME[rs[0].get("flavor", "-")]
            lines.append(f"| {LABEL[c]} | {runtime} | {per:.2f} ({lo:.2f}–{hi:.2f}, {k} runs) | {cpu:.3f} "
                         f"| {wall:.3f} | {eps:,.0f} | {cbusy:.0%} | {scpu:.3f} | {sbusy:.0%} |")
    return "\n".join(lines)


def ack_table(d):
    lines = ["| client | Node: p50 µs (runs' min–max) | Node: p99 µs | p99 / p50 "
             "| socketioxide: p50 µs (runs' min–max) | socketioxide: p99 µs |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]

    def rng(suite, c):
        sp = d.span(suite, c, "p50_us")
        return f" ({sp[0]:.0f}–{sp[1]:.0f})" if sp else ""
    for c in CLIENTS:
        p50 = d.m("ack-node", c, "p50_us")
        p99 = d.m("ack-node", c, "p99_us")
        if p50 is None and d.m("ack-sioxide", c, "p50_us") is None:
            continue
        ratio = p99 / p50 if p50 and p99 else None
        lines.append(f"| {LABEL[c]} | {f(p50, 1)}{rng('ack-node', c)} | {f(p99, 1)} | {f(ratio, 1)}× "
                     f"| {f(d.m('ack-sioxide', c, 'p50_us'), 1)}{rng('ack-sioxide', c)} "
                     f"| {f(d.m('ack-sioxide', c, 'p99_us'), 1)} |")
    return "\n".join(lines)


def pinned_ack_table(d):
    """Round trips with the Node server on CPU 0 and the client on CPU 1, then on CPU 0."""
    if d.m("ack-node-split", "ours", "p50_us") is None:
        return "(not in these results: the suites need two CPUs)"
    lines = ["| client | separate cores: p50 µs (runs' min–max) | p99 µs | p99 / p50 "
             "| same core: p50 µs (runs' min–max) | p99 µs | p99 / p50 |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]

    def cells(suite, c):
        p50, p99, sp = d.m(suite, c, "p50_us"), d.m(suite, c, "p99_us"), d.span(suite, c, "p50_us")
        span = f" ({sp[0]:.0f}–{sp[1]:.0f})" if sp else ""
        ratio = p99 / p50 if p50 and p99 else None
        return f"{f(p50, 1)}{span} | {f(p99, 1)} | {f(ratio, 1)}×"
    for c in CLIENTS:
        if d.m("ack-node-split", c, "p50_us") is None:
            continue
        lines.append(f"| {LABEL[c]} | {cells('ack-node-split', c)} | {cells('ack-node-shared', c)} |")
    return "\n".join(lines)


def idle_table(d):
    lines = ["| client | KiB / connection, 1,000 | KiB / connection, 10,000 "
             "| KiB / connection, 1,000 at once | of which heap (RssAnon) | connect 1,000 (s) "
             "| connect 10,000 (s) | client RSS with 10,000 (MiB) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for c in CLIENTS:
        a = d.m("idle1000-node", c, "per_conn_kb")
        b = d.m("idle10000-node", c, "per_conn_kb")
        once = d.m("idle1000-once-node", c, "per_conn_kb")
        if a is None and b is None and once is None:
            continue
        rss = d.m("idle10000-node", c, "rss_after_kb")
        once_anon = d.m("idle1000-once-node", c, "anon_per_conn_kb")
        lines.append(f"| {LABEL[c]} | {f(a, 1)} | {f(b, 1)} | {f(once, 1)} | {f(once_anon, 1)} "
                     f"| {f(d.m('idle1000-node', c, 'connect_wall_s'), 2)} "
                     f"| {f(d.m('idle10000-node', c, 'connect_wall_s'), 2)} | {f(rss / 1024 if rss else None, 0)} |")
    mt = d.m("idle1000-once-node", "ours", "per_conn_kb", "mt")
    mt_anon = d.m("idle1000-once-node", "ours", "anon_per_conn_kb", "mt")
    if mt is not None:
        lines += ["", f"Ours at once on the multi-thread runtime: {f(mt, 1)} KiB / connection "
                  f"({f(mt_anon, 1)} of heap)."]
    return "\n".join(lines)


def pace_table(d):
    """What one connection costs at either pace, with and without the warm-up connection."""
    lines = ["| client | paced (warm-up) | paced (no warm-up) | at once (no warm-up) "
             "| at once ÷ paced (warm-up) | at once ÷ paced (no warm-up) | heap at once ÷ heap paced |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    rows = [("bare", "ct"), ("ours", "ct"), ("ours", "mt"), ("rust_socketio", "ct")]
    for c, fl in rows:
        warm = d.m("idle1000-node", c, "per_conn_kb", fl)
        cold = d.m("idle1000-cold-node", c, "per_conn_kb", fl)
        once = d.m("idle1000-once-node", c, "per_conn_kb", fl)
        if warm is None or once is None:
            continue
        warm_heap = d.m("idle1000-node", c, "anon_per_conn_kb", fl)
        cold_heap = d.m("idle1000-cold-node", c, "anon_per_conn_kb", fl)
        once_heap = d.m("idle1000-once-node", c, "anon_per_conn_kb", fl)

        def cell(v, heap):
            return f"{f(v, 1)} ({f(heap, 1)})" if heap is not None else f(v, 1)

        def ratio(a, b):
            return f"{a / b:.2f}×" if a is not None and b else "–"
        label = LABEL[c] + (", multi-thread runtime" if fl == "mt" else "")
        lines.append(f"| {label} | {cell(warm, warm_heap)} | {cell(cold, cold_heap)} "
                     f"| {cell(once, once_heap)} | {ratio(once, warm)} | {ratio(once, cold)} "
                     f"| {ratio(once_heap, warm_heap)} |")
    return "\n".join(lines)


def connect_table(d):
    lines = ["| client | p50 ms | p90 ms |", "| --- | ---: | ---: |"]
    for c in CLIENTS:
        p50 = d.m("connect-node", c, "p50_ms")
        if p50 is None:
            continue
        lines.append(f"| {LABEL[c]} | {f(p50, 2)} | {f(d.m('connect-node', c, 'p90_ms'), 2)} |")
    return "\n".join(lines)


def verdict(ok):
    return "—" if ok is None else ("**met**" if ok else "**not met**")


def targets(d):
    rows = []

    def ratio_row(what, ours, ref, limit, refname, unit):
        ratio = ours / ref if ours is not None and ref else None
        ok = None if ratio is None else ratio <= limit
        rows.append(f"| {what} | {f(ours, 2)} {unit} | {f(ref, 2)} {unit} ({refname}) | "
                    f"{f(ratio, 2)}× | ≤ {limit}× | {verdict(ok)} |")

    cpu = d.per_client("echo-node", us_per_event)
    in_task = d.per_client("echo-node", us_per_event, "task")
    for where, t in (("loop in `block_on`", cpu), ("loop in a task", in_task)):
        if t["ours"] is None:
            continue
        ratio_row(f"CPU per echoed event vs the bare websocket ceiling ({where})", t["ours"], t["bare"],
                  1.25, "bare", "µs")
        ratio_row(f"CPU per echoed event vs rust_socketio ({where})", t["ours"], t["rust_socketio"],
                  0.6, "rust_socketio", "µs")
        # socket.io-client has one structure (Node's event loop): the same reference for both.
        ratio_row(f"CPU per echoed event vs socket.io-client ({where})", t["ours"],
                  cpu["socket.io-client"], 0.3, "socket.io-client", "µs")
    for suite, where in (("ack-node", "placed by the scheduler"),
                         ("ack-node-split", "server and client on separate cores"),
                         ("ack-node-shared", "server and client on one core")):
        p50, rp50 = d.m(suite, "ours", "p50_us"), d.m(suite, "rust_socketio", "p50_us")
        if p50 is None:
            continue
        ratio_row(f"Ack round trip p50 vs rust_socketio's ({where})", p50, rp50, 1.0,
                  "rust_socketio", "µs")
        p99 = d.m(suite, "ours", "p99_us")
        ratio_row(f"Ack round trip p99 vs our own p50 ({where})", p99, p50, 3.0, "our p50", "µs")
    for n in (1000, 10000):
        ratio_row(f"Memory per idle connection, {n:,} connections, vs rust_socketio",
                  d.m(f"idle{n}-node", "ours", "per_conn_kb"),
                  d.m(f"idle{n}-node", "rust_socketio", "per_conn_kb"), 0.5, "rust_socketio", "KiB")
    tried = [r for r in d.results if r["suite"] == "idle10000-node" and r["client"] == "ours"]
    ok_runs = [r for r in tried if "error" not in r and r.get("n", 0) >= 10_000]
    ok10k = (len(ok_runs) == len(tried)) if tried else None
    rows.append(f"| 10,000 concurrent AsyncClient connections from one process | "
                f"{len(ok_runs)} of {len(tried)} runs connected all 10,000 | – | – | all runs succeed "
                f"| {verdict(ok10k)} |")
    rs = d.runs("echo-node", "ours", "ct")
    if rs:
        sbusy = med([r["server_cpu_s"] / r["wall_s"] for r in rs])
        cbusy = med([r["cpu_s"] / r["wall_s"] for r in rs])
        ok = sbusy >= 0.85 and cbusy < sbusy
        rows.append(f"| Echo against Node: the server saturates before our client | server busy {sbusy:.0%} "
                    f"| client busy {cbusy:.0%} | – | server ≥ 85% and above the client | {verdict(ok)} |")
    return "\n".join(["| target | ours | reference | ratio | limit | verdict |",
                      "| --- | ---: | ---: | ---: | ---: | --- |"] + rows) + cpu_bounds(cpu, in_task, d) + ack_bounds(d)


def ack_bounds(d):
    """The unpinned ack comparison next to the bare client's: it measures placement."""
    lines = []
    for suite, where in (("ack-node", "placed by the scheduler"),
                         ("ack-node-split", "on separate cores"),
                         ("ack-node-shared", "on one core")):
        bare, ours, rsio = (d.m(suite, c, "p50_us") for c in ("bare", "ours", "rust_socketio"))
        if None in (bare, ours, rsio):
            continue
        lines.append(f"{where}: bare {f(bare, 2)} µs ({f(bare / rsio, 2)}× rust_socketio's p50), "
                     f"ours {f(ours, 2)} µs, rust_socketio {f(rsio, 2)} µs; p99 / p50: bare "
                     f"{f(d.m(suite, 'bare', 'p99_us') / bare, 2)}×, ours "
                     f"{f(d.m(suite, 'ours', 'p99_us') / ours, 2)}×")
    if not lines:
        return ""
    return ("\n\nThe ack targets next to the bare websocket client, which does nothing but write a "
            "pre-encoded frame and wait for the answer (medians): " + "; ".join(lines) + ". Where the "
            "kernel puts the two processes decides the round trip (~15 µs on one core, ~75 µs on two), "
            "and that placement depends on the scheduler's wake-up heuristics and the state of both "
            "processes, not on the client's work; see the notes." + pinned_verdict(d))


def pinned_verdict(d):
    """Whether ours has the lowest ack p50 of the Socket.IO clients in every pinned placement."""
    suites = ("ack-node-split", "ack-node-shared")
    others = ("rust_socketio", "socket.io-client", "python-socketio")
    p50 = {(s, c): d.m(s, c, "p50_us") for s in suites for c in ("ours",) + others}
    if any(v is None for v in p50.values()):
        return ""
    if all(p50[(s, "ours")] < min(p50[(s, c)] for c in others) for s in suites):
        return (" With the placement fixed for every client (the pinned rows), ours has the lowest "
                "median of the Socket.IO clients in both placements.")
    return ""


def instructions_vs_cpu(cpu, compare):
    """The Rust clients' instructions per event (callgrind) next to their CPU per event against
    Node."""
    rows = [(c, compare.get(c), cpu.get(c)) for c in ("bare", "bare_json", "ours_typed", "ours", "rust_socketio")]
    rows = [(c, ir, us) for c, ir, us in rows if ir and us]
    bare = cpu.get("bare")
    if len(rows) < 3 or not bare:
        return []
    lines = ["", "Instructions and CPU per echoed event of the Rust clients (the instructions from the "
             "callgrind profile, the CPU from the Node table's current-thread rows):", "",
             "| client | instructions / event | CPU µs / event | CPU ÷ bare |", "| --- | ---: | ---: | ---: |"]
    lines += [f"| {PLAIN[c]} | {ir:,.0f} | {f(us, 2)} | {f(us / bare, 2)}× |" for c, ir, us in rows]
    by = {c: (ir, us) for c, ir, us in rows}
    text = ("CPU is not proportional to instructions. A client that sleeps between the server's "
            "frames is woken late (waking an idle core takes tens of microseconds on this virtual "
            "machine: compare the ack round trips on one core and on two) and finds several echoes "
            "waiting; a client that works longer per event sleeps less, reads again as soon as it is "
            "done, and pays its `recvfrom`, `epoll_wait` and `sendto` for fewer events at once (see "
            "*How the CPU per event answers work in the client*). Batching differs between clients "
            "too: in a spot check with `perf stat` (library at e647da1, 100,000 events, 2 runs each, "
            "against a server started as `bench.py` starts it), rust_socketio made 2,304–3,359 "
            "`recvfrom` calls, though one `sendto` per event; ours 45,938–47,453 of each; the codec "
            "floor 35,426–36,804; the bare client 36,445–41,216.")
    if "rust_socketio" in by and "ours" in by:
        (rir, rus), (oir, ous) = by["rust_socketio"], by["ours"]
        text += (f" rust_socketio executes {rir / oir:.1f}× our instructions per event and spends "
                 f"{rus / ous:.2f}× our CPU.")
    text += (" How much per-event work the 1.25× limit allows is measured directly, by adding busy "
             "work to the bare client: see *How the CPU per event answers work in the client*.")
    return lines + ["", text]


WORK_CLIENTS = ["bare", "bare+2", "bare+4", "bare+6", "bare+8", "bare_json", "ours_typed", "ours_reply",
                "ours_reply+2", "ours_reply+4", "ours"]
WORK_STEPS = (2, 4, 6, 8)


def work_table(d):
    """The work-node suite: the bare client with K rounds of ~1,000 busy instructions per received
    echo, next to the codec floor and ours, and where the 1.25× limit falls on that curve."""
    cpu = {c: d.m("work-node", c, None, "ct", us_per_event) for c in WORK_CLIENTS}
    if not cpu.get("bare") or not cpu.get("bare+6"):
        return "Not run (`benches/run.sh --only work-node`)."
    bare = cpu["bare"]
    compare, small = profile_compare(), profile_compare("compare_small_batches")
    extra = {f"bare+{k}": 1000 * k for k in WORK_STEPS}
    extra["bare"] = 0
    sleeps = lambda r: r.get("sleeps", 0) / r["n"] * 1000 if "sleeps" in r else None
    lines = ["| client | extra instructions / event (callgrind, window 1,000) | the same with 1–2 events "
             "per wake-up (window 2) | CPU µs / event (min–max) | ÷ bare | sleeps / 1,000 events |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for c in WORK_CLIENTS:
        if cpu.get(c) is None:
            continue
        base, _, k = c.partition("+")
        label = (PLAIN[c] if not k else f"bare websocket + {k},000 busy instructions" if base == "bare"
                 else f"{PLAIN[base]}, + {k},000 busy instructions in the handler")
        above_bare = lambda ir: ir[c] - ir["bare"] if ir.get(c) and ir.get("bare") else None
        ex, ex_small = (extra[c], extra[c]) if c in extra else (above_bare(compare), above_bare(small))
        lo, hi, _ = d.span("work-node", c, None, "ct", us_per_event)
        lines.append(f"| {label} | {f'{ex:,.0f}' if ex is not None else '–'} | "
                     f"{f'{ex_small:,.0f}' if ex_small is not None else '–'} | {f(cpu[c], 2)} "
                     f"({f(lo, 2)}–{f(hi, 2)}) | {f(cpu[c] / bare, 2)}× | "
                     f"{f(d.m('work-node', c, None, 'ct', sleeps), 0)} |")
    # Where the bare+K curve crosses 1.25× bare, by linear interpolation between its points.
    curve = [(extra[c], cpu[c]) for c in ["bare"] + [f"bare+{k}" for k in WORK_STEPS] if cpu.get(c)]
    limit, at = 1.25 * bare, None
    for (x0, y0), (x1, y1) in zip(curve, curve[1:]):
        if y0 <= limit <= y1 and y1 > y0:
            at = x0 + (limit - y0) * (x1 - x0) / (y1 - y0)
            break
    text = ["Busy work in the client costs more CPU than its own instructions: a busier client "
            "sleeps less between the server's frames (the last column), so it finds fewer echoes "
            "waiting at each wake-up and pays the `recvfrom`, `epoll_wait` and `sendto` for fewer "
            "events at once."]
    if at is not None:
        text.append(f"On this curve the 1.25× limit ({f(limit, 2)} µs) falls at about "
                    f"{at:,.0f} instructions per event above the bare client"
                    + (f", {at - (compare['bare_json'] - compare['bare']):,.0f} above the codec "
                       f"floor" if compare.get("bare_json") and compare.get("bare") else "")
                    + ": the budget for everything a Socket.IO client does beyond the JSON work.")
    elif curve and curve[-1][1] < limit:
        text.append(f"Even {curve[-1][0]:,} busy instructions per event stay under the 1.25× limit ({f(limit, 2)} µs) in this run.")
    if cpu.get("bare+6") and cpu.get("bare+8") and abs(cpu["bare+8"] / cpu["bare+6"] - 1) < 0.05:
        text.append(f"From about 6,000 extra instructions the curve flattens ({f(cpu['bare+6'], 2)} µs with "
                    f"6,000, {f(cpu['bare+8'], 2)} µs with 8,000): a client that busy finds echoes waiting "
                    f"at almost every wake-up (it hardly sleeps), so its batches, and with them its CPU per "
                    f"event, stop following its instructions. Ours sits on that plateau; to come down to "
                    f"the 1.25× line it must shed instructions per event until it sleeps again, as the "
                    f"bare client does.")
    if all(cpu.get(c) for c in ("ours_reply", "ours_reply+2", "ours_reply+4", "bare+2", "bare+4")):
        rise = lambda c, base: f"{100 * (cpu[c] / cpu[base] - 1):+.0f} %"
        added = (f"2,000 and 4,000 busy instructions per event in its echo handler take ours (the "
                 f"handler emits the next event) from {f(cpu['ours_reply'], 2)} to "
                 f"{f(cpu['ours_reply+2'], 2)} and {f(cpu['ours_reply+4'], 2)} µs "
                 f"({rise('ours_reply+2', 'ours_reply')}, {rise('ours_reply+4', 'ours_reply')}), where "
                 f"the same work takes the bare client from {f(bare, 2)} to {f(cpu['bare+2'], 2)} and "
                 f"{f(cpu['bare+4'], 2)} µs ({rise('bare+2', 'bare')}, {rise('bare+4', 'bare')})")
        if cpu["ours_reply+4"] / cpu["ours_reply"] < 1.05:
            text.append(f"Work added to ours hardly shows, as the plateau predicts: {added}. By the "
                        f"same token, work taken out of ours shows only once enough of it is gone for "
                        f"ours to sleep between the server's frames again.")
        else:
            text.append(f"Work added to ours: {added}.")
    echo = d.per_client("echo-node", us_per_event)
    wall_here, wall_echo = (d.m(suite, "bare", None, "ct", wall_100k) for suite in ("work-node", "echo-node"))
    if echo.get("bare") and echo.get("ours") and cpu.get("ours") and wall_here and wall_echo:
        ratios = (f"ours cost {f(cpu['ours'] / bare, 2)}× the bare client here"
                  + (f" ({f(cpu['ours_typed'] / bare, 2)}× with structs)" if cpu.get("ours_typed") else "")
                  + f" against {f(echo['ours'] / echo['bare'], 2)}× there"
                  + (f" ({f(echo['ours_typed'] / echo['bare'], 2)}×)" if echo.get("ours_typed") else ""))
        if abs(wall_here / wall_echo - 1) > 0.1:
            text.append(f"Where the line falls moves with the server's speed: in this suite the Node "
                        f"server took {f(wall_here, 3)} s per 100,000 echoes of the bare client against "
                        f"{f(wall_echo, 3)} s in the echo table of the same run, and {ratios}. A slower "
                        f"server leaves every client more time to sleep between its frames (see the "
                        f"notes on V8's memory reducer).")
        else:
            text.append(f"The server ran at the speed of the echo table ({f(wall_here, 3)} against "
                        f"{f(wall_echo, 3)} s per 100,000 echoes of the bare client), and {ratios}.")
    if cpu.get("ours_typed") and small.get("ours_typed") and small.get("bare"):
        text.append(f"Ours with struct payloads executes {compare.get('ours_typed', 0) - compare.get('bare', 0):,.0f} "
                    f"instructions per event more than the bare client when the profile's events come "
                    f"in large batches, and {small['ours_typed'] - small['bare']:,.0f} more at one or two events "
                    f"per wake-up, the batches of the Node runs: each wake-up polls three tasks "
                    f"(the I/O task, the handler task and the application's loop) and the timer wheel "
                    f"(the heartbeat's timer), where the bare client polls one task and no timer.")
    if cpu.get("ours_reply") and cpu.get("ours_typed"):
        text.append(f"The task hops are not what holds ours there: with the loop in the handler "
                    f"(each echo's handler emits the next event, so the application's task never wakes) "
                    f"ours costs {f(cpu['ours_reply'], 2)} µs per event, against "
                    f"{f(cpu['ours_typed'], 2)} µs with the loop in the application.")
    return "\n".join(lines + ["", " ".join(text)])


def partial_runs(meta):
    """Rows of the machine table for the suites run again after the full run
    (`benches/run.sh --only ...`): which, when, and on which library commit."""
    rows = []
    for p in meta.get("partial_runs", []):
        what = ", ".join(p["suites"]) + (f" (clients {', '.join(p['clients'])})" if p.get("clients") else "")
        when = p["started"] + (f", {p['duration_s'] / 60:.0f} min" if "duration_s" in p else "")
        lib = f", socketio {p['socketio']}" if "socketio" in p else ""
        # Where the partial run had another CPU or repetition count than the full run.
        lib += f", {p['reps']} repetitions" if "reps" in p and p["reps"] != meta.get("reps") else ""
        lib += f", on {p['cpu_model']}" if "cpu_model" in p and p["cpu_model"] != meta.get("cpu_model") else ""
        rows.append(f"| run again later | {what}: {when}{lib} |\n")
    return "".join(rows)


def profile_compare(key="compare"):
    """Instructions per echoed event by client, from the callgrind profile (if it was run):
    `compare` with a window of 1,000 events, `compare_small_batches` with a window of 2."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "callgrind-ours-echo.json")
    try:
        with open(path) as f:
            return {c: v.get("ir_per_event") for c, v in json.load(f).get(key, {}).items()}
    except (OSError, ValueError):
        return {}


def cpu_bounds(cpu, task, data):
    """What bounds the CPU targets: each limit in µs next to the bare ceiling of the same run
    (no client that reads and writes the same frames can spend less than the bare one)."""
    bare, floor = cpu.get("bare"), cpu.get("bare_json")
    if not bare:
        return ""
    lines = ["", "", "The CPU limits in microseconds, next to the bare websocket ceiling of the same run "
             f"({f(bare, 2)} µs per event):", "",
             "| limit | µs per event | ÷ bare ceiling | reachable by any client? |",
             "| --- | ---: | ---: | --- |"]
    for what, ref, factor in (("1.25× bare", "bare", 1.25), ("0.6× rust_socketio", "rust_socketio", 0.6),
                              ("0.3× socket.io-client", "socket.io-client", 0.3)):
        if cpu.get(ref) is None:
            continue
        limit = cpu[ref] * factor
        reachable = ("no: below the ceiling" if limit < bare else
                     "only without JSON: below the codec floor" if floor and limit < floor else "yes")
        lines.append(f"| {what} | {f(limit, 2)} | {f(limit / bare, 2)}× | {reachable} |")
    if floor is not None:
        ours, typed_ = cpu.get("ours"), cpu.get("ours_typed")
        lines += ["", f"The JSON work alone — the codec floor: the bare loop, but encoding every emit "
                  f"from a struct and parsing every echo into one with serde_json — costs {f(floor, 2)} µs "
                  f"per event, {f(floor / bare, 2)}× the ceiling. The 1.25× limit leaves "
                  f"{f(1.25 * bare - floor, 2)} µs per event above that floor for everything else a "
                  f"Socket.IO client does (decode the packet, find the handler, hand it the event off "
                  f"the I/O task, queue the emit); ours spends {f(ours - floor, 2) if ours else '–'} µs "
                  f"with `serde_json::Value` payloads and {f(typed_ - floor, 2) if typed_ else '–'} µs "
                  f"with structs."]
    fast = data.per_client("echo-sioxide", us_per_event)
    if fast.get("ours") and all(fast.get(c) for c in ("bare", "rust_socketio", "socket.io-client")):
        o = fast["ours"]
        lines += ["", f"Against the faster in-process socketioxide server (see its table), the client's own "
                  f"cost shows with less of the kernel's: ours "
                  f"{f(o, 2)} µs per event — {f(o / fast['bare'], 2)}× the bare ceiling, "
                  f"{f(o / fast['rust_socketio'], 2)}× rust_socketio, "
                  f"{f(o / fast['socket.io-client'], 2)}× socket.io-client (the targets above are "
                  f"set against Node)."]
    compare = profile_compare()
    if all(compare.get(c) for c in ("bare", "ours", "ours_typed")):
        lines += ["", "About half of what separates our client from the ceiling is work (the other half is "
                  "kernel time; see the notes): in user space "
                  "(callgrind, below; connect and start-up included) it executes "
                  f"{compare['ours']:,.0f} instructions per echoed event ({compare['ours_typed']:,.0f} with "
                  f"struct payloads) against the bare client's {compare['bare']:,.0f}"
                  + (f" and the codec floor's {compare['bare_json']:,.0f}" if compare.get("bare_json") else "")
                  + ". The bare client "
                  "formats its frames before the clock starts and never parses an echo; a Socket.IO client "
                  "parses every event, deserializes its argument, serializes every emit and hands each "
                  "event to a handler off the I/O task."]
    if task.get("ours") and task.get("bare") and cpu.get("ours"):
        lines += ["", f"With the test's loop spawned as a task instead of run as the `block_on` future, "
                  f"ours spends {f(task['ours'], 2)} µs per event ({f(task['ours'] / task['bare'], 2)}× "
                  f"the bare client's {f(task['bare'], 2)} µs in the same structure; "
                  + (f"{round(100 * (task['ours'] / cpu['ours'] - 1)):+d} % against `block_on`)"
                     if round(100 * (task['ours'] / cpu['ours'] - 1)) else "the same as in `block_on`)")
                  + (f", {f(task['ours_typed'], 2)} µs with struct payloads "
                     f"({f(task['ours_typed'] / task['bare'], 2)}×)" if task.get("ours_typed") else "")
                  + (f"; the codec floor {f(task['bare_json'], 2)} µs" if task.get("bare_json") else "")
                  + (f"; rust_socketio {f(task['rust_socketio'], 2)} µs" if task.get("rust_socketio") else "")
                  + "."]
    lines += instructions_vs_cpu(cpu, compare)
    typed = cpu.get("ours_typed")
    if typed is not None:
        lines += ["", f"With the application's own types (a `#[derive(Serialize)]` struct emitted, a "
                  f"`#[derive(Deserialize)]` struct received, no `serde_json::Value`), our client spends "
                  f"{f(typed, 2)} µs per event: {f(typed / bare, 2)}× the ceiling, "
                  f"{f(typed / cpu['rust_socketio'], 2) if cpu.get('rust_socketio') else '–'}× rust_socketio."]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Chart

def svg_chart(d, path):
    panels = []
    panels.append(("CPU per echoed event, µs (client process, 100,000 events, Node server)",
                   [("Node server", "#d84315", d.per_client("echo-node", us_per_event))],
                   "{:.2f}"))
    panels.append(("Echo wall time per 100,000 events, s (lower is faster)",
                   [("Node socket.io server", "#6d4c41", d.per_client("echo-node", wall_100k)),
                    ("socketioxide server", "#26a69a", d.per_client("echo-sioxide", wall_100k))],
                   "{:.2f}"))
    panels.append(("Ack round trip (call), µs, Node server, 3,000 calls",
                   [("p50", "#3949ab", {c: d.m("ack-node", c, "p50_us") for c in CLIENTS}),
                    ("p99", "#9fa8da", {c: d.m("ack-node", c, "p99_us") for c in CLIENTS})],
                   "{:.0f}"))
    panels.append(("Memory per idle websocket connection, KiB (RSS growth / N)",
                   [("1,000 connections", "#8e24aa", {c: d.m("idle1000-node", c, "per_conn_kb") for c in CLIENTS}),
                    ("10,000 connections", "#ce93d8", {c: d.m("idle10000-node", c, "per_conn_kb") for c in CLIENTS})],
                   "{:.1f}"))
    width, label_w, bar_w, bar_h, gap = 1000, 290, 600, 14, 10
    y = 40
    out = []
    for title, series, fmt in panels:
        out.append(f'<text x="10" y="{y}" font-size="15" font-weight="bold">{html.escape(title)}</text>')
        y += 10
        # legend
        lx = label_w
        for name, color, _ in series:
            out.append(f'<rect x="{lx}" y="{y}" width="12" height="12" fill="{color}"/>'
                       f'<text x="{lx + 16}" y="{y + 11}" font-size="12">{html.escape(name)}</text>')
            lx += 30 + 7 * len(name)
        y += 20
        vmax = max([v for _, _, vals in series for v in vals.values() if v is not None] or [1])
        for c in CLIENTS:
            if all(vals.get(c) is None for _, _, vals in series):
                continue
            weight = "bold" if c == "ours" else "normal"
            group_h = len(series) * (bar_h + 2)
            out.append(f'<text x="{label_w - 8}" y="{y + group_h / 2 + 4}" font-size="13" text-anchor="end" '
                       f'font-weight="{weight}">{html.escape(PLAIN[c])}</text>')
            for name, color, vals in series:
                v = vals.get(c)
                if v is not None:
                    w = max(1.0, bar_w * v / vmax)
                    stroke = ' stroke="#000" stroke-width="1.5"' if c == "ours" else ""
                    out.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}"{stroke}/>'
                               f'<text x="{label_w + w + 5:.1f}" y="{y + bar_h - 3}" font-size="11">'
                               f'{fmt.format(v)}</text>')
                else:
                    out.append(f'<text x="{label_w + 3}" y="{y + bar_h - 3}" font-size="11" fill="#999">n/a</text>')
                y += bar_h + 2
            y += gap
        y += 22
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}" '
           f'font-family="Helvetica, Arial, sans-serif">\n<rect width="100%" height="100%" fill="#fff"/>\n'
           f'<text x="10" y="20" font-size="12" fill="#555">socketio load benchmarks: medians; the bold '
           f'outlined bars are this crate (see BENCHMARKS.md)</text>\n' + "\n".join(out) + "\n</svg>\n")
    with open(path, "w") as fh:
        fh.write(svg)


# ---------------------------------------------------------------------------------------------
# Callgrind section

def hotspots(profile_path):
    if not os.path.exists(profile_path):
        return "No profile yet: run `benches/run.sh profile`."
    p = json.load(open(profile_path))
    total = p["total_ir"]
    lines = [f"`{p['command']}` — {p['n']:,} echoed events, {total:,} instructions in all, "
             f"**{p['ir_per_event']:,.0f} instructions per event** (connect and start-up included; "
             "user space only: callgrind does not see the kernel's share, the socket system calls).",
             "", "The same run for the other Rust clients (total instructions / events; each "
             "includes its start-up and connect, about the same for all; the bare client's "
             "includes formatting its 50,000 frames before the clock starts):", "",
             "| client | instructions per echoed event |", "| --- | ---: |"]
    for c, v in p.get("compare", {}).items():
        lines.append(f"| {PLAIN.get(c, c)} | {v['ir_per_event']:,.0f} |")
    mem = p.get("memory")
    if mem:
        lines += ["", f"Memory: massif on `sio-bench-ours ours idle` with {mem['n']:,} connections (after one "
                  f"warm-up): **{mem['heap_per_conn'] / 1024:.1f} KiB of heap per connection** at the peak "
                  "(RSS adds allocator overhead). Where it is allocated:", "",
                  "| bytes / connection | allocated under |", "| ---: | --- |"]
        # One line per allocation: the frames of one call chain carry the same bytes; keep the
        # one that names what was allocated.
        groups = []  # [bytes, frames], bytes within 1% of each other are one chain
        for row in sorted(mem["top"], key=lambda r: -r["bytes_per_conn"]):
            b = row["bytes_per_conn"]
            if groups and abs(groups[-1][0] - b) <= 0.01 * b:
                groups[-1][1].append(row["frame"])
            else:
                groups.append([b, [row["frame"]]])
        for b, frames in groups[:8]:
            def score(f):
                return (2 if any(k in f for k in ("channel<", "ReadBuffer", "Cell<", "Vec<")) else
                        1 if "socketio::" in f else 0, -len(f))
            lines.append(f"| {b:,.0f} | `{short(max(frames, key=score))}` |")
    lines += ["", "Self instructions by crate (our client, `serde_json::Value` in and out):", "",
             "| crate | % of instructions |", "| --- | ---: |"]
    for row in p["self_by_crate"][:12]:
        lines.append(f"| {row['crate']} | {row['pct']:.1f}% |")
    lines += ["", "Top functions by **self** instructions:", "", "| % | function |", "| ---: | --- |"]
    for row in p["top_self"][:25]:
        lines.append(f"| {row['pct']:.2f}% | `{short(row['function'])}` |")
    lines += ["", "Top functions by **inclusive** instructions (each function with everything it "
              "calls; runtime scaffolding left out; where a name stands for several closures or "
              "monomorphizations, the largest):", "", "| % | function |", "| ---: | --- |"]
    shown = 0
    scaffolding = ("std::", "tokio::runtime::", "(below main)", "0x", "__libc_start", "main",
                   "sio_bench::main", "sio_bench_ours::main", "socketio_bench::main_with", "core::future::poll_fn", "<core::future::poll_fn")
    for row in p["top_inclusive"]:
        name = short(row["function"])
        if name.startswith(scaffolding) or row["pct"] >= 99:
            continue
        lines.append(f"| {row['pct']:.1f}% | `{name}` |")
        shown += 1
        if shown >= 25:
            break
    return "\n".join(lines)


def short(name, limit=150):
    name = name.replace("|", "\\|")
    return name if len(name) <= limit else name[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------

def collect_criterion(criterion_dir, out_path):
    """Keeps the point estimates of the codec micro-benchmarks (criterion's
    <group>/<bench>/new/estimates.json) in results/codec.json."""
    rows = []
    for group in sorted(os.listdir(criterion_dir)):
        gdir = os.path.join(criterion_dir, group)
        if not os.path.isdir(gdir) or group == "report":
            continue
        for bench in sorted(os.listdir(gdir)):
            est = os.path.join(gdir, bench, "new", "estimates.json")
            if not os.path.exists(est):
                continue
            e = json.load(open(est))
            rows.append({"group": group, "bench": bench,
                         "median_ns": e["median"]["point_estimate"],
                         "ci_low_ns": e["median"]["confidence_interval"]["lower_bound"],
                         "ci_high_ns": e["median"]["confidence_interval"]["upper_bound"]})
    with open(out_path, "w") as fh:
        json.dump(rows, fh, indent=1)
    print(f"[report] {len(rows)} codec benchmarks -> {out_path}", file=sys.stderr)


def codec_table(path):
    if not os.path.exists(path):
        return "Not run yet: `benches/run.sh` runs them last (or `cargo bench -p socketio --bench codec`)."
    rows = json.load(open(path))
    out = ["| group | benchmark | median | 95% CI of the median |", "| --- | --- | ---: | ---: |"]
    for r in rows:
        out.append(f"| {r['group']} | {r['bench']} | {ns(r['median_ns'])} "
                   f"| {ns(r['ci_low_ns'])} – {ns(r['ci_high_ns'])} |")
    return "\n".join(out)


def ns(v):
    return f"{v / 1000:.2f} µs" if v >= 1000 else f"{v:.1f} ns"


def included(path):
    """A hand-written section (results/*.md), as it is, when present."""
    if not os.path.exists(path):
        return ""
    with open(path) as fh:
        return fh.read().rstrip("\n") + "\n"


def main():
    if sys.argv[1] == "criterion":
        collect_criterion(sys.argv[2], sys.argv[3])
        return
    results_path, md_path, svg_path = sys.argv[1:4]
    data = json.load(open(results_path))
    meta, d = data["meta"], Data(data["results"])
    here = os.path.dirname(os.path.abspath(__file__))
    svg_chart(d, svg_path)
    rel_svg = os.path.relpath(svg_path, os.path.dirname(os.path.abspath(md_path)))
    versions = "\n".join(f"| {k} | {v} |" for k, v in meta["versions"].items())
    busy = [r.get("background_busy", 0) for r in d.results]
    interf = [r.get("interference", 0) for r in d.results if "error" not in r]
    errors = d.errors()
    err_text = "\n".join(f"- `{r['suite']}` / {r['client']} (rep {r['rep']}): `{r['error'][:300]}`"
                         for r in errors) or "None."
    n_echo = next((r["n"] for r in d.results if r["test"] == "echo" and "n" in r), 100_000)
    md = f"""# Benchmarks

<!-- Generated by benches/run.sh (benches/report.py) from benches/results/results.json:
     edit report.py, not this file. -->

How much CPU, time and memory this crate's `AsyncClient` costs next to a hand-written
websocket client (the practical ceiling), rust_socketio, socket.io-client and
python-socketio — all against the same Node socket.io 4.8.4 server, on this project's
2-core machine, every client in a process of its own.

![benchmark chart]({rel_svg})

## Reproduce

From a fresh clone, with the Rust toolchain, Node 20 and Python 3.11:

```sh
benches/run.sh
```

It installs the pinned peers (`benches/peers/node/package-lock.json`: socket.io and
socket.io-client 4.8.4; `benches/peers/python/requirements.txt`: python-socketio 5.18.1
with aiohttp, into the git-ignored `benches/peers/python/.venv`), builds `benches/` (a cargo
workspace of its own, so the root `cargo test --workspace` never compiles rust_socketio),
raises the fd limit with `ulimit -n`, runs every suite ({meta['reps']} interleaved repetitions,
{meta.get('reps_ack', meta['reps'])} for the ack round trips, {meta['reps_10k']} for 10,000 connections), writes `benches/results/results.json` and rewrites this file
and the chart. `benches/run.sh --quick` is a one-minute smoke run; `benches/run.sh profile`
the callgrind profile below; `benches/run.sh report` only this file. The codec
micro-benchmarks: `cargo bench -p socketio --bench codec`.

## Machine and versions

| | |
| --- | --- |
| CPUs (`nproc`) | {meta['nproc']} |
| CPU model | {meta['cpu_model']} |
| memory | {meta['mem_total_kb'] / 1024 / 1024:.1f} GiB |
| kernel | {meta['kernel']} |
| run | {meta['started']}, {meta['duration_s'] / 60:.0f} min{' (quick)' if meta.get('quick') else ''} |
{partial_runs(meta)}| background CPU before a run (median / max) | {statistics.median(busy) if busy else 0:.0%} / {max(busy) if busy else 0:.0%} of the machine |
| other processes' CPU during a run (median / max) | {statistics.median(interf) if interf else 0:.0%} / {max(interf) if interf else 0:.0%} of one core; {d.dropped_runs()} disturbed run(s) (> {INTERFERENCE_LIMIT:.0%}) left out of the medians |
{versions}

## Targets

Against the Node server; medians. The Rust clients run on a current-thread tokio runtime, with the
test's loop either as the `block_on` future or spawned as a task (see the notes for why that matters).

{targets(d)}

## Echo throughput

{n_echo:,} events `{{"i": n, "s": "hello world"}}` emitted as `echo`; the server emits each one back;
at most 1,000 unanswered at any time (every client uses the same window); the run ends at the
last echo. *CPU* is the client process's own user + system time over that phase
(getrusage `RUSAGE_SELF`; connect and start-up excluded), *wall* the phase's duration.
*Busy* is CPU time / wall time: 100% is one core. The server's CPU comes from
`/proc/<pid>/stat` over the whole client process (connect included), so its busy share is
slightly high. Each of the two cores runs one side: whichever reaches 100% first is the
bottleneck.

### Against Node socket.io 4.8.4 (one event loop)

{echo_table(d, 'echo-node', ['ct', 'task', 'mt'])}

### Against socketioxide 0.18 (one thread: `benches/src/bin/sioxide_server.rs`)

{echo_table(d, 'echo-sioxide', ['ct', 'task', 'mt'])}

### How the CPU per event answers work in the client

The same echo against the Node server (suite `work-node`, current-thread runtime, loop in
`block_on`), with the bare client doing K × ~1,000 instructions of busy work for every echo
it receives (`sio-bench-bare bare echo URL --work K`; a round measured 970–980 instructions with
callgrind), next to the codec floor and ours, and ours with the same busy work in its echo
handler (`sio-bench-ours ours_reply echo URL --work K`). *Sleeps* are the client's voluntary
context switches during the run (getrusage), per 1,000 events.

{work_table(d)}

## Ack round trip

3,000 sequential `call("sum", (1, 2))` (after 100 warm-up calls), each timed from the
emit to the ack; the median over repetitions of each run's p50 and p99.

{ack_table(d)}

The same calls against a Node server pinned to CPU 0, with the client pinned to CPU 1
(*separate cores*: each reply wakes the other core), then to CPU 0 (*same core*: the two
processes take turns). Left to the scheduler, the placement changes from run to run, and
with it the round trip — by up to a factor of six on this machine.

{pinned_ack_table(d)}

## Memory per idle connection

One warm-up connection, then N more from the same process (64 connecting at once),
2 s idle, then the growth of the process's VmRSS (`/proc/self/status`) divided by N. Node's
and Python's figures are taken after a forced garbage collection. *At once* (suite
`idle1000-once-node`): no warm-up connection, all 1,000 clients created and connecting
together (`join_all`; `--concurrency 0 --warmup 0`), 3 s idle: what an application that
opens its connections together pays, its one-off costs (code pages, the runtime's first
blocks) included; no `malloc_trim`, so memory freed after the handshakes but kept by the
allocator counts.

{idle_table(d)}

The *heap* column is the growth of `RssAnon` (the heap and stacks, without the code and
files mapped on first use) over the same run, where the client reports it (Node's and
Python's clients do not).

### What one connection costs, whatever the pace

Each Rust client runs in a binary of its own (`sio-bench-ours`, `sio-bench-rust-socketio`,
`sio-bench-bare`), as an application links one client: in one binary with all three, the
linker places the other clients' code between a client's functions, and ours' first
connection mapped about 0.6 MB more of it. KiB per connection, VmRSS (heap in brackets),
1,000 connections to Node, medians of the runs; *no warm-up* (suite `idle1000-cold-node`:
paced, but without the warm-up connection) pays the same one-off costs as *at once*, so
those two differ only by the pace:

{pace_table(d)}

What is left between *at once* and *paced (warm-up)* is mostly not per connection: the
first connection of a process maps the code it runs (`--n 1` at cb3b6b7: VmRSS +1.56–1.78 MB,
of which 24 KB of heap, on the current-thread runtime; +1.91–2.08 MB, 40–52 KB of heap, on
the multi-thread one, whose scheduler runs more code; the kernel maps 64 KiB around each
page of code a fault touches), about 1.7–2.0 KiB of every figure of 1,000 without a
warm-up. Like for like, the pace costs what the last two columns say: 1–3 %. What remains
of it are the blocks freed once connected that the allocator keeps between long-lived
ones, mostly the caller's own: `join_all` holds each client's future (the benchmark's is 472 bytes,
`connect_with`'s 384 of them) in a block of its own until that client is connected.

An application can make that one-off smaller by building this crate in one codegen unit
(`[profile.release.package.socketio]` `codegen-units = 1` in its own `Cargo.toml`): rustc then
stops repeating the crate's drop code and small functions in each of its 16 units. Measured
at 52aaa75 with `sio-bench-ours` built both ways, 3 runs each: the binary's code is 465 KB
smaller, and the first connection maps 1.31–1.56 MB instead of 1.84–1.87 MB. 1,000 at once
then cost 12.7–13.5 KiB per connection instead of 13.1–14.0 (paced: 11.1 both ways). The
tables above use the default profile.

How the gap was closed (heaptrack, `sio-bench-ours ours idle URL --n 1000 --concurrency 0
--warmup 0`):

- At abf5849 the live heap at idle was the same at once as paced (11.0 MB), but its peak
  while all 1,000 connected was 25.5 MB, and the allocator kept the freed blocks (holes
  between long-lived allocations) as resident memory: 25.7–29.3 KiB per connection. 14.0 MB
  of that peak were the `connect_with` futures (13,872 bytes each, 10,384 of them
  tokio-tungstenite's `connect_async_tls_with_config`, whose layout repeats the request and
  the 1,112-byte `MaybeTlsStream` at every level), 2.6 MB tungstenite's 4 KiB handshake read
  chunks.
- 4044b10: the websocket upgrade is the library's own (`engineio/transport/upgrade.rs`: the
  request written from one buffer, the response's head read into one of 256 bytes, then
  `WebSocketStream::from_partially_read`), and the TLS session is boxed
  (`engineio/transport/stream.rs`): a plain connection's stream is 40 bytes, its websocket
  320 instead of 1,392, the connect future 3,580 bytes.
- 87cd1f6: `ConnectOptions` is boxed (an `async fn` keeps its arguments for its whole life,
  at every layer it passes through), the reconnection loop and the proxy tunnel are boxed
  apart, and the engine's options are behind their `Arc` before its opening starts:
  `connect_with`'s future is 736 bytes (4,216 before), the engine's opening 1,848 (2,272).
  With 1,000 at once, heaptrack now sees a heap peak of 11.31 MB against 11.19 MB live at
  idle.
- 09f09f9: the first connection maps less code. The TLS configuration is built when a
  connection first needs one (`https`, `wss` or polling), so a `ws://` client never maps
  aws-lc-rs or parses the webpki roots, and the cookie jar is looked up only once a server
  has set a cookie: `--n 1` went from +2.6 MB to +1.75 MB.
- 926cf58: the websocket is boxed as soon as it is open and the connection and upgrade run
  in a function of their own: `EngineSocket::open`'s future is 1,168 bytes (1,480 before).

Then, with glibc's `malloc_stats` read at idle (through gdb) and a log of every allocation
that tells, for each free byte inside the heap, which allocation last held it:

- At 14d968c, with 1,000 at once, 0.68–0.87 MB of the heap were free at idle, in 2,575
  blocks: the caller's `join_all` tasks, then blocks of ours that a connecting client frees
  once connected: a oneshot channel, a waiter list and copies of the namespace per
  `connect()`, the options and URL the caller passed (the connection kept clones), the
  namespace list (a block of 112 bytes for one name).
- b8b7231: `connect()` waits for its namespaces' answers counted in the `Connection`, with
  its waker, and the target is moved to the connection, not copied: 0.44–0.55 MB free.
- f19f852: `connect_with`'s future is 384 bytes (664): the checks before opening are a plain
  function, a failed connect's handling is boxed (its error and `close_connection` future
  had been laid out in every state), and what attaching the engine needs is gone before the
  wait. The namespace list is sized exactly. 0.28–0.39 MB free; 13.06–13.20 KiB at once.
- cb3b6b7: the first connection runs less of the http and url crates' code (response header
  names compared in place, no header map when there are no headers, the endpoint's query
  set in one piece).

## Connect time

50 sequential connects of a fresh client (after 5 warm-up ones), each timed from the start
to the namespace being connected (the server's CONNECT packet), then a disconnect.

{connect_table(d)}

## Codec micro-benchmarks (criterion)

`socketio/benches/codec.rs`, through the public API only: Socket.IO packet headers
(`encode_header`, `RawPacket::decode`), binary reassembly, Engine.IO packets, polling payloads,
and arguments ⇄ Rust values (`Payload::new` encodes as `emit` does; `Payload::get`
deserializes). One thread, the same machine; run by `benches/run.sh` with 1 s warm-up and
3 s of measurement per benchmark.

{codec_table(os.path.join(here, 'results', 'codec.json'))}

## Where our client's echo loop spends its instructions (callgrind)

{hotspots(os.path.join(here, 'results', 'callgrind-ours-echo.json'))}

{included(os.path.join(here, 'results', 'refactor-before-after.md'))}
## Notes

- The bare client (`benches/src/bin/sio_bench_bare.rs`) speaks Engine.IO v4 /
  Socket.IO v5 by hand over tokio-tungstenite: `EIO=4&transport=websocket`, `40`, answers
  pings, sends frames encoded before the clock starts and counts `42…` frames without parsing
  them. No real client can do less, so it is the ceiling.
  The codec floor (`bare_json`, same module) runs the same loop but builds every frame as it
  sends it, serializing a struct with serde_json, and parses every echo with serde_json into
  a struct that borrows its strings: the JSON work every Socket.IO client must do, and
  nothing else (no handler table, no queue, no acks).
- The Rust clients handle `echo` with a synchronous handler that takes a
  `serde_json::Value` (rust_socketio always parses into one) and returns a window permit;
  they emit `json!({{…}})`. "struct in and out" is our client with a
  `#[derive(Serialize)]` struct emitted and a `#[derive(Deserialize)]` struct received:
  the library's own cost when the application's types are cheap.
- rust_socketio's `connect()` returns before the server's CONNECT; the harness waits for its
  `Event::Connect`. Its connect time of ~40 ms looks like Nagle's algorithm meeting delayed
  ACKs (it does not set `TCP_NODELAY`); it is rust_socketio's behaviour, measured as it is.
- Against the Node server every client but python-socketio is server-bound (the server is
  ~100% busy, and the wall times are equal): the echoes come back in small batches, so a
  large part of each client's CPU per event is wake-ups and socket system calls that all
  of them pay. Against socketioxide the batches are large and the user-space cost shows
  (compare the two tables, and the instruction counts below).
- What the kernel charges differs too. A spot check outside the recorded run (library between
  a76b3d1 and b659e40, 200,000 events, `/usr/bin/time`, 2 runs each): bare user 0.16–0.22 s, system
  0.32–0.46 s; ours with struct payloads user 0.34–0.38 s, system 0.49–0.54 s — although
  ours made fewer socket calls (strace, 100,000 events: 7,976 `sendto` and 8,372
  `epoll_wait` against the bare client's 10,301 and 10,520). The bare client sleeps between
  batches (20,180 voluntary context switches against ours' 1,805–2,861); ours is busy more
  of the time, so its system calls overlap the server's on the same TCP connection, and
  `perf` shows the kernel spinning on that contention (`__pv_queued_spin_lock_slowpath`,
  6.3% of our samples against 1.7% of the bare client's). In that spot check the user-time
  and system-time differences were about equal (0.8 and 0.6 µs per event): half of the gap
  to the ceiling is the kernel's, on two cores shared with the server.
- That kernel half follows the user-space half. A second spot check (library at ab502eb,
  200,000 events, `/usr/bin/time`, 2 runs each) gave the bare client a busy loop of K
  `black_box` additions per echo and nothing else: K = 0, user 0.17–0.20 s, system 0.43 s;
  K = 1,000, user 0.22–0.28 s, system 0.54–0.55 s; K = 2,000, user 0.33–0.35 s, system
  0.49–0.51 s — where ours measured user 0.28–0.36 s, system 0.48–0.58 s. Work added in
  user space, with no system call at all, raised the kernel's charge as much as ours: a client
  busy longer meets the server on the connection more often. `perf record -g` (same day,
  200,000 events) shows where: the kernel's `sendto` cost 224 ms in our process against
  89 ms in the bare client's — of which delivering the segments into the server's socket
  (the loopback softirq run inside our `sendto`) 124 against 35 ms, and waiting for our own
  socket's lock (`lock_sock_nested`) 75 against 17 ms, held meanwhile by the delivery of the
  server's own sends into it.
  Cutting user-space work is the only lever, but it is not proportional: the struct-payload
  variant executes about a quarter fewer instructions than the `Value` one and spends about
  the same CPU time. Trimming 100–200 instructions per event (a smaller job; reading every
  frame already buffered per wake-up) moved the median of 6 interleaved runs each by less
  than 1% (3.65 and 3.65 µs against 3.67). Reading a typed parameter from just after the
  event's name instead of parsing the name again (library at 94c53a3) saved about 300
  instructions per event in large batches and 410 at one or two per wake-up (callgrind:
  7,218 → 6,921 and 13,095 → 12,685), and moved the CPU by less than the noise (medians of 7
  interleaved runs, client pinned to one CPU and Node to the other: 3.70 against 3.71 µs).
  Keeping each received frame's buffer instead of copying it (library at c984bdd) saves one
  allocation and about 290 instructions per event with struct payloads (callgrind A/B on one server: 7,382–7,384 in 2 runs against
  7,082–7,112 in 3), and moved the CPU by less than the noise (medians of 7 interleaved runs: 3.62 against 3.61 µs with
  structs, 4.01 against 4.08 µs with `Value`). Queued events then share tungstenite's 4 KiB
  read buffers; the queue holds consecutive frames, so that is at most about one buffer
  beyond what `max_buffered` counts, and a catch-all handler, which may keep its `Payload`,
  gets a copy of its own. Removing the hand-off altogether, by running each synchronous
  handler on the I/O task as its event is read (an experiment at e12cde4, not kept), did
  not lower the CPU either: 3.58 against 3.55 µs with struct payloads in `block_on`
  (medians of 7 interleaved runs, bare 2.11 µs in the same runs) and 3.58 against 3.49 µs
  in a task (5 runs). Repeated at 94c53a3 (a handler runs on the I/O task when the
  dispatcher has nothing queued or running), it saved 583 instructions per event at one or
  two events per wake-up (12,685 → 12,102) and still did not lower the CPU: 3.63 against
  3.59 µs with structs (5 interleaved runs, pinned as above), with the same 0.48–0.49
  `recvfrom` and `sendto` calls per event.
- One task for everything did not lower it either (an experiment on the library at 7df6ee1,
  not kept): synchronous handlers run on the I/O task as their frames are read, each
  echo's handler emits the next event, and the I/O task reads every frame already buffered
  (up to 64) before it writes. With struct payloads it spent 3.61–3.68 µs per event against
  3.67–3.81 µs for the library as it is, the bare client 2.20–2.30 µs (200,000 events, loop
  in a task, the client pinned to one CPU and the Node server to the other, 2 interleaved
  runs each), and `perf stat` counted the same 0.45–0.46 `sendto` calls per event as the
  library's (bare 0.30). Without the read-ahead that variant wrote after every frame (0.995
  `sendto` per event, 0.09–0.12 `recvfrom`) and spent 3.82–3.83 µs. In the same setting the
  bare client with 6,000 and 8,000 busy instructions per echo spent 3.57–3.60 and 3.59–3.60
  µs: the curve of the next note is flat there, and every variant of ours sits on it. What
  moves a client off it is fewer instructions per event, not fewer task switches.
- The `work-node` suite repeats that experiment on every run. A spot check of it with
  `perf stat` (library at 023b660, 100,000 events against a Node server started as
  `bench.py` starts it, loop in `block_on`, 3 runs each, medians) shows the batching that
  goes with it: the bare client made 0.353 `sendto` calls per event and slept 7,976 times
  (2.53 µs per event); with 2,000 busy instructions per echo 0.396 and 4,881 (3.00 µs); with
  4,000, 0.460 and 1,856 (3.57 µs); with 6,000, 0.481 and 815 (3.78 µs). Ours: 0.473 and 604
  (3.88 µs); with struct payloads 0.480 and 636 (3.89 µs); the codec floor 0.388 and 5,180
  (2.96 µs). So our client sits where the bare client does with ~6,000 busy instructions,
  with the same `sendto` per event. Ours also made 0.88 `epoll_wait` calls per event in
  `block_on` against 0.48 with the loop in a task (the next note), for about the same CPU
  in this check (3.88 µs in both).
- Why ours' instructions cost more CPU than the busy loop's: the busy loop repeats a few
  instructions, while the instructions ours adds are nearly all distinct, each run about
  once per event, and the kernel's network code runs between every two wake-ups. Counting the
  instructions that ran at least once every other event (callgrind `--dump-instr=yes`,
  library at c57eacd, 10,000 events at window 2 against one Node server): the bare client
  4,752 distinct instructions on 537 cache lines of 64 bytes (about 33 KiB), the codec floor
  5,204 on 581 (36 KiB), ours with structs and the handler emitting 7,772 on 843 (52 KiB), over
  the 32 KiB of a first-level instruction cache. That these lines are fetched again at every
  wake-up is an inference: this virtual machine exposes no cache-miss counters.
- Link-time optimization, a spot check (library at c57eacd; the benchmark binary built with
  `CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1`; 200,000 events, loop
  in a task, the client pinned to CPU 1 and Node to CPU 0, 5 interleaved runs each, medians).
  Instructions per event at window 2 (callgrind): ours with the handler emitting 10,585
  against 12,154 without LTO, ours with structs 11,143 against 12,705, the bare client 6,918
  against 7,838. CPU per event: ours with the handler emitting 3.39 against 3.75 µs (sleeps
  per 1,000 events: 25 against 11), with structs 3.60 against 3.80 µs, the bare client 2.15
  against 2.32 µs: ours moved a little off the plateau, to 1.57× the bare client built the
  same way. The recorded runs build every Rust client with Cargo's default release profile.
- The Node server runs with `--no-memory-reducer`. Without it, V8 shrinks the heap of a
  server left idle for a few minutes (as during the socketioxide suites), and the server
  stays slower per event afterwards, which changes every client's CPU and their ratios. A
  spot check (library at 023b660, 100,000 events, 2 runs each, loop in `block_on`): fresh
  servers took 0.66–0.68 s per 100,000 echoes of the bare client, the bare client spent
  2.20–2.22 µs per event and ours 3.73–3.79 µs (1.69–1.71×); after 3 minutes idle, the
  default server took 0.84 s, the bare client 3.04 µs and ours 4.21 µs (1.39×), while the one
  started with `--no-memory-reducer` took 0.65 s, 2.34 and 3.97 µs (1.70×). The two full runs
  before this flag measured their work-node suites against a memory-reduced server (0.87–0.88 s
  per 100,000 echoes) and found ours at 1.33× the bare client there (1.25–1.26× with structs),
  against 1.61–1.63× in their echo tables.
- The shared-core ack p99 splits into two modes between runs, for ours and rust_socketio
  alike. In the full run at e4aed94, ours' p99s were 23–29 µs in 5 runs and 53–81 µs in 4,
  rust_socketio's 28 µs in 2 and 45–93 µs in 7, the bare client's 22–43 µs; the median fell
  in ours' fast mode (2.08× its p50). In the full run before it (9514871, the same day) it
  fell in the slow one: ours 27–30 µs in 3 undisturbed runs and 56–69 µs in 4 (3.98×),
  rust_socketio 24–39 µs in 4 and 54–69 µs in 5, the bare client 21–28 µs in all 9. A spot
  check (library at 023b660, Node pinned to CPU 0 after 5 split-core rounds, then 6 rounds
  on one core): ours 23–25 µs in 4 runs, 48 and 84 µs in 2; rust_socketio 29–31 µs in 4,
  112 and 141 in 2; bare 21–26 µs in 5, 113 in 1. The full run at befb915 (library unchanged,
  from a fresh clone) fell in the slow mode for every client: ours 23–24 µs in 2 runs and
  42–104 µs in 7 (3.75× its p50), rust_socketio 59–100 µs in all 9 (4.3×), the bare client
  21–33 µs in 2 and 40–82 µs in 7 (3.7×). So did the full run at c4abc4f (fresh clone): ours
  37 µs in 1 run and 50–64 µs in 8 (4.03×), rust_socketio 51–70 µs in all 9, the bare client
  31–36 µs in 3 and 51–64 µs in 6 (4.72×). The full run at 161adac (fresh clone, library
  unchanged) fell in the fast mode: ours 25–37 µs in 7 of its 9 runs and 50–51 µs in 2
  (1.94× its p50), rust_socketio 27–28 µs in 2 and 51–69 µs in 7, the bare client 22–31 µs
  in 7 and 41–45 µs in 2.
- Where the application's loop runs changes our client's CPU, and not the others'. On a
  current-thread runtime, tokio polls the `block_on` future only after one more
  non-blocking poll of the I/O driver (`park_yield`, an `epoll_wait` with timeout 0), while a
  woken task runs in the same turn. The echo loop is woken by our handler for every batch
  of echoes, so in `block_on` each batch costs an extra `epoll_wait`, and the emits leave
  in smaller batches. The bare client is one future doing its own I/O, and rust_socketio's
  handlers wake no other future, so neither changes (compare their rows). A spot check (library at
  9380dee, 100,000 events against a Node server started from a shell, `perf stat` on
  the syscall tracepoints, 3 runs each): ours in `block_on` made 55,690–59,216 `sendto`
  and 88,915–94,053 `epoll_wait` calls with 1,884–2,907 context switches; ours in a task
  42,568–44,138 `sendto` and 46,756–48,440 `epoll_wait` with 5,129–5,391; the bare
  client 53,075–56,236 `sendto` and 56,850–59,571 `epoll_wait` with 8,334–8,777. CPU per
  run (inflated by the tracing): 0.417–0.430 s, 0.377–0.381 s and 0.319–0.323 s. Without
  tracing, 5 interleaved runs each against that server: ours 0.416–0.447 s in `block_on`,
  0.368–0.377 s in a task (−13 % median), struct payloads 0.389–0.399 and 0.341–0.389 s,
  bare 0.288–0.318 and 0.287–0.318 s. Against a server started the way `bench.py` starts
  it, the calls halved just the same (87,911–93,529 against 47,908–48,639 `epoll_wait`
  with tracing, 3 runs each) but the CPU did not move (0.390–0.410 against 0.384–0.406 s),
  and the recorded run above agrees. So the saved system call is real, and what it is
  worth depends on the placement. The `AsyncClient` documentation tells users to spawn
  such loops and why, without promising a number.
- Unpinned placement is not random noise but the kernel's wake-up heuristics, which depend
  on the state of both processes. A spot check with the same binaries (library at 425a9b6,
  3,000 calls each): against a Node server started from a shell (`sleep … | node server.js`),
  ours, rust_socketio and bare all got the one-core placement (p50 14–17 µs); against one
  started by `bench.py` (its `Server` class), ours and rust_socketio got two cores
  (78–88 µs); against that server after an echo run, ours and bare stayed on two cores
  (70–77 µs in 3 runs each) while rust_socketio was put on the server's core in 2 of 3
  (17 µs; 80 µs in the other). All three were
  single-threaded with the same number of context switches. The pinned suites take this
  out of the comparison.
- The ack round trip is mostly the two processes waking each other. When the scheduler
  puts client and server on one core, a round trip against Node takes ~15 µs; on two cores,
  ~90 µs (each reply wakes an idle virtual CPU). Unpinned, the placement changes from run to
  run — hence the wide min–max of the first table, where one client can look twice as fast
  as another in the same repetition. The pinned table fixes the placement for every client.
- Absolute figures on this virtual machine drift between sessions by up to a third (the
  bare client's CPU per echoed event against Node was 3.51 µs in the previous session's run,
  2.54–2.72 µs in this session's); the clients run interleaved, so their ratios hold better.
  Three full runs of the library at b659e40, half an hour apart, gave ours / bare 1.62, 1.60
  and 1.66, ours / rust_socketio 0.92, 0.96 and 0.96, ours / socket.io-client 0.50, 0.52 and
  0.52 in CPU per event against Node (f87485a, the session before: 1.49, 0.96, 0.54). The
  first two had no pinned ack suites; their unpinned ack p50 ratios to rust_socketio were
  1.19 and 1.73, with rust_socketio's p50 ranging 36–111 µs between repetitions.
- Memory: VmRSS growth counts the pages touched, including allocator slack; the 10,000
  connection runs need `ulimit -n` above 10,000 (`run.sh` raises it for itself and its children).
- Nothing here runs in `cargo test` or CI: the numbers vary with the machine and never fail a build.

Errors during this run: {err_text}
"""
    with open(md_path, "w") as fh:
        fh.write(md)
    print(f"[report] wrote {md_path} and {svg_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
