"""The receiving bounds of protocol.py on uvicorn's httptools protocol (the default parser).

- the request line and headers are counted: a head still incomplete chunk by chunk as it arrives (so
  the parser never buffers much more than the limit); a complete one exactly, only when its chunks
  could be over the limit;
- a method llhttp does not know fails in the parser (`HttpParserInvalidMethodError`) and is answered
  501 with the request line as received; CONNECT reaches `on_headers_complete` and is answered 501
  there (one of RTSP's fails in the parser later: 400, as for a malformed request).

Relies on uvicorn's `HttpToolsProtocol` internals (`parser`, `url`, `headers`, the parser callbacks
and what `data_received` does; `data_received` below mirrors uvicorn 0.54's). A unit test checks that
they are still there; re-read uvicorn's `httptools_impl.py` on upgrade.
"""

from __future__ import annotations

from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .protocol import HTTP_METHODS, MALFORMED, ReceivingBounds


class _Refused(Exception):
    """Raised from a parser callback to stop parsing a request that has been answered."""


class LimitedHttpToolsProtocol(ReceivingBounds, HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_body = False  # between a request's headers and its end
        self.head_raw = 0  # bytes of the pending head received in earlier chunks
        self.chunk = 0  # the size of the chunk being parsed
        self.chunk_in_head = False  # that chunk began in a request head (or between requests)
        self.head_completed = False  # a head was completed by the chunk being parsed

    def data_received(self, data: bytes) -> None:
        # uvicorn 0.54's data_received, with the unknown method answered 501 and our refusals.
        self._unset_keepalive_if_required()
        was_head = self.chunk_in_head = not self.in_body
        self.head_completed = False
        self.chunk = len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserInvalidMethodError:
            self.refuse_method(b"", data)
            return
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, _Refused):
                return  # answered by the callback that raised it
            self.logger.warning(MALFORMED)
            self.send_400_response(MALFORMED)
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
        assert self.parser is not None
        method = self.parser.get_method()
        if method not in HTTP_METHODS:  # CONNECT (or PRI with no header: llhttp takes it)
            self.refuse_method(method, b"%s %s HTTP/%s" % (method, self.url, self.parser.get_http_version().encode()))
            raise _Refused()  # stops the parser; data_received sees it
        if self.head_raw + self.chunk > self.max_header_size:  # else it cannot be over: no need to count
            # CONTRACT §1: the request line and the header lines, each with its CRLF, the blank line not.
            line = len(method) + len(self.url) + len(self.parser.get_http_version()) + 9  # "M U HTTP/V\r\n"
            size = line + sum(len(name) + len(value) + 4 for name, value in self.headers)  # "n: v\r\n"
            if size > self.max_header_size:
                self.refuse_too_large()
                raise _Refused()
        self.head_since = None
        self.in_body = True
        self.head_completed = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self.in_body = False
        super().on_message_complete()
