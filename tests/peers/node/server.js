// Socket.IO reference peer (socket.io 4.8.4) for the socketio-suite integration tests.
//
// Usage: node server.js '<json options>'
//   options (all optional): pingInterval, pingTimeout (ms), maxHttpBufferSize (bytes),
//   transports (["polling", "websocket"]), path (default "/socket.io"),
//   connectionStateRecovery (bool), port (default 0: ephemeral).
//   recoveryMaxDisconnectionMs (with connectionStateRecovery): maxDisconnectionDuration (default 120000).
//   recoverySweepMs (with connectionStateRecovery): also drop expired sessions and stored packets every
//     this many ms (socket.io's adapter does it every 60 s; see the sweep below).
//   allowEIO3 (bool): also accept Engine.IO v3 clients (Socket.IO v2 protocol, `EIO=3`).
//   parser ("msgpack"): use socket.io-msgpack-parser instead of the default JSON parser: every
//     Socket.IO packet is one binary Engine.IO message holding a msgpack map {type, nsp, data, id?}.
//
// Listens on 127.0.0.1 (on `port`, else an ephemeral port), and prints exactly one line `LISTENING <port>` to stdout.
// Exits when stdin reaches EOF (unless stdin is a TTY) and on SIGTERM/SIGINT.
// The behaviour is shared with ../python/server.py and src/socketioxide_server.rs: keep them in sync
// (except the `soak_*` events, which only this peer has: they are for the chaos soak, tests/soak.rs,
// and need connection state recovery; and `relay`, for the `sio` command's tests, socketio-cli/tests).
"use strict";

const http = require("http");
const { Server } = require("socket.io");

const options = JSON.parse(process.argv[2] || "{}");
const debug = !!process.env.SOCKETIO_PEER_DEBUG;
const log = (...args) => {
  if (debug) console.error("[node-peer]", ...args);
};

const serverOptions = { serveClient: false, path: options.path || "/socket.io" };
if (options.pingInterval != null) serverOptions.pingInterval = options.pingInterval;
if (options.pingTimeout != null) serverOptions.pingTimeout = options.pingTimeout;
if (options.maxHttpBufferSize != null) serverOptions.maxHttpBufferSize = options.maxHttpBufferSize;
if (options.transports != null) serverOptions.transports = options.transports;
if (options.allowEIO3 != null) serverOptions.allowEIO3 = !!options.allowEIO3;
if (options.parser === "msgpack") serverOptions.parser = require("socket.io-msgpack-parser");
else if (options.parser != null && options.parser !== "default") throw new Error(`unknown parser ${options.parser}`);
// Connection state recovery: with it, every event packet without ack that goes through the adapter
// (in socket.io 4.8.4 that includes plain `socket.emit`, see Socket.emit in socket.io/dist/socket.js)
// gets a string offset appended as its last argument and is stored for maxDisconnectionDuration;
// a client that reconnects with `{pid, offset}` in its CONNECT auth gets the same sid and pid back,
// and the packets it missed, and skips the middlewares (refuseForbidden).
if (options.connectionStateRecovery) {
  serverOptions.connectionStateRecovery = {
    maxDisconnectionDuration: options.recoveryMaxDisconnectionMs != null ? options.recoveryMaxDisconnectionMs : 2 * 60 * 1000,
    skipMiddlewares: true,
  };
}

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
const io = new Server(httpServer, serverOptions);

// Per-server counters for `count` / `get_count`: key -> { total, ids: Set<json> }.
const counters = new Map();

// The chaos soak (tests/soak.rs). Each soak client picks a key and connects with auth {soak: key}.
// soakStreams: key -> { n: events emitted so far, timer }, the persistent stream of the key.
// soakEmits: key -> { total, ids: Set<number>, duplicates, outOfOrder, maxId }, the counter of its
// retried emits (counted once per id; `outOfOrder`: a new id below one already seen).
const soakStreams = new Map();
const soakEmits = new Map();
const soakRoom = (key) => `soak:${key}`;

// Auth payload as sent by the client, per engine.io connection and namespace. socket.io defaults a
// missing auth to `{}`; the other peers cannot tell `{}` from "no auth", so both are reported as null.
function normalizeAuth(auth) {
  if (auth == null) return null;
  if (typeof auth === "object" && !Array.isArray(auth) && Object.keys(auth).length === 0) return null;
  return auth;
}

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

