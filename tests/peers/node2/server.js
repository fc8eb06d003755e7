// Socket.IO v2 reference peer (socket.io 2.5.1, Engine.IO protocol v3) for the socketio-suite
// integration tests. Same events and conventions as ../node/server.js (socket.io 4.8.4).
//
// Usage: node server.js '<json options>'
//   options (all optional): pingInterval, pingTimeout (ms), maxHttpBufferSize (bytes),
//   transports (["polling", "websocket"]), path (default "/socket.io"),
//   tls ({key, cert, ca?, requestCert?}), port (default 0: ephemeral).
//   connectionStateRecovery is ignored (socket.io 2 has no such feature).
//
// Listens on 127.0.0.1 (on `port`, else an ephemeral port), and prints exactly one line `LISTENING <port>` to stdout.
// Exits when stdin reaches EOF (unless stdin is a TTY) and on SIGTERM/SIGINT.
//
// Socket.IO v2 / Engine.IO v3 differences that the tests see (not emulated, this is the real thing):
//   - the server accepts any `EIO=` value (even 4) and always speaks Engine.IO v3: polling payloads
//     are length-prefixed (`<len>:<packet>`, len in UTF-16 code units), binary payloads use the v3
//     binary framing unless the client asks for `b64=1`;
//   - pings go from the client to the server (`2` -> `3`); pingTimeout is how long the server
//     waits for a ping after pingInterval;
//   - the main namespace is connected without a CONNECT packet (the server sends `40` right after
//     the handshake); other namespaces are joined with `40/nsp,` (optionally `40/nsp?query,`);
//     a CONNECT carries no auth payload (handshake reports `auth: null`);
//   - a refused namespace gets an ERROR packet `4<nsp>,<err.data || err.message>` (here
//     `44/forbidden,{"reason":"not allowed"}`), not a CONNECT_ERROR `{message, data}`;
//   - socket ids are `<engine sid>` in "/" and `<nsp>#<engine sid>` in other namespaces.
"use strict";

const http = require("http");
const socketio = require("socket.io");

const options = JSON.parse(process.argv[2] || "{}");
const debug = !!process.env.SOCKETIO_PEER_DEBUG;
const log = (...args) => {
  if (debug) console.error("[node2-peer]", ...args);
};

const serverOptions = { serveClient: false, path: options.path || "/socket.io" };
if (options.pingInterval != null) serverOptions.pingInterval = options.pingInterval;
if (options.pingTimeout != null) serverOptions.pingTimeout = options.pingTimeout;
if (options.maxHttpBufferSize != null) serverOptions.maxHttpBufferSize = options.maxHttpBufferSize;
if (options.transports != null) serverOptions.transports = options.transports;

// `tls: {key, cert, ca?, requestCert?}` (PEM strings): serve HTTPS (and WSS) instead.
const httpServer = options.tls
  ? require("https").createServer({
      key: options.tls.key,
      cert: options.tls.cert,
      ca: options.tls.ca,
      requestCert: !!options.tls.requestCert,
      rejectUnauthorized: !!options.tls.requestCert,
    })
  : http.createServer();
const io = socketio(httpServer, serverOptions);

// Per-server counters for `count` / `get_count`: key -> { total, ids: Set<json> }.
const counters = new Map();

function isBinary(v) {
  return Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v);
}

function binaryLength(v) {
  if (isBinary(v)) return v.byteLength;
  if (Array.isArray(v)) return v.reduce((acc, x) => acc + binaryLength(x), 0);
  if (v && typeof v === "object") return Object.values(v).reduce((acc, x) => acc + binaryLength(x), 0);
  return 0;
}

function lastValue(v) {
  return Array.isArray(v) ? String(v[v.length - 1]) : String(v);
}

function headersOf(headers) {
  const out = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v);
  return out;
}

// Splits a trailing ack callback off the handler arguments.
function splitAck(args) {
  if (args.length && typeof args[args.length - 1] === "function") {
    return [args.slice(0, -1), args[args.length - 1]];
  }
  return [args, null];
}

