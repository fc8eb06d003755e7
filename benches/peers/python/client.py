"""The python-socketio 5.18 AsyncClient benchmark client: same tests and JSON output as
benches/src/bin/sio_bench.rs.

    python client.py <echo|ack|idle|connect> <url> [--n N] [--window W] [--warmup K]
                     [--concurrency C] [--idle-secs S]

CPU is this process's own getrusage(RUSAGE_SELF), memory VmRSS from /proc/self/status.
"""
import asyncio
import gc
import json
import math
import os
import re
import resource
import sys
import time

import socketio

TEST, URL = sys.argv[1], sys.argv[2]
OPT = {"n": {"echo": 100000, "ack": 3000, "idle": 1000}.get(TEST, 50), "window": 1000,
       "warmup": 100, "concurrency": 64, "idle-secs": 2.0}
for flag, value in zip(sys.argv[3::2], sys.argv[4::2]):
    OPT[flag.lstrip("-")] = float(value) if flag == "--idle-secs" else int(value)


def cpu_now():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def rss_kb():
    with open("/proc/self/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)\s+kB", f.read()).group(1))


def pct(sorted_values, p):
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


async def connect(setup=None):
    sio = socketio.AsyncClient(reconnection=False)
    if setup:
        setup(sio)
    await sio.connect(URL, transports=["websocket"])
    return sio


async def echo():
    n = OPT["n"]
    window = asyncio.Semaphore(OPT["window"])
    done = asyncio.Event()
    received = 0

    def on_echo(data):
        nonlocal received
        received += 1
        window.release()
        if received == n:
            done.set()

    sio = await connect(lambda s: s.on("echo", on_echo))
    c0, t0 = cpu_now(), time.perf_counter()
    for i in range(n):
        await window.acquire()
        await sio.emit("echo", {"i": i, "s": "hello world"})
    await done.wait()
    out = {"n": n, "received": received, "wall_s": time.perf_counter() - t0, "cpu_s": cpu_now() - c0}
    await sio.disconnect()
    return out


async def ack():
    sio = await connect()
    us = []
    for i in range(OPT["warmup"] + OPT["n"]):
        t = time.perf_counter()
        r = await sio.call("sum", (1, 2))
        d = (time.perf_counter() - t) * 1e6
        if r != 3:
            raise RuntimeError(f"unexpected ack {r!r}")
        if i >= OPT["warmup"]:
            us.append(d)
    await sio.disconnect()
    us.sort()
    return {"n": len(us), "p50_us": pct(us, 50), "p90_us": pct(us, 90), "p99_us": pct(us, 99),
            "max_us": us[-1], "mean_us": sum(us) / len(us)}


async def idle():
    # --warmup 0: no warm-up connection; --concurrency 0: all N connecting at once.
    clients = []
    if OPT["warmup"] > 0:
        clients.append(await connect())
        await asyncio.sleep(0.3)
    gc.collect()
    before = rss_kb()
    c0, t0 = cpu_now(), time.perf_counter()
    remaining = OPT["n"]

    async def worker():
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            clients.append(await connect())

    await asyncio.gather(*(worker() for _ in range(OPT["concurrency"] or OPT["n"])))
    connect_wall = time.perf_counter() - t0
    await asyncio.sleep(OPT["idle-secs"])
    gc.collect()
    after = rss_kb()
    return {"n": OPT["n"], "rss_before_kb": before, "rss_after_kb": after,
            "per_conn_kb": (after - before) / OPT["n"], "connect_wall_s": connect_wall,
            "cpu_s": cpu_now() - c0}


async def connect_times():
    for _ in range(min(OPT["warmup"], 5)):
        await (await connect()).disconnect()
    ms = []
    for _ in range(OPT["n"]):
        t = time.perf_counter()
        sio = await connect()
        ms.append((time.perf_counter() - t) * 1e3)
        await sio.disconnect()
    ms.sort()
    return {"n": len(ms), "p50_ms": pct(ms, 50), "p90_ms": pct(ms, 90), "max_ms": ms[-1]}


async def main():
    out = await {"echo": echo, "ack": ack, "idle": idle, "connect": connect_times}[TEST]()
    out.update(client="python-socketio", test=TEST)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    try:
        asyncio.new_event_loop().run_until_complete(main())
    except Exception as e:  # noqa: BLE001
        print(f"client.py {TEST}: {e!r}", file=sys.stderr)
        sys.stdout.flush()
        os._exit(1)
    # Idle connections are not closed one by one: the process exits.
    sys.stdout.flush()
    os._exit(0)
