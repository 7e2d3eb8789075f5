"""protocol*.py subclass uvicorn's httptools and h11 protocols: fail loudly when uvicorn changes under
them, and check that both parsers give the same answers (the h11 one is the fallback when httptools
has no wheel: stack.py)."""

from __future__ import annotations

import asyncio
import inspect
import string
from pathlib import Path

import h11
import pytest
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from kubeless_runtime.protocol import HTTP_METHODS, NOT_HTTP_METHODS, protocol_class
from kubeless_runtime.protocol_h11 import LimitedH11Protocol

CONSTRAINTS = Path(__file__).resolve().parents[3] / "constraints.txt"
PARSERS = ["httptools", "h11"]


@pytest.fixture(params=PARSERS)
def parser(request: pytest.FixtureRequest) -> str:
    return request.param


def test_uvicorn_is_the_pinned_version() -> None:
    """A new uvicorn needs its httptools_impl.py and h11_impl.py re-read against protocol*.py first."""
    pins = dict(line.split("==") for line in CONSTRAINTS.read_text().splitlines() if "==" in line)
    assert uvicorn.__version__ == pins["uvicorn"]
    assert h11.__version__ == pins["h11"]


def test_the_internals_protocol_httptools_relies_on_are_there() -> None:
    pytest.importorskip("httptools")
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    for name in ("_unset_keepalive_if_required", "send_400_response", "_should_upgrade", "handle_websocket_upgrade",
                 "_unsupported_upgrade_warning", "on_message_begin", "on_headers_complete",
                 "on_message_complete", "connection_made", "connection_lost", "data_received"):
        assert callable(getattr(HttpToolsProtocol, name)), name
    source = inspect.getsource(HttpToolsProtocol.__init__)
    for attribute in ("self.parser", "self.loop", "self.logger", "self.server_state", "self.transport", "self.client"):
        assert attribute in source, attribute
    begin = inspect.getsource(HttpToolsProtocol.on_message_begin)
    assert 'self.url = b""' in begin and "self.headers = []" in begin  # what on_headers_complete measures
    assert "self.parser.feed_data(data)" in inspect.getsource(HttpToolsProtocol.data_received)


def test_the_internals_protocol_h11_relies_on_are_there() -> None:
    for name in ("send_400_response", "handle_events", "connection_made", "connection_lost", "data_received"):
        assert callable(getattr(H11Protocol, name)), name
    init = inspect.getsource(H11Protocol.__init__)
    for attribute in ("self.conn = h11.Connection(", "self.loop", "self.logger", "self.server_state",
                      "self.transport", "self.client"):
        assert attribute in init, attribute
    # The events reach uvicorn through conn.next_event(); a RemoteProtocolError goes to
    # send_400_response; NEED_DATA ends the loop (how a refused request stops it).
    events = inspect.getsource(H11Protocol.handle_events)
    assert "self.conn.next_event()" in events and "except h11.RemoteProtocolError:" in events
    assert "self.send_400_response(msg)" in events
    assert "if event is h11.NEED_DATA:\n                break" in events
    assert "self.conn.receive_data(data)" in inspect.getsource(H11Protocol.data_received)
    # h11's public API the subclass uses, and its bound on an incomplete head (a 431 hint).
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=100)
    assert conn.their_state is h11.IDLE and conn.trailing_data == (b"", False)
    conn.receive_data(b"GET / HTTP/1.1\r\nX-Long: " + b"x" * 200)
    with pytest.raises(h11.RemoteProtocolError) as error:
        conn.next_event()
    assert error.value.error_status_hint == 431
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(b"GET /x HTTP/1.1\r\nHost: x\r\nX-Case: Kept\r\n\r\n")
    request = conn.next_event()
    assert request.headers.raw_items() == [(b"Host", b"x"), (b"X-Case", b"Kept")]  # what head_complete measures
    conn.receive_data(b"abc")
    assert len(conn._receive_buffer) == 3  # the bytes h11 holds, not yet parsed
    conn._cstate.process_keep_alive_disabled()  # what shutdown() does: the answer says close
    answer = conn.send(h11.Response(status_code=200, headers=[(b"Content-Length", b"0")]))
    assert b"connection: close" in answer.lower()
    assert "self.cycle.keep_alive = False" in inspect.getsource(H11Protocol.shutdown)


