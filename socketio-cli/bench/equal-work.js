// The work of `sio bench --ack` with socket.io-client 4.8.4 (Node), for comparison:
//   NODE_PATH=benches/peers/node/node_modules node socketio-cli/bench/equal-work.js URL \
//     [--clients N] [--ramp R] [--rate R] [--duration S] [--event E] [--payload JSON] [--timeout S]
// Same phases as sio: N clients opened at R per second (polling, then websocket); once all
// connected or failed, each emits E with the payload at `rate` per second for `duration`
// seconds, asking for an ack (timeout `timeout` seconds); then the acks still awaited; then
// one JSON line with the same keys as `sio bench --json`.
"use strict";

const { io } = require("socket.io-client");

const argv = process.argv.slice(2);
const url = argv[0];
const opt = { clients: 100, ramp: 500, rate: 1, duration: 10, event: "echo", payload: '"hello"', timeout: 10 };
for (let i = 1; i < argv.length; i += 2) {
  const key = argv[i].replace(/^--/, "");
  opt[key] = key === "event" || key === "payload" ? argv[i + 1] : Number(argv[i + 1]);
}
const payload = JSON.parse(opt.payload);
const now = () => Number(process.hrtime.bigint()) / 1e6; // ms
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const stats = { connected: 0, connect_errors: 0, sent: 0, acked: 0, ack_errors: 0, disconnects: 0 };
const connectMs = [];
const ackMs = [];
const sockets = [];
let stopping = false;

function pct(values) {
  if (!values.length) return { p50: null, p90: null, p99: null, max: null };
  const s = Float64Array.from(values).sort();
  const at = (p) => s[Math.min(s.length, Math.max(1, Math.ceil(p * s.length))) - 1];
  const r = (v) => Math.round(v * 100) / 100;
  return { p50: r(at(0.5)), p90: r(at(0.9)), p99: r(at(0.99)), max: r(s[s.length - 1]) };
}

function open(i) {
  const started = now();
  const socket = io(url, { forceNew: true, reconnection: false, timeout: 20000 });
  socket.once("connect", () => {
    stats.connected++;
    connectMs.push(now() - started);
    sockets.push([i, socket]);
  });
  socket.once("connect_error", () => stats.connect_errors++);
  socket.on("disconnect", () => {
    if (!stopping) stats.disconnects++;
  });
}

function emitUntil([i, socket], end) {
  const period = 1000 / opt.rate;
  const tick = () => {
    if (now() >= end || !socket.connected) return;
    const at = now();
    stats.sent++;
    socket.timeout(opt.timeout * 1000).emit(opt.event, payload, (err) => {
      if (err) stats.ack_errors++;
      else {
        stats.acked++;
        ackMs.push(now() - at);
      }
    });
    setTimeout(tick, Math.max(0, period - (now() - at)));
  };
  setTimeout(tick, (period * (i % 1000)) / 1000);
}

async function main() {
  const t0 = now();
  for (let i = 0; i < opt.clients; i++) {
    const wait = t0 + (i * 1000) / opt.ramp - now();
    if (opt.ramp > 0 && wait > 0) await sleep(wait);
    open(i);
  }
  while (stats.connected + stats.connect_errors < opt.clients) await sleep(50);
  const started = now();
  const end = started + opt.duration * 1000;
  for (const s of sockets) emitUntil(s, end);
  await sleep(end - now());
  const elapsed = Math.min(now() - started, opt.duration * 1000) / 1000;
  const deadline = now() + opt.timeout * 1000 + 1000;
  while (stats.sent > stats.acked + stats.ack_errors && now() < deadline) await sleep(20);
  stopping = true;
  for (const [, s] of sockets) s.disconnect();
  const report = {
    clients: opt.clients,
    ...stats,
    errors: stats.connect_errors + stats.ack_errors,
    duration_s: elapsed,
    events_per_second: Math.round((stats.sent / elapsed) * 10) / 10,
    connect_ms: pct(connectMs),
    ack_latency_ms: pct(ackMs),
  };
  process.stdout.write(JSON.stringify(report) + "\n");
  process.exit(0);
}

main();
