// The socket.io-client 4.8.4 benchmark client (Node), same tests and JSON output as
// benches/src/bin/sio_bench.rs:
//   node client.js <echo|ack|idle|connect> <url> [--n N] [--window W] [--warmup K]
//                  [--concurrency C] [--idle-secs S]
// CPU is this process's own getrusage(RUSAGE_SELF) (process.cpuUsage), memory VmRSS from
// /proc/self/status.
"use strict";

const fs = require("fs");
const { io } = require("socket.io-client");

const argv = process.argv.slice(2);
const test = argv[0];
const url = argv[1];
const defaults = { echo: 100000, ack: 3000, idle: 1000, connect: 50 };
const opt = { n: defaults[test] ?? 50, window: 1000, warmup: 100, concurrency: 64, "idle-secs": 2 };
for (let i = 2; i < argv.length; i += 2) opt[argv[i].replace(/^--/, "")] = Number(argv[i + 1]);

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const rssKb = () => {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) : 0;
};
const hr = () => Number(process.hrtime.bigint()) / 1e3; // microseconds
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted, p) => sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];

// One Manager per connection (forceNew), websocket only, no reconnection.
function connect() {
  return new Promise((resolve, reject) => {
    const socket = io(url, { transports: ["websocket"], forceNew: true, reconnection: false });
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (e) => reject(e));
  });
}

async function echo() {
  const n = opt.n;
  const socket = await connect();
  let received = 0;
  let wake = null;
  let finished;
  const done = new Promise((r) => (finished = r));
  socket.on("echo", () => {
    received++;
    if (wake) {
      const w = wake;
      wake = null;
      w();
    }
    if (received === n) finished();
  });
  const c0 = cpuNow();
  const t0 = hr();
  for (let i = 0; i < n; i++) {
    while (i - received >= opt.window) await new Promise((r) => (wake = r));
    socket.emit("echo", { i, s: "hello world" });
  }
  await done;
  const out = { n, received, wall_s: (hr() - t0) / 1e6, cpu_s: cpuNow() - c0 };
  socket.disconnect();
  return out;
}

async function ack() {
  const socket = await connect();
  const us = [];
  for (let i = 0; i < opt.warmup + opt.n; i++) {
    const t = hr();
    const r = await socket.emitWithAck("sum", 1, 2);
    const d = hr() - t;
    if (r !== 3) throw new Error(`unexpected ack ${r}`);
    if (i >= opt.warmup) us.push(d);
  }
  socket.disconnect();
  us.sort((a, b) => a - b);
  return {
    n: us.length,
    p50_us: pct(us, 50),
    p90_us: pct(us, 90),
    p99_us: pct(us, 99),
    max_us: us[us.length - 1],
    mean_us: us.reduce((a, b) => a + b, 0) / us.length,
  };
}

async function idle() {
  // --warmup 0: no warm-up connection; --concurrency 0: all N connecting at once.
  const sockets = [];
  if (opt.warmup > 0) {
    sockets.push(await connect());
    await sleep(300);
  }
  if (global.gc) global.gc();
  const before = rssKb();
  const c0 = cpuNow();
  const t0 = hr();
  let next = 0;
  const worker = async () => {
    while (next < opt.n) {
      next++;
      sockets.push(await connect());
    }
  };
  await Promise.all(Array.from({ length: opt.concurrency || opt.n }, worker));
  const connectWall = (hr() - t0) / 1e6;
  await sleep(opt["idle-secs"] * 1000);
  if (global.gc) global.gc();
  const after = rssKb();
  return {
    n: opt.n,
    rss_before_kb: before,
    rss_after_kb: after,
    per_conn_kb: (after - before) / opt.n,
    connect_wall_s: connectWall,
    cpu_s: cpuNow() - c0,
  };
}

async function connectTimes() {
  for (let i = 0; i < Math.min(opt.warmup, 5); i++) (await connect()).disconnect();
  const ms = [];
  for (let i = 0; i < opt.n; i++) {
    const t = hr();
    const s = await connect();
    ms.push((hr() - t) / 1e3);
    s.disconnect();
  }
  ms.sort((a, b) => a - b);
  return { n: ms.length, p50_ms: pct(ms, 50), p90_ms: pct(ms, 90), max_ms: ms[ms.length - 1] };
}

const tests = { echo, ack, idle, connect: connectTimes };
tests[test]()
  .then((out) => {
    process.stdout.write(JSON.stringify({ ...out, client: "socket.io-client", test }) + "\n");
    process.exit(0);
  })
  .catch((e) => {
    process.stderr.write(`client.js ${test}: ${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  });
