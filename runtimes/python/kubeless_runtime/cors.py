"""CORS as Kubeless Node did it (CONTRACT §2): the headers an answer gets, and the preflight's answer.

`FUNC_CORS_ORIGINS=*` puts `Access-Control-Allow-Origin: *` on every answer; a list echoes a listed
`Origin` with `Vary: Origin`. A header the function set itself wins. Moved out of app.py, which
decides per request which of these applies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

ALLOW_ORIGIN = b"access-control-allow-origin"
ANY = [(ALLOW_ORIGIN, b"*")]
_PREFLIGHT_METHODS = b"GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"

Headers = list[tuple[bytes, bytes]]


def with_cors(headers: Headers, cors: Headers) -> Headers:
    """`headers` plus the CORS headers, unless the function set Access-Control-Allow-Origin itself:
    then its own wins (two values make browsers refuse the response)."""
    for name, _ in headers:
        if name == ALLOW_ORIGIN:
            return headers
    return headers + cors


def allow(origins: frozenset[bytes], origin: bytes) -> Headers | None:
    """The CORS headers for a request from `origin` when origins are a list; None when not listed."""
    if origin in origins:
        return [(ALLOW_ORIGIN, origin), (b"vary", b"Origin")]
    return None


async def preflight(
    send: Callable[[MutableMapping[str, Any]], Awaitable[None]], headers: dict[bytes, bytes], cors: Headers | None
) -> None:
    """The answer to a preflight (OPTIONS with Origin and Access-Control-Request-Method): 204."""
    answer = [
        (b"access-control-allow-methods", _PREFLIGHT_METHODS),
        (b"access-control-max-age", b"86400"),
    ]
    requested = headers.get(b"access-control-request-headers")
    if requested:
        answer.append((b"access-control-allow-headers", requested))
    await send({"type": "http.response.start", "status": 204, "headers": answer + (cors or [])})
    await send({"type": "http.response.body", "body": b""})
