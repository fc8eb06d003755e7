// One node of the test cluster (tests/cluster.rs): socket.io 4.8.4 with @socket.io/redis-adapter,
// so that rooms and broadcasts span every node sharing the Redis server. The modules come from
// ../node/node_modules (installed by tests/peers/install.sh).
//
// Usage: node server.js '<json options>'
//   options: name ("s1"), redisPort (required), port (default 0: ephemeral),
//            pingInterval, pingTimeout (ms), path (default "/socket.io").
//
// Listens on 127.0.0.1 and prints exactly one line `LISTENING <port>` to stdout once the Redis
// pub/sub clients are connected. Exits when stdin reaches EOF and on SIGTERM/SIGINT.
//
// Events (all answer through the ack when the client asks for one):
//   join(room)                   -> the socket joins `room`; ack true
//   broadcast(room, event, data) -> io.to(room).emit(event, data) on every node; ack true
//   whoami()                     -> ack the node's name
//   echo(...args)                -> emits `echo` back with the same arguments; ack the same
//   sum(a, b)                    -> ack a + b
"use strict";

const path = require("path");
const http = require("http");
const { createRequire } = require("module");

const requirePeer = createRequire(path.join(__dirname, "../node/package.json"));
const { Server } = requirePeer("socket.io");
const { createAdapter } = requirePeer("@socket.io/redis-adapter");
const { createClient } = requirePeer("redis");

const options = JSON.parse(process.argv[2] || "{}");
const name = options.name || "s?";
const debug = !!process.env.SOCKETIO_PEER_DEBUG;
const log = (...args) => {
  if (debug) console.error(`[cluster ${name}]`, ...args);
};

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

function splitAck(args) {
  if (args.length && typeof args[args.length - 1] === "function") {
    return [args.slice(0, -1), args[args.length - 1]];
  }
  return [args, null];
}

async function main() {
  const url = `redis://127.0.0.1:${options.redisPort}`;
  const pubClient = createClient({ url });
  const subClient = pubClient.duplicate();
  for (const client of [pubClient, subClient]) {
    client.on("error", (err) => console.error(`[cluster ${name}] redis:`, err.message));
  }
  await Promise.all([pubClient.connect(), subClient.connect()]);

  const serverOptions = { serveClient: false, path: options.path || "/socket.io" };
  if (options.pingInterval != null) serverOptions.pingInterval = options.pingInterval;
  if (options.pingTimeout != null) serverOptions.pingTimeout = options.pingTimeout;
  const httpServer = http.createServer();
  const io = new Server(httpServer, serverOptions);
  io.adapter(createAdapter(pubClient, subClient));

  io.on("connection", (socket) => {
    log("connect", socket.id, socket.conn.transport.name);
    const on = (event, fn) =>
      socket.on(event, (...raw) => {
        const [args, ack] = splitAck(raw);
        log("event", event);
        fn(args, ack);
      });
    on("join", ([room], ack) => {
      socket.join(String(room));
      if (ack) ack(true);
    });
    on("broadcast", ([room, event, data], ack) => {
      io.to(String(room)).emit(String(event), data);
      if (ack) ack(true);
    });
    on("whoami", (_args, ack) => {
      if (ack) ack(name);
    });
    on("echo", (args, ack) => {
      socket.emit("echo", ...args);
      if (ack) ack(...args);
    });
    on("sum", ([a, b], ack) => {
      if (ack) ack(a + b);
    });
    socket.on("disconnect", (reason) => log("disconnect", socket.id, reason));
  });

  httpServer.on("error", (err) => {
    console.error(`[cluster ${name}] listen:`, err.message);
    process.exit(1);
  });
  httpServer.listen(options.port || 0, "127.0.0.1", () => {
    process.stdout.write(`LISTENING ${httpServer.address().port}\n`);
  });
}

main().catch((err) => {
  console.error(`[cluster ${name}]`, err);
  process.exit(1);
});
