#!/usr/bin/env python3
"""Runs the load benchmarks (called by benches/run.sh; standard library only).

Every client runs in a process of its own against the same server process, the clients of
one repetition one after the other (their order rotates between repetitions), and every
measurement is repeated; report.py takes the medians.

The clients measure themselves (CPU from getrusage(RUSAGE_SELF) around the measured phase,
RSS from /proc/self/status); this driver adds the whole child's CPU from wait4() (its
RUSAGE_CHILDREN share), the server's CPU from /proc/<server>/stat, and the machine's
background load before each run (CPU busy on the whole machine while nothing of ours ran).
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TICK = os.sysconf("SC_CLK_TCK")


def log(*a):
    print("[bench]", *a, file=sys.stderr, flush=True)


def proc_cpu(pid):
    """utime + stime of a process, in seconds, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def machine_busy_s():
    """CPU seconds spent busy (not idle or iowait) on the whole machine since boot."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v) - v[3] - v[4]) / TICK


def machine_busy(seconds=0.5):
    """Fraction of all CPUs busy over `seconds` (from /proc/stat)."""
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        idle = v[3] + v[4]
        return sum(v), idle
    t0, i0 = snap()
    time.sleep(seconds)
    t1, i1 = snap()
    return 1 - (i1 - i0) / max(1, t1 - t0)


def wait_quiet(limit, max_wait):
    """Waits (up to max_wait s) until the machine's background CPU is below `limit`."""
    busy = machine_busy()
    waited = 0.0
    while busy > limit and waited < max_wait:
        time.sleep(2)
        waited += 2.5
        busy = machine_busy()
    return busy


def pinned(cpu):
    """A preexec_fn that pins the child (and the threads it starts) to one CPU; None: unpinned."""
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


# V8's memory reducer shrinks an idle Node process's heap after a few minutes, and the server
# stays ~25% slower per event afterwards (it would be idle during the socketioxide suites):
# off, so that every suite meets the server at the same speed.
NODE_SERVER_FLAGS = ["--no-memory-reducer"]


