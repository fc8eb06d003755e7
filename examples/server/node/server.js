// The server the examples in examples/ talk to, on socket.io 4.8.4.
//
//   npm install --prefix examples/server/node && node examples/server/node/server.js [port]
//
// Listens on 127.0.0.1:<port> (default 5000; 0 picks a free one) and prints
// `listening on http://127.0.0.1:<port>`. Every namespace exists except `/forbidden`, which
// is refused. Events, in every namespace (the same in ../python/server.py):
//
//   echo(...args)          emits `echo` back with the same arguments; acks them all
//   sum(a, b)              acks a + b
//   handshake()            acks what the server saw: {auth, query, headers, transport, namespace, sid}
//   ask(event, ...args)    emits `event` with args to the sender, with a callback; acks with
//                          what the callback got (the client's handler's return value)
//   stream(count, event)   emits `event` {i: 0..count} to the sender; acks count
//   message(...args)       relays `message` to the other sockets of the namespace; acks "delivered"
//   disconnect_me()        acks, then disconnects the sender's namespace
//   close_transport()      acks, then closes the sender's connection (as a network failure
//                          would: the client reconnects)
//
// The typed chat (examples/typed_chat.rs; its Rust protocol is in src/typed_chat.rs):
//   join({room, name})     joins room; emits `welcome` {name, history}, then asks the client
//                          `are_you_there`(1) and, on (true, status), emits
//                          `chat message`("server", "<name> is there: <status>")
//   say(text)              keeps "<name>: <text>" in this socket's history; emits `chat message`(name, text)
//   typing()               emits `user_typing`(name)
//   upload(file, bytes)    emits `file_shared`(file, bytes)
//   history({limit})       acks the last `limit` lines of the history
"use strict";

const http = require("http");
const { Server } = require("socket.io");

const port = Number(process.argv[2] ?? process.env.PORT ?? 5000);
const httpServer = http.createServer();
const io = new Server(httpServer, { cors: { origin: "*" } });

function withAck(args) {
  const ack = typeof args[args.length - 1] === "function" ? args.pop() : () => {};
  return [args, ack];
}

function onConnection(socket) {
  const on = (event, handler) =>
    socket.on(event, (...raw) => {
      const [args, ack] = withAck(raw);
      handler(args, ack);
    });

  on("echo", (args, ack) => {
    socket.emit("echo", ...args);
    ack(...args);
  });
  on("sum", ([a, b], ack) => ack(a + b));
  on("handshake", (_args, ack) => {
    const { auth, query, headers } = socket.handshake;
    ack({
      auth: auth && Object.keys(auth).length ? auth : null,
      query,
      headers,
      transport: socket.conn.transport.name,
      namespace: socket.nsp.name,
      sid: socket.id,
    });
  });
  on("ask", ([event, ...args], ack) => socket.emit(event, ...args, (...reply) => ack(...reply)));
  on("stream", ([count, event], ack) => {
    for (let i = 0; i < count; i++) socket.emit(event, { i });
    ack(count);
  });
  on("message", (args, ack) => {
    socket.broadcast.emit("message", ...args);
    ack("delivered");
  });
  on("disconnect_me", (_args, ack) => {
    ack();
    setImmediate(() => socket.disconnect());
  });
  on("close_transport", (_args, ack) => {
    ack();
    setImmediate(() => socket.conn.close());
  });
  typedChat(socket, on);
}

function typedChat(socket, on) {
  const session = { name: undefined, history: [] };
  on("join", ([{ room, name }]) => {
    socket.join(room);
    session.name = name;
    socket.emit("welcome", { name, history: session.history.length });
    socket.emit("are_you_there", 1, (there, status) => {
      if (there === true) socket.emit("chat message", "server", `${name} is there: ${status}`);
    });
  });
  on("say", ([text]) => {
    const name = session.name ?? "anonymous";
    session.history.push(`${name}: ${text}`);
    socket.emit("chat message", name, text);
  });
  on("typing", () => socket.emit("user_typing", session.name ?? ""));
  on("upload", ([file, data]) => socket.emit("file_shared", file, data));
  on("history", ([{ limit }], ack) => ack(session.history.slice(-limit)));
}

// "/" and every other namespace, created when a client asks for it.
for (const nsp of [io.of("/"), io.of(/^\/.*/)]) {
  nsp.use((socket, next) => {
    if (socket.nsp.name !== "/forbidden") return next();
    const refusal = new Error("forbidden");
    refusal.data = { reason: "not allowed" };
    next(refusal);
  });
  nsp.on("connection", onConnection);
}

httpServer.listen(port, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${httpServer.address().port}`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
