"""FUNC_SIGNATURE=knative: the machinery cases' handlers (SHARED-DECISIONS-11b), as bare ASGI
`handle`s: `hello` answers 200 `hello` as func-python's examples answer text (`text/plain`),
`slow` waits 3 s without blocking first, `boom` raises RuntimeError("boom")."""

import asyncio


async def _text(send, status, text):
    await send({"type": "http.response.start", "status": status, "headers": [[b"content-type", b"text/plain"]]})
    await send({"type": "http.response.body", "body": text.encode()})


async def hello(scope, receive, send):
    await _text(send, 200, "hello")


async def slow(scope, receive, send):
    await asyncio.sleep(3)
    await _text(send, 200, "slow")


async def boom(scope, receive, send):
    raise RuntimeError("boom")
