"""Socket.IO reference peer (python-socketio, aiohttp) for the socketio-suite integration tests.

Usage: .venv/bin/python server.py '<json options>'
  options (all optional): pingInterval, pingTimeout (ms), maxHttpBufferSize (bytes),
  transports (["polling", "websocket"]), path (default "/socket.io"),
  connectionStateRecovery (ignored: python-socketio has no such feature),
  serializer ("msgpack": python-socketio's msgpack serializer, every Socket.IO packet is one
  binary Engine.IO message holding a msgpack map {type, data, nsp, id?}; default "default": JSON),
  port (default 0: ephemeral).

Listens on 127.0.0.1 (on `port`, else an ephemeral port), and prints exactly one line `LISTENING <port>` to stdout.
Exits when stdin reaches EOF (unless stdin is a TTY) and on SIGTERM/SIGINT.
The behaviour is shared with ../node/server.js and src/socketioxide_server.rs: keep them in sync.
"""

import asyncio
import json
import logging
import os
import signal
import sys
import threading
from urllib.parse import parse_qsl

import socketio
from aiohttp import web

DEBUG = bool(os.environ.get("SOCKETIO_PEER_DEBUG"))
# Quiet by default (stderr only); SOCKETIO_PEER_DEBUG=1 logs every packet.
logging.basicConfig(stream=sys.stderr, level=logging.INFO if DEBUG else logging.CRITICAL)
LOGGER = logging.getLogger("peer")
LOGGER.setLevel(logging.INFO if DEBUG else logging.CRITICAL)