// socket.io 2 sends `err.data || err.message` as the payload of an ERROR packet.
function refuseForbidden(socket, next) {
  if (socket.nsp.name === "/forbidden") {
    const err = new Error("forbidden");
    err.data = { reason: "not allowed" };
    return next(err);
  }
  next();
}

function onConnection(socket) {
  log("connect", socket.nsp.name, socket.id);
  const on = (event, fn) => socket.on(event, (...raw) => {
    const [args, ack] = splitAck(raw);
    log("event", socket.nsp.name, event);
    fn(args, ack);
  });

  on("echo", (args, ack) => {
    socket.emit("echo", ...args);
    if (ack) ack(...args);
  });

  on("sum", ([a, b], ack) => {
    if (ack) ack(a + b);
  });

  on("handshake", (_args, ack) => {
    if (!ack) return;
    const query = {};
    for (const [k, v] of Object.entries(socket.handshake.query)) query[k] = lastValue(v);
    ack({
      auth: null, // Socket.IO v2 has no CONNECT auth payload
      query,
      headers: headersOf(socket.handshake.headers),
      transport: socket.conn.transport.name,
      namespace: socket.nsp.name,
      sid: socket.id,
    });
  });

  on("ask", ([event, ...rest], ack) => {
    socket.emit(event, ...rest, (...reply) => {
      if (ack) ack(...reply);
    });
  });

  on("disconnect_me", (_args, ack) => {
    if (ack) ack();
    socket.disconnect();
  });

  on("close_transport", (_args, ack) => {
    if (ack) ack();
    socket.conn.close();
  });

  on("stream", ([count, event], ack) => {
    for (let i = 0; i < count; i++) socket.emit(event, { i });
    if (ack) ack(count);
  });

  // `stream_slow` (count, event, interval_ms): `{i: n}` for n in 0..count, one every interval_ms
  // (the first one at once), then the ack `count`. Stops when the socket disconnects.
  on("stream_slow", ([count, event, interval], ack) => {
    let i = 0;
    const tick = () => {
      if (!socket.connected) return;
      socket.emit(event, { i: i++ });
      if (i < count) setTimeout(tick, interval || 0);
      else if (ack) ack(count);
    };
    if (count > 0) tick();
    else if (ack) ack(count);
  });

  on("binary", (_args, ack) => {
    socket.emit("binary", Buffer.from([1, 2, 3]), {
      nested: { data: Buffer.from([4, 5, 6]) },
      list: [Buffer.from([7])],
      text: "hi",
    });
    if (ack) ack(Buffer.from([9, 9]));
  });

  on("count", ([key, id], ack) => {
    const k = String(key);
    let c = counters.get(k);
    if (!c) counters.set(k, (c = { total: 0, ids: new Set() }));
    c.total += 1;
    c.ids.add(JSON.stringify(id === undefined ? null : id));
    if (ack) ack(c.total);
  });

  on("get_count", ([key], ack) => {
    const c = counters.get(String(key));
    if (ack) ack({ total: c ? c.total : 0, unique: c ? c.ids.size : 0 });
  });

  on("emit_bytes_len", (args, ack) => {
    if (ack) ack(binaryLength(args));
  });

  // `message`: relayed with the same arguments to every other socket of the namespace
  // (a chat room); the sender's ack, if it asked for one, is "delivered".
  on("message", (args, ack) => {
    socket.broadcast.emit("message", ...args);
    if (ack) ack("delivered");
  });

  socket.on("disconnect", (reason) => log("disconnect", socket.nsp.name, socket.id, reason));
}

// The main namespace "/" always exists; every other namespace is created on demand (a parent
// namespace matching every name, socket.io >= 2.1).
for (const nsp of [io.of("/"), io.of(/^\/.*/)]) {
  nsp.use(refuseForbidden);
  nsp.on("connection", onConnection);
}

function shutdown() {
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
if (!process.stdin.isTTY) {
  process.stdin.on("end", shutdown);
  process.stdin.on("close", shutdown);
  process.stdin.on("error", shutdown);
  process.stdin.resume();
}

// Node.js (libuv) always sets SO_REUSEADDR: a restarted peer can take the same port at once.
httpServer.listen(options.port || 0, "127.0.0.1", () => {
  process.stdout.write(`LISTENING ${httpServer.address().port}\n`);
});
