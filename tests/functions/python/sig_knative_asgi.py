"""FUNC_SIGNATURE=knative: raw ASGI corners (the ASGI 3 HTTP spec, as func-python hands `handle` the
server's own scope, receive and send): what the function sees, a streamed answer (`more_body`), and
answers the runtime cannot send."""

import asyncio
import json


async def _send(send, status, headers, body):
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def echo(scope, receive, send):
    message = await receive()
    seen = {
        "type": scope["type"], "method": scope["method"], "path": scope["path"],
        "query_string": scope["query_string"].decode(), "asgi": scope["asgi"]["version"],
        "x-test": [v.decode() for k, v in scope["headers"] if k == b"x-test"],
        "message": message["type"], "body": message["body"].decode(), "more_body": message["more_body"],
        "event": "event" in scope,
    }
    await _send(send, 200, [(b"content-type", b"application/json")], json.dumps(seen).encode())


async def stream(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    for part in ("one ", "two ", "three"):
        await send({"type": "http.response.body", "body": part.encode(), "more_body": True})
        await asyncio.sleep(0.3)
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def silent(scope, receive, send):
    return None


async def bad_status(scope, receive, send):
    await _send(send, 1000, [], b"no")


async def body_first(scope, receive, send):
    await send({"type": "http.response.body", "body": b"no start"})


def not_asgi(event, context):
    """A Kubeless function: not what FUNC_SIGNATURE=knative can call (a start-up error)."""
    return "kubeless"