def test_http_methods_are_the_ones_llhttp_parses_as_http() -> None:
    """Walk llhttp's method table through httptools: the tokens it takes as an HTTP/1.1 method, and
    those it knows (RTSP's, HTTP/2's PRI) but refuses in an HTTP/1.1 request."""
    httptools = pytest.importorskip("httptools")

    def refused_at_once(prefix: bytes) -> bool:
        try:
            httptools.HttpRequestParser(object()).feed_data(prefix)
        except httptools.HttpParserInvalidMethodError:
            return True
        except httptools.HttpParserError:
            pass
        return False

    def parsed(method: bytes) -> str | None:
        """"http": parsed; "not-http": a method llhttp knows but refuses here; None: no method."""
        parser = httptools.HttpRequestParser(object())
        try:
            parser.feed_data(method + b" /x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        except httptools.HttpParserUpgrade:
            return "http"  # CONNECT
        except httptools.HttpParserInvalidMethodError:
            return None  # a prefix of a method, not one
        except httptools.HttpParserError:
            return "not-http"
        return "http"

    alphabet = [c.encode() for c in string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_!"]
    methods: dict[str | None, set[bytes]] = {"http": set(), "not-http": set(), None: set()}
    prefixes = [b""]
    while prefixes:
        prefix = prefixes.pop()
        for c in alphabet:
            if not refused_at_once(prefix + c):
                prefixes.append(prefix + c)
                methods[parsed(prefix + c)].add(prefix + c)
    assert methods["http"] == HTTP_METHODS | {b"CONNECT"}
    assert methods["not-http"] == NOT_HTTP_METHODS


def test_protocol_class_carries_the_settings(parser: str) -> None:
    if parser == "httptools":
        pytest.importorskip("httptools")
    cls = protocol_class(2048, 3.0, None, cors_any=True, parser=parser)
    assert cls.__name__ == ("LimitedH11Protocol" if parser == "h11" else "LimitedHttpToolsProtocol")
    assert (cls.max_header_size, cls.header_timeout, cls.live) == (2048, 3.0, set())
    assert cls.extra_headers == b"access-control-allow-origin: *\r\n"
    assert protocol_class(2048, 3.0, None, cors_any=False, parser=parser).extra_headers == b""
    if parser == "h11":
        assert issubclass(cls, LimitedH11Protocol)


class _Transport:
    """Just enough of an asyncio transport for uvicorn's protocols."""

    def __init__(self) -> None:
        self.data = b""
        self.closed = False
        self.closed_by_server = False

    def get_extra_info(self, key: str, default: object = None) -> object:
        return {"sockname": ("127.0.0.1", 8080), "peername": ("127.0.0.1", 40000)}.get(key, default)

    def write(self, data: bytes) -> None:
        self.data += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def _ok(scope, receive, send):  # type: ignore[no-untyped-def]
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


def _exchange(parser: str, chunks: list[bytes], max_header_size: int = 1024) -> _Transport:
    if parser == "httptools":
        pytest.importorskip("httptools")

    async def run() -> _Transport:
        config = uvicorn.Config(app=_ok, http=protocol_class(max_header_size, 5.0, None, cors_any=False, parser=parser),
                                lifespan="off", log_config=None, proxy_headers=False)
        config.load()
        state = ServerState()
        protocol = config.http_protocol_class(config=config, server_state=state, app_state={})
        transport = _Transport()
        protocol.connection_made(transport)
        for chunk in chunks:
            if not transport.closed:
                protocol.data_received(chunk)
            for _ in range(5):
                await asyncio.sleep(0)
        transport.closed_by_server = transport.closed
        protocol.connection_lost(None)
        return transport

    return asyncio.run(run())


def test_a_small_request_is_served(parser: str) -> None:
    transport = _exchange(parser, [b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"])
    assert transport.data.startswith(b"HTTP/1.1 200 ") and not transport.closed_by_server


def test_pipelined_requests_are_served(parser: str) -> None:
    request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    transport = _exchange(parser, [request * 2, request[:10], request[10:]])
    assert transport.data.count(b"HTTP/1.1 200 ") == 3 and not transport.closed_by_server


def test_a_head_over_the_limit_in_one_chunk_is_431(parser: str) -> None:
    transport = _exchange(parser, [b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 2000 + b"\r\n\r\n"])
    assert transport.data.startswith(b"HTTP/1.1 431 ") and transport.closed_by_server
    assert transport.data.endswith(b"Request Header Fields Too Large: the limit is 1024 bytes")


def test_a_head_at_the_limit_passes_and_one_byte_more_is_431(parser: str) -> None:
    line_and_host = len(b"GET / HTTP/1.1\r\nHost: x\r\n")
    fits = b"GET / HTTP/1.1\r\nHost: x\r\nX-Fit: " + b"f" * (1024 - line_and_host - len(b"X-Fit: \r\n")) + b"\r\n\r\n"
    assert _exchange(parser, [fits]).data.startswith(b"HTTP/1.1 200 ")
    over = fits.replace(b"X-Fit: ", b"X-Fit: f")
    assert _exchange(parser, [over]).data.startswith(b"HTTP/1.1 431 ")


def test_a_head_over_the_limit_arriving_in_pieces_is_431_before_it_ends(parser: str) -> None:
    transport = _exchange(parser, [b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: "] + [b"b" * 300] * 10)
    assert transport.data.startswith(b"HTTP/1.1 431 ") and transport.closed_by_server


@pytest.mark.parametrize("host", [b"Host: x\r\n", b""])  # without Host h11 refuses it (400) before it is measured
def test_a_pipelined_head_over_the_limit_after_a_body_is_431(parser: str, host: bytes) -> None:
    first = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
    second = b"GET / HTTP/1.1\r\n" + host + b"X-Big: " + b"b" * 700
    transport = _exchange(parser, [first + second, b"b" * 700 + b"\r\n\r\n"])
    assert b"HTTP/1.1 431 " in transport.data and transport.closed_by_server


@pytest.mark.parametrize("request_line", [b"FOO / HTTP/1.1", b"get / HTTP/1.1", b"GETX / HTTP/1.1"])
def test_an_unknown_method_is_501(parser: str, request_line: bytes) -> None:
    transport = _exchange(parser, [request_line + b"\r\nHost: x\r\n\r\n"])
    assert transport.data.startswith(b"HTTP/1.1 501 ") and transport.closed_by_server
    assert transport.data.endswith(b"Not Implemented: unknown method")


def test_an_unknown_method_is_501_before_its_request_line_ends(parser: str) -> None:
    transport = _exchange(parser, [b"FOO /cus"])
    assert transport.data.startswith(b"HTTP/1.1 501 ") and transport.closed_by_server


def test_a_pipelined_unknown_method_is_501(parser: str) -> None:
    transport = _exchange(parser, [b"GET / HTTP/1.1\r\nHost: x\r\n\r\nFOO / HTTP/1.1\r\nHost: x\r\n\r\n"])
    # (httptools answers it while parsing, before the first request's answer; h11 after it)
    assert b"HTTP/1.1 200 " in transport.data and b"HTTP/1.1 501 " in transport.data
    assert transport.closed_by_server


def test_connect_is_501(parser: str) -> None:
    transport = _exchange(parser, [b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"])
    assert transport.data.startswith(b"HTTP/1.1 501 ") and transport.closed_by_server
    assert transport.data.endswith(b"Not Implemented: CONNECT is not supported")


@pytest.mark.parametrize("raw", [
    b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
    b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    b"DESCRIBE / HTTP/1.1\r\nHost: x\r\n\r\n",  # llhttp knows it, for RTSP
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",  # HTTP/2's preface
])
def test_a_malformed_request_is_400(parser: str, raw: bytes) -> None:
    transport = _exchange(parser, [raw])
    assert transport.data.startswith(b"HTTP/1.1 400 ") and transport.closed_by_server
    assert transport.data.endswith(b"\r\n\r\nInvalid HTTP request received.")


def test_the_runtimes_answers_are_the_same_bytes_with_either_parser() -> None:
    pytest.importorskip("httptools")
    for chunks in ([b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n"], [b"GET / HTTP/1.1\r\nBad Header\r\n\r\n"],
                   [b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 2000]):
        fast, fallback = (_exchange(parser, chunks).data.split(b"\r\n", 2) for parser in PARSERS)
        assert fast[0] == fallback[0] and fast[2] == fallback[2]  # all but the date
