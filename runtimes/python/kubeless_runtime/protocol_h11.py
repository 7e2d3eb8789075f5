"""The receiving bounds of protocol.py on uvicorn's h11 protocol (the fallback when httptools is missing).

uvicorn's `H11Protocol` takes each event from `self.conn.next_event()` and starts the app on a
`Request`; on `h11.RemoteProtocolError` it calls `send_400_response`. So the checks live in an
`h11.Connection` subclass whose `next_event` sees each event before uvicorn does:

- an incomplete head: h11's own `max_incomplete_event_size` (set to the limit) raises "Receive
  buffer too long" with `error_status_hint` 431 when what it holds of the head is over the limit →
  431; a complete head is measured exactly (as with httptools: the request line and the header
  lines with their CRLFs) → 431; one h11 refuses as malformed is 431 too when its bytes are over;
- the first `NEED_DATA` of a pending head starts its `FUNC_HEADER_TIMEOUT` clock (protocol.py's
  sweep); the `Request` stops it;
- the method: h11 takes any token, so it is checked against `protocol.HTTP_METHODS` as soon as the
  request line's first space has arrived (or as soon as the token can no longer become one of
  llhttp's, as llhttp does) and again on the `Request` → 501, or 400 for RTSP's (as llhttp);
- `Content-Length` with `Transfer-Encoding` → 400, as llhttp refuses it (h11 would take it).

What still differs, each parser refusing or taking a request by its own rules: h11 requires `Host`
in HTTP/1.1 and refuses a blank line before a request line (400; llhttp takes both), and takes bare
LF line ends and folded header lines (llhttp: 400); a pipelined request refused while an earlier one
is being answered gets its answer after that one (httptools: at once).

After answering, `next_event` returns `NEED_DATA`, which ends uvicorn's loop over the events; the
transport is closing, so nothing more is read.

Relies on uvicorn's `H11Protocol` internals: `self.conn` (made in `__init__`, replaced here),
`handle_events` calling `self.conn.next_event()` and stopping at `NEED_DATA`, and
`send_400_response`, `shutdown` and `cycle.response_started`; and on two of h11's:
`len(Connection._receive_buffer)`, the bytes not yet parsed (to size a head h11 refused), and
`Connection._cstate.process_keep_alive_disabled()` (so a drain's answers say `Connection: close`).
A unit test checks they are still there; re-read uvicorn's `h11_impl.py` and h11 on upgrade.
"""

from __future__ import annotations

from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from .protocol import CONNECT, HTTP_METHODS, MALFORMED, NOT_HTTP_METHODS, ReceivingBounds

_LLHTTP_METHODS = HTTP_METHODS | NOT_HTTP_METHODS | {CONNECT}  # every token llhttp takes as a method


class _Connection(h11.Connection):
    """h11's server connection, its events checked by the protocol before uvicorn sees them."""

    def __init__(self, protocol: LimitedH11Protocol) -> None:
        super().__init__(h11.SERVER, max_incomplete_event_size=protocol.max_header_size)
        self.protocol: LimitedH11Protocol | None = protocol  # None once the connection is lost

    def next_event(self) -> Any:
        protocol = self.protocol
        if protocol is None:
            return super().next_event()
        idle = self.their_state is h11.IDLE  # a request head is what comes next
        buffered = len(self._receive_buffer) if idle else 0
        try:
            event = super().next_event()
        except h11.RemoteProtocolError as exc:
            # What h11 holds of the head is over the limit; or the head is malformed (400) but its
            # lines are over the limit too (what h11 took of the buffer, less the blank line), which
            # httptools, counting first, answers 431.
            head = buffered - len(self._receive_buffer) - 2
            if idle and (exc.error_status_hint == 431 or head > protocol.max_header_size):
                protocol.refuse_too_large()
                return h11.NEED_DATA
            raise  # uvicorn answers it with send_400_response
        if event is h11.NEED_DATA:
            if idle:
                protocol.head_pending()
        elif type(event) is h11.Request and not protocol.head_complete(event):
            return h11.NEED_DATA
        return event


class LimitedH11Protocol(ReceivingBounds, H11Protocol):
    conn: _Connection

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = _Connection(self)
        self.method_checked = False  # the pending head's method is one of HTTP_METHODS

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self.conn.protocol = None  # no reference cycle left behind

    def shutdown(self) -> None:
        # The answer of a call in flight at a drain says `Connection: close` (CONTRACT §8), as with
        # httptools; uvicorn's h11 protocol only closes after it. h11 says it when keep-alive is off.
        if self.cycle is not None and not self.cycle.response_started:
            self.conn._cstate.process_keep_alive_disabled()
        super().shutdown()

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():  # answered and closed: nothing more is read
            return
        super().data_received(data)

    def head_pending(self) -> None:
        """h11 needs more of a request head: start its clock; answer once its method cannot be one."""
        if self.head_since is not None and self.method_checked:
            return
        pending = self.conn.trailing_data[0]  # a copy, made only until the method is known
        if not pending:
            return  # nothing of the next request yet
        if self.head_since is None:
            self.head_since = self.loop.time()
        if not self.method_checked:
            method, space, _ = pending.partition(b" ")
            if space:
                self.method_checked = True
                if method not in HTTP_METHODS:
                    self.refuse_method(method, pending)
            elif not any(name.startswith(method) for name in _LLHTTP_METHODS):
                self.refuse_method(method, pending)

    def head_complete(self, request: h11.Request) -> bool:
        """h11 has read a request head; False when it has been answered (501, 431, 400)."""
        self.head_since = None
        self.method_checked = False
        if request.method not in HTTP_METHODS:
            line = b"%s %s HTTP/%s" % (request.method, request.target, request.http_version)
            self.refuse_method(request.method, line)
            return False
        # CONTRACT §1: the request line and the header lines, each with its CRLF, the blank line not.
        size = len(request.method) + len(request.target) + len(request.http_version) + 9  # "M U HTTP/V\r\n"
        length = chunked = False
        for name, value in request.headers.raw_items():
            size += len(name) + len(value) + 4  # "n: v\r\n"
            lower = name.lower()
            length = length or lower == b"content-length"
            chunked = chunked or lower == b"transfer-encoding"
        if size > self.max_header_size:
            self.refuse_too_large()
            return False
        if length and chunked:  # llhttp refuses it: so does the runtime with h11 (RFC 9112 §6.3)
            self.logger.warning(MALFORMED)
            self.send_400_response(MALFORMED)
            return False
        return True
