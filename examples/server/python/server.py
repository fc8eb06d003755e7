"""The server the examples in examples/ talk to, on python-socketio 5.18 (aiohttp).

    python3 -m venv .venv && .venv/bin/pip install -r examples/server/python/requirements.txt \
        && .venv/bin/python examples/server/python/server.py [port]

Listens on 127.0.0.1:<port> (default 5000; 0 picks a free one) and prints
`listening on http://127.0.0.1:<port>`. Every namespace exists except `/forbidden`, which is
refused. Events, in every namespace (the same in ../node/server.js):

  echo(*args)           emits `echo` back with the same arguments; acks them all
  sum(a, b)             acks a + b
  handshake()           acks what the server saw: {auth, query, headers, transport, namespace, sid}
  ask(event, *args)     emits `event` with args to the sender, with a callback; acks with what
                        the callback got (the client's handler's return value)
  stream(count, event)  emits `event` {i: 0..count} to the sender; acks count
  message(*args)        relays `message` to the other sockets of the namespace; acks "delivered"
  disconnect_me()       acks, then disconnects the sender's namespace
  close_transport()     acks, then closes the sender's connection (as a network failure would:
                        the client reconnects)
"""

import asyncio
import os
import sys
from urllib.parse import parse_qsl

import socketio
from aiohttp import web

sio = socketio.AsyncServer(async_mode="aiohttp", namespaces="*", cors_allowed_origins="*")
app = web.Application()
sio.attach(app)
auths = {}
background = set()


@sio.on("connect", namespace="*")
async def connect(ns, sid, environ, auth):
    if ns == "/forbidden":
        raise socketio.exceptions.ConnectionRefusedError("forbidden", {"reason": "not allowed"})
    auths[(ns, sid)] = auth or None


@sio.on("disconnect", namespace="*")
async def disconnect(ns, sid, *_reason):
    auths.pop((ns, sid), None)


@sio.on("echo", namespace="*")
async def echo(ns, sid, *args):
    await sio.emit("echo", args, to=sid, namespace=ns)
    return args


@sio.on("sum", namespace="*")
async def sum_(ns, sid, a, b, *_rest):
    return a + b


@sio.on("handshake", namespace="*")
async def handshake(ns, sid, *_args):
    environ = sio.get_environ(sid, namespace=ns) or {}
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    return {
        "auth": auths.get((ns, sid)),
        "query": dict(parse_qsl(environ.get("QUERY_STRING", ""))),
        "headers": headers,
        "transport": sio.transport(sid, namespace=ns),
        "namespace": ns,
        "sid": sid,
    }


@sio.on("ask", namespace="*")
async def ask(ns, sid, event, *args):
    reply = asyncio.get_running_loop().create_future()

    def callback(*answer):
        if not reply.done():
            reply.set_result(answer)

    await sio.emit(event, args, to=sid, namespace=ns, callback=callback)
    return tuple(await reply)


@sio.on("stream", namespace="*")
async def stream(ns, sid, count, event, *_rest):
    for i in range(count):
        await sio.emit(event, {"i": i}, to=sid, namespace=ns)
    return count


@sio.on("message", namespace="*")
async def message(ns, sid, *args):
    await sio.emit("message", args, namespace=ns, skip_sid=sid)
    return "delivered"


def later(coroutine):
    """Runs `coroutine` after the current handler returned (so after its ack went out)."""
    task = asyncio.get_running_loop().create_task(coroutine)
    background.add(task)
    task.add_done_callback(background.discard)


@sio.on("disconnect_me", namespace="*")
async def disconnect_me(ns, sid, *_args):
    later(sio.disconnect(sid, namespace=ns))


@sio.on("close_transport", namespace="*")
async def close_transport(ns, sid, *_args):
    later(sio.eio.disconnect(sio.manager.eio_sid_from_sid(sid, ns)))


async def main(port):
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    print(f"listening on http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("PORT", 5000))))
    except KeyboardInterrupt:
        pass
