"""Receiving bounds for HTTP/1.1 requests that uvicorn's httptools protocol lacks (shared decisions 7, 9).

uvicorn's `HttpToolsProtocol` has no limit on the size of a request's headers (a 40 MB header was
buffered whole), no time limit on receiving them (half a request held a connection for good), and
answers any parser error, an unknown method included, with its own 400 and no access-log line.
uvicorn offers nothing public for these: `h11_max_incomplete_event_size` applies only to its h11
protocol (about half the throughput of httptools here), `limit_concurrency` / `timeout_keep_alive`
bound other things. So `protocol_class` returns a subclass of `HttpToolsProtocol` that:

- counts the bytes of the request line and headers: over `FUNC_MAX_HEADER_SIZE` → 431, closed. A
  head still incomplete is counted chunk by chunk as it arrives (so the parser never buffers much
  more than the limit); a complete one is measured exactly, only when its chunks could be over;
- gives a request `FUNC_HEADER_TIMEOUT` seconds from its first byte (from the connection's opening
  for the first request) to complete its headers → 408, closed. One sweep timer per worker checks
  the connections, rather than a timer per request (arming a uvloop timer costs about 4 µs);
- answers a method llhttp does not know (`FOO / HTTP/1.1`) 501, and logs it (RFC 9110 §15.6.2);
- writes an access-log line for these answers and for uvicorn's own 400 on malformed requests.

The subclass relies on uvicorn's protocol internals (`parser`, `transport`, `loop`, `client`,
`server_state`, `url`, `headers`, `send_400_response`, the parser callbacks and what
`data_received` does), which is
why uvicorn is pinned in constraints.txt and `data_received` below mirrors uvicorn 0.54's. A unit
test checks that those internals are still there; re-read uvicorn's `httptools_impl.py` on upgrade.
"""

from __future__ import annotations

import asyncio
import http
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .accesslog import AccessLog

_TEXT = b"content-type: text/plain; charset=utf-8\r\n"
_MAX_LOGGED_LINE = 512


class _Refused(Exception):
    """Raised from a parser callback to stop parsing a request that has been answered."""


def protocol_class(
    max_header_size: int, header_timeout: float, access_log: AccessLog | None, cors_any: bool
) -> type[HttpToolsProtocol]:
    """The uvicorn `http=` protocol class for these settings (pass it as `uvicorn.Config(http=...)`)."""
    return type(
        "LimitedHttpToolsProtocol",
        (LimitedHttpToolsProtocol,),
        {
            "max_header_size": max_header_size,
            "header_timeout": header_timeout,
            "access_log_writer": access_log,
            "extra_headers": b"access-control-allow-origin: *\r\n" if cors_any else b"",
            "live": set(),
            "sweeping": False,
        },
    )


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    # Set per worker by `protocol_class`.
    max_header_size: int
    header_timeout: float
    access_log_writer: AccessLog | None
    extra_headers: bytes
    live: set[LimitedHttpToolsProtocol]  # this worker's connections, for the sweep
    sweeping: bool

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_since: float | None = None  # loop time the pending request head began; None: none pending
        self.in_body = False  # between a request's headers and its end
        self.head_raw = 0  # bytes of the pending head received in earlier chunks
        self.chunk = 0  # the size of the chunk being parsed
        self.chunk_in_head = False  # that chunk began in a request head (or between requests)
        self.head_completed = False  # a head was completed by the chunk being parsed

    # -- connection ------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.head_since = self.loop.time()
        cls = type(self)
        cls.live.add(self)
        if not cls.sweeping:
            cls.sweeping = True
            self.loop.call_later(self._sweep_interval(), _sweep, cls, self.loop)

    def connection_lost(self, exc: Exception | None) -> None:
        type(self).live.discard(self)
        super().connection_lost(exc)

    @classmethod
    def _sweep_interval(cls) -> float:
        return min(1.0, cls.header_timeout / 4)

    def data_received(self, data: bytes) -> None:
        # uvicorn 0.54's data_received, with the unknown method answered 501 and our refusals.
        self._unset_keepalive_if_required()
        was_head = self.chunk_in_head = not self.in_body
        self.head_completed = False
        self.chunk = len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserInvalidMethodError:
            line = data.split(b"\r\n", 1)[0][:_MAX_LOGGED_LINE].decode("latin-1")
            self.refuse(501, b"Not Implemented: unknown method", line)
            return
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, _Refused):
                return  # answered by the callback that raised it
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            self.send_400_response(msg)
            self._log(400, len(msg), "-")
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if was_head and not self.head_completed and self.head_since is not None and self.parser is not None:
            # The whole chunk belongs to the pending head: bound what the parser buffers for it.
            self.head_raw += len(data)
            if self.head_raw > self.max_header_size:
                self.refuse_too_large()

    # -- parser callbacks ------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self.head_since is None:
            self.head_since = self.loop.time()
        self.in_body = False
        # A head that begins after a body (pipelining) in this chunk may hold up to all of it.
        self.head_raw = 0 if self.chunk_in_head and not self.head_completed else self.chunk

    def on_headers_complete(self) -> None:
        if self.head_raw + self.chunk > self.max_header_size:  # else it cannot be over: no need to count
            # CONTRACT §1: the request line and the header lines, each with its CRLF, the blank line not.
            assert self.parser is not None
            line = len(self.parser.get_method()) + len(self.url) + len(self.parser.get_http_version()) + 9  # "M U HTTP/V\r\n"
            size = line + sum(len(name) + len(value) + 4 for name, value in self.headers)  # "n: v\r\n"
            if size > self.max_header_size:
                self.refuse_too_large()
                raise _Refused()  # stops the parser; data_received sees it
        self.head_since = None
        self.in_body = True
        self.head_completed = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self.in_body = False
        super().on_message_complete()

    # -- the runtime's own answers ---------------------------------------------------------------

    def refuse_too_large(self) -> None:
        self.refuse(
            431, f"Request Header Fields Too Large: the limit is {self.max_header_size} bytes".encode(), "-"
        )

    def refuse_slow(self) -> None:
        self.refuse(
            408, f"Request Timeout: the request headers did not arrive within {self.header_timeout:g} s".encode(), "-"
        )

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
        self._log(status, len(body), request_line)

    def _log(self, status: int, size: int, request_line: str) -> None:
        if self.access_log_writer is not None:
            self.access_log_writer.log_line(self.client[0] if self.client else None, request_line, status, size)


def _sweep(cls: type[LimitedHttpToolsProtocol], loop: asyncio.AbstractEventLoop) -> None:
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
