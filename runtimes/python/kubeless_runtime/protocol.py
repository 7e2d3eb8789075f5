"""Receiving bounds for HTTP/1.1 requests that uvicorn's protocols lack (shared decisions 7, 9; issue 9).

uvicorn's HTTP protocols have no limit on the time a request's headers may take to arrive (half a
request held a connection for good); its httptools one has no limit on their size either (a 40 MB
header was buffered whole); the two answer a malformed request with their own 400 and no access-log
line; and its h11 one takes any token as a method. uvicorn offers nothing public for these
(`limit_concurrency` / `timeout_keep_alive` bound other things). So `protocol_class` returns a
subclass of the protocol of the parser in use, with the same bounds and answers whichever it is:

- the request line and headers over `FUNC_MAX_HEADER_SIZE` → 431, closed, counted as they arrive;
- headers not complete `FUNC_HEADER_TIMEOUT` seconds after the request's first byte (after the
  connection's opening for the first request) → 408, closed. One sweep timer per worker checks the
  connections, rather than a timer per request (arming a uvloop timer costs about 4 µs);
- a method that is not one of llhttp's (`FOO`), and CONNECT → 501, closed (RFC 9110 §15.6.2); one
  llhttp knows for RTSP or HTTP/2 (`NOT_HTTP_METHODS`) → 400 as llhttp has it;
- a malformed request → 400, closed;
- each of these answers with an access-log line and the CORS header of `FUNC_CORS_ORIGINS=*`.

This module holds what the two share (the answers, the sweep, the class factory);
`protocol_httptools.py` (uvloop + httptools, the default) and `protocol_h11.py` (the pure-Python
fallback, stack.py) hold what each parser needs. Both rely on uvicorn internals, listed in their
docstrings, which is why uvicorn is pinned in constraints.txt; unit tests check those internals are
still there. Re-read uvicorn's `httptools_impl.py` and `h11_impl.py` on upgrade.
"""

from __future__ import annotations

import asyncio
import http
import logging
from typing import Any

from .accesslog import AccessLog
from .writes import GatheringTransport

_TEXT = b"content-type: text/plain; charset=utf-8\r\n"
MAX_LOGGED_LINE = 512

# The methods that reach the function (CONTRACT §2): those llhttp (httptools 0.9.0, and Node.js)
# parses as HTTP, but CONNECT (a tunnel is not a function call: 501, as in the Node.js runtime).
# llhttp answers any other token 501 (an unknown method), but for the RTSP methods and HTTP/2's PRI,
# which it knows and refuses in an HTTP/1.x request: a malformed request, 400. The runtime answers
# the same with h11. tests/test_protocol.py checks both sets against httptools when it is installed.
HTTP_METHODS = frozenset(
    b"ACL BIND CHECKOUT COPY DELETE GET HEAD LINK LOCK M-SEARCH MERGE MKACTIVITY MKCALENDAR MKCOL MOVE "
    b"NOTIFY OPTIONS PATCH POST PROPFIND PROPPATCH PURGE PUT QUERY REBIND REPORT SEARCH SOURCE SUBSCRIBE "
    b"TRACE UNBIND UNLINK UNLOCK UNSUBSCRIBE".split()
)
NOT_HTTP_METHODS = frozenset(
    b"ANNOUNCE DESCRIBE FLUSH GET_PARAMETER PAUSE PLAY PRI RECORD REDIRECT SETUP SET_PARAMETER TEARDOWN".split()
)
CONNECT = b"CONNECT"
UNKNOWN_METHOD = b"Not Implemented: unknown method"
CONNECT_REFUSED = b"Not Implemented: CONNECT is not supported"
MALFORMED = "Invalid HTTP request received."  # uvicorn's own words for it


