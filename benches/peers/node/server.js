// The benchmark server: socket.io 4.8.4 on one Node event loop.
//   echo(...args) -> socket.emit("echo", ...args)      sum(a, b, ack) -> ack(a + b)
// Usage: node server.js [port]   (0 or absent: an ephemeral port)
// Listens on 127.0.0.1, prints `LISTENING <port>`, exits on stdin EOF or SIGTERM.
"use strict";

const http = require("http");
const { Server } = require("socket.io");

const httpServer = http.createServer();
const io = new Server(httpServer, { serveClient: false });

io.on("connection", (socket) => {
  socket.on("echo", (...args) => {
    socket.emit("echo", ...args);
  });
  socket.on("sum", (a, b, ack) => {
    if (typeof ack === "function") ack(a + b);
  });
});

httpServer.listen(Number(process.argv[2] || 0), "127.0.0.1", () => {
  process.stdout.write(`LISTENING ${httpServer.address().port}\n`);
});

const stop = () => process.exit(0);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
if (!process.stdin.isTTY) {
  process.stdin.on("end", stop);
  process.stdin.resume();
}
