"""A request's body, read whole before the function is called, within its limit and its deadline.

Moved out of app.py. More than `FUNC_MEMFILE_MAX` bytes, by `Content-Length` or as they arrive, is
answered 413 (and the connection closed); a body still arriving at the call's deadline is answered
408 (shared decision 8). Either way the function is not called.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import FunctionApp, Receive, Scope, Send


async def read_body(
    app: FunctionApp, scope: Scope, receive: Receive, send: Send, headers: dict[bytes, bytes], cors: Any,
    deadline: float,
) -> bytes | None:
    """The whole body, or None when it was refused (413 or 408 sent) or the client went away.

    Its arrival counts toward the call's deadline (on the loop's clock): only a body still arriving
    after the first message arms a timer.
    """
    declared = headers.get(b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > app.body_limit:
        await app._error(scope, send, headers, 413, app.too_large_body, cors, close=True)
        return None
    message = await receive()
    if message.get("more_body", False):
        try:
            async with asyncio.timeout_at(deadline):
                return await _read_rest(app, scope, message, receive, send, headers, cors)
        except TimeoutError:
            await app._error(scope, send, headers, 408, app.timeout_body, cors, close=True)
            return None
    return await _read_rest(app, scope, message, receive, send, headers, cors)


async def _read_rest(
    app: FunctionApp,
    scope: Scope,
    message: MutableMapping[str, Any],
    receive: Receive,
    send: Send,
    headers: dict[bytes, bytes],
    cors: Any,
) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    limit = app.body_limit
    while True:
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            await app._error(scope, send, headers, 413, app.too_large_body, cors, close=True)
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        message = await receive()