def protocol_class(
    max_header_size: int, header_timeout: float, access_log: AccessLog | None, cors_any: bool,
    parser: str = "httptools",
) -> type[asyncio.Protocol]:
    """The uvicorn `http=` protocol class for these settings (pass it as `uvicorn.Config(http=...)`).

    `parser` is "httptools" or "h11" (stack.py decides which one a worker uses).
    """
    if parser == "h11":
        from .protocol_h11 import LimitedH11Protocol as base
    else:
        from .protocol_httptools import LimitedHttpToolsProtocol as base  # type: ignore[assignment]
    return type(
        base.__name__,
        (base,),
        {
            "max_header_size": max_header_size,
            "header_timeout": header_timeout,
            "access_log_writer": access_log,
            "extra_headers": b"access-control-allow-origin: *\r\n" if cors_any else b"",
            "live": set(),
            "sweeping": False,
        },
    )


class ReceivingBounds:
    """What both parsers' subclasses share; mixed in before uvicorn's protocol class.

    Uses these attributes of uvicorn's protocols: `loop`, `transport`, `client`, `server_state`
    (`default_headers`), `logger`, and `send_400_response(msg)` as the place a malformed request is
    answered.
    """

    # Set per worker by `protocol_class`.
    max_header_size: int
    header_timeout: float
    access_log_writer: AccessLog | None
    extra_headers: bytes
    live: set[ReceivingBounds]  # this worker's connections, for the sweep
    sweeping: bool
    # uvicorn's
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    client: tuple[str, int] | None
    server_state: Any
    logger: logging.Logger

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_since: float | None = None  # loop time the pending request head began; None: none pending

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(GatheringTransport(transport, self.loop))  # type: ignore[misc]
        self.head_since = self.loop.time()
        cls = type(self)
        cls.live.add(self)
        if not cls.sweeping:
            cls.sweeping = True
            self.loop.call_later(self._sweep_interval(), _sweep, cls, self.loop)

    def connection_lost(self, exc: Exception | None) -> None:
        type(self).live.discard(self)
        super().connection_lost(exc)  # type: ignore[misc]

    @classmethod
    def _sweep_interval(cls) -> float:
        return min(1.0, cls.header_timeout / 4)

    # -- the runtime's own answers ---------------------------------------------------------------

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request its parser refused, with the CORS header and a log line."""
        self.refuse(400, msg.encode("ascii"), "-")

    def refuse_too_large(self) -> None:
        self.refuse(
            431, f"Request Header Fields Too Large: the limit is {self.max_header_size} bytes".encode(), "-"
        )

    def refuse_slow(self) -> None:
        self.refuse(
            408, f"Request Timeout: the request headers did not arrive within {self.header_timeout:g} s".encode(), "-"
        )

    def refuse_method(self, method: bytes, request_line: bytes) -> None:
        """Answer a method not in HTTP_METHODS; `request_line` is what arrived of it (logged with a 501)."""
        if method in NOT_HTTP_METHODS:
            self.logger.warning(MALFORMED)
            self.send_400_response(MALFORMED)
            return
        line = request_line.split(b"\r\n", 1)[0][:MAX_LOGGED_LINE].decode("latin-1")
        self.refuse(501, CONNECT_REFUSED if method == CONNECT else UNKNOWN_METHOD, line)

    def refuse(self, status: int, body: bytes, request_line: str) -> None:
        """Answer `status` with a one-line body and close: the request is not read any further."""
        self.head_since = None
        if self.transport.is_closing():
            return
        content = [b"HTTP/1.1 %d %s\r\n" % (status, http.HTTPStatus(status).phrase.encode())]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                _TEXT,
                self.extra_headers,
                b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body),
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()
        if self.access_log_writer is not None:
            self.access_log_writer.log_line(self.client[0] if self.client else None, request_line, status, len(body))


def _sweep(cls: type[ReceivingBounds], loop: asyncio.AbstractEventLoop) -> None:
    """Answer 408 to every connection whose pending request head is older than the timeout."""
    if not cls.live:
        cls.sweeping = False  # the next connection starts it again
        return
    expired = loop.time() - cls.header_timeout
    for protocol in list(cls.live):
        since = protocol.head_since
        if since is not None and since <= expired:
            protocol.refuse_slow()
    loop.call_later(cls._sweep_interval(), _sweep, cls, loop)