def build(options):
    kwargs = {
        "async_mode": "aiohttp",
        "namespaces": "*",
        "cors_allowed_origins": "*",
        "logger": LOGGER,
        "engineio_logger": LOGGER,
    }
    if options.get("pingInterval") is not None:
        kwargs["ping_interval"] = options["pingInterval"] / 1000
    if options.get("pingTimeout") is not None:
        kwargs["ping_timeout"] = options["pingTimeout"] / 1000
    if options.get("maxHttpBufferSize") is not None:
        kwargs["max_http_buffer_size"] = options["maxHttpBufferSize"]
    if options.get("transports") is not None:
        kwargs["transports"] = options["transports"]
    if options.get("serializer") is not None:
        kwargs["serializer"] = options["serializer"]
    sio = socketio.AsyncServer(**kwargs)
    app = web.Application()
    path = (options.get("path") or "/socket.io").strip("/")
    sio.attach(app, socketio_path=path)

    # key -> {"total": int, "ids": set of canonical JSON}
    counters = {}
    # (namespace, sid) -> auth payload (None when absent; python-socketio also maps `{}` to None)
    auths = {}

    def binary_length(value):
        if isinstance(value, (bytes, bytearray)):
            return len(value)
        if isinstance(value, (list, tuple)):
            return sum(binary_length(v) for v in value)
        if isinstance(value, dict):
            return sum(binary_length(v) for v in value.values())
        return 0

    def later(coro):
        # Runs `coro` after the current handler returned (and so after its ack was queued).
        task = asyncio.get_running_loop().create_task(coro)
        background.add(task)
        task.add_done_callback(background.discard)

    background = set()

    # `/once` accepts each credential once (as ../node/server.js does): a CONNECT whose auth has a
    # `token`, or else whose handshake carries an `X-Token` header, is refused when that token was
    # accepted before; `once_tokens` returns the tokens accepted so far ("auth:<t>" / "header:<t>").
    once_accepted = []

    def once_token(environ, auth):
        if isinstance(auth, dict) and auth.get("token") is not None:
            return f"auth:{auth['token']}"
        header = environ.get("HTTP_X_TOKEN")
        return None if header is None else f"header:{header}"

    @sio.on("connect", namespace="*")
    async def on_connect(ns, sid, environ, auth):
        if ns == "/forbidden":
            raise socketio.exceptions.ConnectionRefusedError("forbidden", {"reason": "not allowed"})
        if ns == "/once":
            token = once_token(environ, auth)
            if token is None:
                raise socketio.exceptions.ConnectionRefusedError("no token")
            if token in once_accepted:
                raise socketio.exceptions.ConnectionRefusedError("token already used")
            once_accepted.append(token)
        auths[(ns, sid)] = auth if auth else None

    @sio.on("once_tokens", namespace="*")
    async def on_once_tokens(ns, sid, *_args):
        return once_accepted

    @sio.on("disconnect", namespace="*")
    async def on_disconnect(ns, sid, *_reason):
        auths.pop((ns, sid), None)

    @sio.on("echo", namespace="*")
    async def on_echo(ns, sid, *args):
        await sio.emit("echo", args, to=sid, namespace=ns)
        return args

    @sio.on("sum", namespace="*")
    async def on_sum(ns, sid, a, b, *_rest):
        return a + b

    @sio.on("handshake", namespace="*")
    async def on_handshake(ns, sid, *_args):
        environ = sio.get_environ(sid, namespace=ns) or {}
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        headers = {}
        request = environ.get("aiohttp.request")
        if request is not None:
            for name, value in request.headers.items():
                name = name.lower()
                headers[name] = headers[name] + ", " + value if name in headers else value
        return {
            "auth": auths.get((ns, sid)),
            "query": query,
            "headers": headers,
            "transport": sio.transport(sid, namespace=ns),
            "namespace": ns,
            "sid": sid,
        }

    @sio.on("ask", namespace="*")
    async def on_ask(ns, sid, event, *args):
        loop = asyncio.get_running_loop()
        reply = loop.create_future()

        def callback(*ack_args):
            if not reply.done():
                reply.set_result(ack_args)

        await sio.emit(event, args, to=sid, namespace=ns, callback=callback)
        return tuple(await reply)

    # `engine_clients`: how many Engine.IO connections the server has open.
    @sio.on("engine_clients", namespace="*")
    async def on_engine_clients(ns, sid, *_args):
        return len(sio.eio.sockets)

    @sio.on("disconnect_me", namespace="*")
    async def on_disconnect_me(ns, sid, *_args):
        later(sio.disconnect(sid, namespace=ns))

    @sio.on("close_transport", namespace="*")
    async def on_close_transport(ns, sid, *_args):
        eio_sid = sio.manager.eio_sid_from_sid(sid, ns)
        later(sio.eio.disconnect(eio_sid))

    @sio.on("stream", namespace="*")
    async def on_stream(ns, sid, count, event, *_rest):
        for i in range(count):
            await sio.emit(event, {"i": i}, to=sid, namespace=ns)
        return count

    # `stream_slow` (count, event, interval_ms): `{i: n}` for n in 0..count, one every interval_ms
    # (the first one at once), then the ack `count`. Stops if the socket disconnects.
    @sio.on("stream_slow", namespace="*")
    async def on_stream_slow(ns, sid, count, event, interval=0, *_rest):
        for i in range(count):
            if i > 0:
                await asyncio.sleep((interval or 0) / 1000)
            if not sio.manager.is_connected(sid, ns):
                return None
            await sio.emit(event, {"i": i}, to=sid, namespace=ns)
        return count

    @sio.on("binary", namespace="*")
    async def on_binary(ns, sid, *_args):
        await sio.emit(
            "binary",
            (bytes([1, 2, 3]), {"nested": {"data": bytes([4, 5, 6])}, "list": [bytes([7])], "text": "hi"}),
            to=sid,
            namespace=ns,
        )
        return bytes([9, 9])

    @sio.on("count", namespace="*")
    async def on_count(ns, sid, key, ident=None, *_rest):
        entry = counters.setdefault(str(key), {"total": 0, "ids": set()})
        entry["total"] += 1
        entry["ids"].add(json.dumps(ident, separators=(",", ":")))
        return entry["total"]

    @sio.on("get_count", namespace="*")
    async def on_get_count(ns, sid, key, *_rest):
        entry = counters.get(str(key), {"total": 0, "ids": set()})
        return {"total": entry["total"], "unique": len(entry["ids"])}

    @sio.on("emit_bytes_len", namespace="*")
    async def on_emit_bytes_len(ns, sid, *args):
        return binary_length(args)

    # `message`: relayed with the same arguments to every other socket of the namespace
    # (a chat room); the sender's ack, if it asked for one, is "delivered".
    @sio.on("message", namespace="*")
    async def on_message(ns, sid, *args):
        await sio.emit("message", args, namespace=ns, skip_sid=sid)
        return "delivered"

    return app


async def main():
    options = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    app = build(options)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    # reuse_address (SO_REUSEADDR, also asyncio's default on Unix): a restarted peer can take the
    # same port at once, even with connections of the previous run in TIME_WAIT.
    site = web.TCPSite(runner, "127.0.0.1", options.get("port") or 0, reuse_address=True)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if not sys.stdin.isatty():

        def watch_stdin():
            try:
                while sys.stdin.buffer.read(65536):
                    pass
            finally:
                loop.call_soon_threadsafe(stop.set)

        threading.Thread(target=watch_stdin, daemon=True).start()

    sys.stdout.write(f"LISTENING {port}\n")
    sys.stdout.flush()
    await stop.wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    finally:
        # Don't wait for open connections: the peer is a disposable test fixture.
        sys.stdout.flush()
        os._exit(0)