class Server:
    def __init__(self, name, argv, cpu=None):
        self.name = name
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, cwd=HERE, preexec_fn=pinned(cpu))
        line = self.proc.stdout.readline()
        m = re.match(r"LISTENING (\d+)", line)
        if not m:
            raise RuntimeError(f"{name} server did not start: {line!r}")
        self.url = f"http://127.0.0.1:{m.group(1)}"
        self.pid = self.proc.pid
        log(f"{name} server at {self.url} (pid {self.pid})")

    def rss_kb(self):
        with open(f"/proc/{self.pid}/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))

    def stop(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001
            self.proc.kill()
            self.proc.wait()


def is_rust(client):
    """A client of `sio-bench-*` (`kind[+K][:flavor]`), as opposed to the Node and Python peers."""
    return client.startswith(("ours", "bare", "rust_socketio"))


def rust_binary(kind):
    """The binary of a Rust client kind: one per client, as an application links one client
    (in one binary with all of them, each one's first connection maps the others' code too)."""
    if kind.startswith("ours"):
        return "sio-bench-ours"
    if kind.startswith("bare"):
        return "sio-bench-bare"
    return "sio-bench-rust-socketio"


def client_argv(client, test, url, flags, bin_dir, python):
    extra = [str(x) for kv in flags.items() for x in (f"--{kv[0]}", kv[1])]
    if is_rust(client):
        kind, _, flavor = client.partition(":")
        # `bare+K`, `ours_reply+K`: K rounds of busy work per received echo.
        kind, _, work = kind.partition("+")
        if work:
            extra += ["--work", work]
        return [os.path.join(bin_dir, rust_binary(kind)), kind, test, url, *extra,
                "--flavor", flavor or "ct"]
    if client == "socket.io-client":
        return ["node", "--expose-gc", os.path.join(HERE, "peers/node/client.js"), test, url, *extra]
    if client == "python-socketio":
        return [python, os.path.join(HERE, "peers/python/client.py"), test, url, *extra]
    raise ValueError(client)


def run_client(argv, server, timeout, cpu=None):
    s0 = proc_cpu(server.pid)
    m0 = machine_busy_s()
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=pinned(cpu))
    deadline = t0 + timeout
    status = ru = None
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, ru = os.wait4(proc.pid, 0)
            break
        time.sleep(0.005)
    elapsed = time.perf_counter() - t0
    server_cpu = proc_cpu(server.pid) - s0
    machine = machine_busy_s() - m0
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    lines = [l for l in out.splitlines() if l.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": (err.strip() or out.strip() or f"exit {proc.returncode}")[-2000:]}
    result = json.loads(lines[-1])
    result.update(process_cpu_s=ru.ru_utime + ru.ru_stime, process_user_s=ru.ru_utime,
                  process_sys_s=ru.ru_stime, process_maxrss_kb=ru.ru_maxrss,
                  process_elapsed_s=elapsed, server_cpu_s=server_cpu,
                  # CPU used by anything else on the machine while this client ran, as a
                  # share of one core: other people's builds, say. report.py drops disturbed runs.
                  interference=max(0.0, machine - server_cpu - (ru.ru_utime + ru.ru_stime)) / elapsed)
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--reps-10k", type=int, default=3)
    ap.add_argument("--reps-ack", type=int, default=9,
                    help="repetitions of the ack suites, whose round trips vary most between runs")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, 1 repetition: a smoke run")
    ap.add_argument("--only", default="", help="comma-separated suites to run (default: all)")
    ap.add_argument("--clients", default="", help="comma-separated clients to run (default: all)")
    ap.add_argument("--max-wait", type=float, default=120,
                    help="longest wait for a quiet machine before a run, in seconds")
    ap.add_argument("--busy-limit", type=float, default=0.15,
                    help="wait before a run while the machine is busier than this (0..1)")
    args = ap.parse_args()

    q = args.quick
    reps = 1 if q else args.reps
    reps_10k = 1 if q else args.reps_10k
    reps_ack = 1 if q else args.reps_ack
    all5 = ["bare", "ours", "rust_socketio", "socket.io-client", "python-socketio"]
    # Echo only: the struct-typed variant of ours, the codec floor, the loop in a spawned task,
    # the multi-thread runtime.
    rust_mt = ["ours_typed", "bare_json",
               "bare:task", "bare_json:task", "ours:task", "ours_typed:task", "rust_socketio:task",
               "bare:mt", "ours:mt", "rust_socketio:mt"]
    n_echo = 2000 if q else 100_000
    n_ack = 200 if q else 3_000
    n_idle = [100] if q else [1_000, 10_000]
    # suite name, server, test, clients, flags, repetitions, the client's CPU (None: unpinned)
    suites = [
        ("echo-node", "node", "echo", all5 + rust_mt, {"n": n_echo, "window": 1000}, reps, None),
        ("echo-sioxide", "sioxide", "echo", all5 + rust_mt, {"n": n_echo, "window": 1000}, reps, None),
        ("ack-node", "node", "ack", all5, {"n": n_ack, "warmup": 100}, reps_ack, None),
        ("ack-sioxide", "sioxide", "ack", all5, {"n": n_ack, "warmup": 100}, reps_ack, None),
        ("connect-node", "node", "connect", all5, {"n": 10 if q else 50, "warmup": 5}, reps, None),
        # How the CPU per event answers work in the client: the bare client with 0 to 8 rounds
        # of ~1,000 busy instructions per received echo (the last step shows where the curve
        # flattens), next to the codec floor and ours (`ours_reply`: one task hop fewer; with
        # 2 and 4 rounds in its handler: does work added to ours show in its CPU?).
        ("work-node", "node", "echo", ["bare", "bare+2", "bare+4", "bare+6", "bare+8", "bare_json",
                                       "ours_typed", "ours_reply", "ours_reply+2", "ours_reply+4",
                                       "ours"],
         {"n": n_echo, "window": 1000}, reps, None),
    ]
    if (os.cpu_count() or 1) >= 2:
        # Round trips depend on where the scheduler puts the two processes (one core, or two
        # that must wake each other): with the Node server on CPU 0, the client pinned to
        # CPU 1, then to CPU 0 as well, so that every client meets the same placement.
        suites += [
            ("ack-node-split", "node@0", "ack", all5, {"n": n_ack, "warmup": 100}, reps_ack, 1),
            ("ack-node-shared", "node@0", "ack", all5, {"n": n_ack, "warmup": 100}, reps_ack, 0),
        ]
    for n in n_idle:
        # The multi-thread runtime too for ours at 1,000, the paced figure of its at-once run.
        idle_clients = all5 + (["ours:mt"] if n == n_idle[0] else [])
        suites.append((f"idle{n}-node", "node", "idle", idle_clients,
                       {"n": n, "concurrency": 64, "idle-secs": 2}, reps_10k if n >= 10_000 else reps,
                       None))
    # The same connections opened all at once (concurrency 0: every client created, then all
    # connecting together) with no warm-up connection, idle 3 s: what an application that
    # opens its connections together pays, one-off costs included. The multi-thread runtime
    # too for ours (a heap arena per worker thread).
    n_once = n_idle[0]
    suites.append((f"idle{n_once}-once-node", "node", "idle", all5 + ["ours:mt"],
                   {"n": n_once, "concurrency": 0, "warmup": 0, "idle-secs": 3}, reps, None))
    # Paced as the first, but without the warm-up connection: the same one-off costs as at
    # once, so that the two differ only by the pace.
    suites.append((f"idle{n_once}-cold-node", "node", "idle", ["bare", "ours", "rust_socketio", "ours:mt"],
                   {"n": n_once, "concurrency": 64, "warmup": 0, "idle-secs": 3}, reps, None))
    only = set(filter(None, args.only.split(",")))
    if only:
        suites = [s for s in suites if s[0] in only]
    picked = set(filter(None, args.clients.split(",")))
    if picked:
        suites = [(n, sv, t, [c for c in cs if c in picked], fl, r, cpu)
                  for n, sv, t, cs, fl, r, cpu in suites]
        suites = [s for s in suites if s[3]]

    servers = {}
    results = []
    started = time.time()
    try:
        node = ["node", *NODE_SERVER_FLAGS, os.path.join(HERE, "peers/node/server.js"), "0"]
        servers["node"] = Server("node", node)
        servers["sioxide"] = Server("sioxide", [os.path.join(args.bin_dir, "sioxide-server"), "0"])
        if any(s[1] == "node@0" for s in suites):
            servers["node@0"] = Server("node@0", node, cpu=0)
        for name, server_name, test, clients, flags, nreps, cpu in suites:
            server = servers[server_name]
            for rep in range(nreps):
                # Interleaved: every client once per repetition, the order rotating.
                order = clients[rep % len(clients):] + clients[:rep % len(clients)]
                for client in order:
                    busy = wait_quiet(args.busy_limit, args.max_wait)
                    argv = client_argv(client, test, server.url, flags, args.bin_dir, args.python)
                    timeout = 900 if test == "idle" else 300
                    r = run_client(argv, server, timeout, cpu)
                    r.update(suite=name, server=server_name, test=test, client=client.split(":")[0],
                             flavor=(client.split(":")[1] if ":" in client else
                                     ("ct" if is_rust(client) else "-")),
                             rep=rep, background_busy=round(busy, 3), server_rss_kb=server.rss_kb(),
                             client_cpu=cpu)
                    results.append(r)
                    brief = {k: r.get(k) for k in ("cpu_s", "wall_s", "p50_us", "p99_us",
                                                   "per_conn_kb", "p50_ms", "error") if k in r}
                    log(f"{name} rep {rep} {client}: {brief} (background {busy:.0%}, "
                        f"interference {r.get('interference', 0):.0%})")
                    if test == "idle":
                        time.sleep(2)  # let the server drop the previous connections
    finally:
        for s in servers.values():
            s.stop()

    meta = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "duration_s": round(time.time() - started, 1),
        "reps": reps, "reps_10k": reps_10k, "reps_ack": reps_ack, "quick": q,
        "nproc": os.cpu_count(),
        "cpu_model": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                           if l.startswith("model name")), "?"),
        "mem_total_kb": int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1)),
        "kernel": platform.release(),
        "versions": versions(args.python),
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    if (only or picked) and os.path.exists(args.out):
        # A partial run replaces what it ran (suite × client) in the existing results and
        # keeps the rest.
        with open(args.out) as f:
            old = json.load(f)
        ran = {(r["suite"], r["client"], r["flavor"]) for r in results}
        results = [r for r in old["results"]
                   if (r["suite"], r["client"], r.get("flavor")) not in ran] + results
        # The machine table describes the full run; each partial run is listed with its
        # own start, length and library commit.
        partial = {"suites": sorted({s[0] for s in suites}), "clients": sorted(picked),
                   "started": meta["started"], "duration_s": meta["duration_s"],
                   "socketio": meta["versions"]["socketio (this crate)"],
                   "cpu_model": meta["cpu_model"], "reps": meta["reps"]}
        meta.update({k: old["meta"][k] for k in ("started", "duration_s", "versions", "reps",
                                                 "reps_10k", "reps_ack", "quick", "nproc",
                                                 "cpu_model", "mem_total_kb", "kernel")
                     if k in old["meta"]})
        meta["partial_runs"] = old["meta"].get("partial_runs", []) + [partial]
    with open(args.out, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)
    log(f"wrote {args.out} ({len(results)} runs, {meta['duration_s']} s)")
    errors = [r for r in results if "error" in r]
    for r in errors:
        log(f"ERROR {r['suite']} {r['client']}: {r['error'][:300]}")