function refuseForbidden(socket, next) {
  if (socket.nsp.name === "/forbidden") {
    const err = new Error("forbidden");
    err.data = { reason: "not allowed" };
    return next(err);
  }
  next();
}

function onConnection(socket) {
  log("connect", socket.nsp.name, socket.id, socket.recovered ? "(recovered)" : "");
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
      auth: normalizeAuth(socket.handshake.auth),
      query,
      headers: headersOf(socket.handshake.headers),
      transport: socket.conn.transport.name,
      namespace: socket.nsp.name,
      sid: socket.id,
      // Only with connectionStateRecovery: whether this socket was recovered.
      ...(options.connectionStateRecovery ? { recovered: socket.recovered } : {}),
    });
  });

  on("ask", ([event, ...rest], ack) => {
    socket.emit(event, ...rest, (...reply) => {
      if (ack) ack(...reply);
    });
  });

  // `engine_clients`: acks how many Engine.IO connections the server has open (tests/first_hour.rs:
  // a dropped client's connection is closed).
  on("engine_clients", (_args, ack) => {
    if (ack) ack(io.engine.clientsCount);
  });

  on("disconnect_me", (_args, ack) => {
    if (ack) ack();
    socket.disconnect();
  });

  on("close_transport", (_args, ack) => {
    if (ack) ack();
    socket.conn.close();
  });

  // With connectionStateRecovery, `socket.emit` is the persisted path (offset appended, replayed).
  on("stream", ([count, event], ack) => {
    for (let i = 0; i < count; i++) socket.emit(event, { i });
    if (ack) ack(count);
  });

  // `stream_slow` (count, event, interval_ms): `{i: n}` for n in 0..count, one every interval_ms
  // (the first one at once), then the ack `count`. Without recovery it stops when the socket
  // disconnects. With recovery it goes on while the client is away: the events are stored and
  // replayed when the session is recovered (sent to the room socket.id, which the recovered socket
  // joins), and the final ack goes to the recovered socket if there is one (socket.io itself would
  // drop it: acks are never recovered).
  on("stream_slow", ([count, event, interval], ack) => {
    const finish = () => {
      if (!ack) return;
      const live = socket.nsp.sockets.get(socket.id);
      if (!socket.connected && live) socket.client = live.client; // the ack closure writes via socket.client
      ack(count);
    };
    let i = 0;
    const tick = () => {
      if (!socket.connected && !options.connectionStateRecovery) return;
      socket.emit(event, { i: i++ });
      if (i < count) setTimeout(tick, interval || 0);
      else finish();
    };
    if (count > 0) tick();
    else finish();
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

  // --- the chaos soak (tests/soak.rs) ---
  // A socket whose CONNECT auth has `soak: key` joins the room soak:<key>. The room is part of the
  // session, so a recovered socket is in it again; a new session of the same client rejoins it here.
  const soakKey = socket.handshake.auth && socket.handshake.auth.soak;
  if (typeof soakKey === "string") socket.join(soakRoom(soakKey));

  // `soak_stream_start` (key, interval_ms): starts the key's stream, if not started yet: the event
  // `soak_tick` {i: n} for n = 0, 1, ... to the room soak:<key>, the first at once, then one every
  // interval_ms, whether the client is connected or not. Broadcasts to a room go through the
  // adapter, so with connection state recovery each tick gets an offset and is stored and replayed
  // to a recovered session. Acks the number of ticks emitted so far.
  on("soak_stream_start", ([key, interval], ack) => {
    const k = String(key);
    let st = soakStreams.get(k);
    if (!st) {
      const nsp = socket.nsp;
      st = { n: 0, timer: null };
      const tick = () => nsp.to(soakRoom(k)).emit("soak_tick", { i: st.n++ });
      tick();
      st.timer = setInterval(tick, Math.max(1, interval | 0));
      soakStreams.set(k, st);
    }
    if (ack) ack(st.n);
  });

  // `soak_stream_stop` (key): stops the key's stream; acks the number of ticks it emitted
  // (null if there was none). The ack follows the last tick on the wire.
  on("soak_stream_stop", ([key], ack) => {
    const k = String(key);
    const st = soakStreams.get(k);
    if (st) {
      clearInterval(st.timer);
      soakStreams.delete(k);
    }
    if (ack) ack(st ? st.n : null);
  });

  // `soak_emit` (key, id): counts an emit of the key once per id; acks true.
  on("soak_emit", ([key, id], ack) => {
    const k = String(key);
    let c = soakEmits.get(k);
    if (!c) soakEmits.set(k, (c = { total: 0, ids: new Set(), duplicates: 0, outOfOrder: 0, maxId: -1 }));
    c.total += 1;
    if (c.ids.has(id)) {
      c.duplicates += 1;
    } else {
      c.ids.add(id);
      if (typeof id === "number") {
        if (id < c.maxId) c.outOfOrder += 1;
        else c.maxId = id;
      }
    }
    if (ack) ack(true);
  });

  // `soak_emit_report` (key): acks {total, unique, duplicates, out_of_order, max_id} of the key.
  on("soak_emit_report", ([key], ack) => {
    const c = soakEmits.get(String(key));
    if (!ack) return;
    ack(c
      ? { total: c.total, unique: c.ids.size, duplicates: c.duplicates, out_of_order: c.outOfOrder, max_id: c.maxId }
      : { total: 0, unique: 0, duplicates: 0, out_of_order: 0, max_id: -1 });
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

  // `relay` (event, ...args): emits `event` with the args to every other socket of the
  // namespace (Node peer only: the `sio` tests, socketio-cli/tests). With an ack, the
  // broadcast asks each socket for one (within 5 s) and the ack is the array of their
  // answers' first arguments (null when one did not answer in time).
  on("relay", ([event, ...rest], ack) => {
    if (!ack) return socket.broadcast.emit(String(event), ...rest);
    socket.broadcast.timeout(5000).emit(String(event), ...rest, (err, answers) => ack(err ? null : answers));
  });

  socket.on("disconnect", (reason) => log("disconnect", socket.nsp.name, socket.id, reason));
}

// `/once` accepts each credential once (tests/fresh_credentials.rs): a CONNECT whose auth has a
// `token`, or else whose handshake carries an `x-token` header, is refused (CONNECT_ERROR
// "token already used" / "no token") when that token was accepted before. `once_tokens` acks the
// tokens accepted so far, in order, as "auth:<token>" / "header:<token>". Every other event is
// the same as on the other namespaces.
const onceAccepted = [];
function onceToken(socket) {
  const auth = socket.handshake.auth || {};
  if (auth.token != null) return `auth:${auth.token}`;
  const header = socket.handshake.headers["x-token"];
  return header != null ? `header:${header}` : null;
}
const once = io.of("/once");
once.use((socket, next) => {
  const token = onceToken(socket);
  if (token == null) return next(new Error("no token"));
  if (onceAccepted.includes(token)) return next(new Error("token already used"));
  onceAccepted.push(token);
  next();
});
once.on("connection", (socket) => {
  onConnection(socket);
  socket.on("once_tokens", (ack) => ack(onceAccepted));
});

// The main namespace "/" always exists; every other namespace is created on demand.
for (const nsp of [io.of("/"), io.of(/^\/.*/)]) {
  nsp.use(refuseForbidden);
  nsp.on("connection", onConnection);
}

// socket.io's SessionAwareAdapter drops expired sessions and packets once a minute, and a recovery
// looks its offset up with a linear scan of every stored packet: with many events, that scan is what
// the server spends its time on. With `recoverySweepMs`, the same expiry (code as in the adapter)
// also runs every recoverySweepMs, on every namespace that exists.
if (options.connectionStateRecovery && options.recoverySweepMs) {
  const sweep = setInterval(() => {
    const threshold = Date.now() - serverOptions.connectionStateRecovery.maxDisconnectionDuration;
    for (const nsp of io._nsps.values()) {
      const adapter = nsp.adapter;
      if (!adapter || !Array.isArray(adapter.packets) || !adapter.sessions) continue;
      adapter.sessions.forEach((session, pid) => {
        if (session.disconnectedAt < threshold) adapter.sessions.delete(pid);
      });
      for (let i = adapter.packets.length - 1; i >= 0; i--) {
        if (adapter.packets[i].emittedAt < threshold) {
          adapter.packets.splice(0, i + 1);
          break;
        }
      }
    }
  }, options.recoverySweepMs);
  sweep.unref();
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
