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

The typed chat (examples/typed_chat.rs; its Rust protocol is in src/typed_chat.rs):
  join({room, name})    joins room; emits `welcome` {name, history}, then asks the client
                        `are_you_there`(1) and, on (true, status), emits
                        `chat message`("server", "<name> is there: <status>")
  say(text)             keeps "<name>: <text>" in this socket's history; emits `chat message`(name, text)
  typing()              emits `user_typing`(name)
  upload(file, bytes)   emits `file_shared`(file, bytes)
  history({limit})      acks the last `limit` lines of the history
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
    sessions.pop((ns, sid), None)


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


sessions = {}


def session(ns, sid):
    return sessions.setdefault((ns, sid), {"name": None, "history": []})


@sio.on("join", namespace="*")
async def join(ns, sid, data, *_rest):
    await sio.enter_room(sid, data["room"], namespace=ns)
    state = session(ns, sid)
    state["name"] = name = data["name"]
    await sio.emit("welcome", {"name": name, "history": len(state["history"])}, to=sid, namespace=ns)

    async def answered(there=None, status=None, *_rest):
        if there is True:
            await sio.emit("chat message", ("server", f"{name} is there: {status}"), to=sid, namespace=ns)

    await sio.emit("are_you_there", 1, to=sid, namespace=ns, callback=answered)


@sio.on("say", namespace="*")
async def say(ns, sid, text, *_rest):
    state = session(ns, sid)
    name = state["name"] or "anonymous"
    state["history"].append(f"{name}: {text}")
    await sio.emit("chat message", (name, text), to=sid, namespace=ns)


@sio.on("typing", namespace="*")
async def typing(ns, sid, *_rest):
    await sio.emit("user_typing", session(ns, sid)["name"] or "", to=sid, namespace=ns)


@sio.on("upload", namespace="*")
async def upload(ns, sid, file, data, *_rest):
    await sio.emit("file_shared", (file, data), to=sid, namespace=ns)


@sio.on("history", namespace="*")
async def history(ns, sid, data, *_rest):
    limit = data["limit"]
    return session(ns, sid)["history"][-limit:] if limit else []


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