def versions(python):
    def cmd(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout.strip()
        except Exception:  # noqa: BLE001
            return "?"
    node_pkg = lambda p: json.load(open(os.path.join(HERE, "peers/node/node_modules", p, "package.json")))["version"]
    lock = open(os.path.join(HERE, "Cargo.lock")).read()
    crate = lambda c: ", ".join(re.findall(rf'name = "{c}"\nversion = "([^"]+)"', lock)) or "?"
    return {
        "rustc": cmd(["rustc", "--version"]),
        "node": cmd(["node", "--version"]),
        "python": cmd([python, "--version"]),
        "socket.io (server)": node_pkg("socket.io"),
        "socket.io-client": node_pkg("socket.io-client"),
        "python-socketio": cmd([python, "-c", "import importlib.metadata as m; print(m.version('python-socketio'))"]),
        "aiohttp": cmd([python, "-c", "import importlib.metadata as m; print(m.version('aiohttp'))"]),
        "rust_socketio": crate("rust_socketio"),
        "socketioxide (server)": crate("socketioxide"),
        "tokio-tungstenite (bare client)": crate("tokio-tungstenite"),
        "socketio (this crate)": crate("socketio") + " @ " + socketio_rev(cmd),
    }


def socketio_rev(cmd):
    """The commit of the measured library: $SOCKETIO_REV when set (a snapshot build), else HEAD,
    marked when socketio/ has uncommitted changes."""
    if os.environ.get("SOCKETIO_REV"):
        return os.environ["SOCKETIO_REV"]
    rev = cmd(["git", "-C", HERE, "rev-parse", "--short", "HEAD"])
    dirty = cmd(["git", "-C", HERE, "status", "--porcelain", "--", "../socketio"])
    return rev + (" + uncommitted changes" if dirty else "")


if __name__ == "__main__":
    main()
