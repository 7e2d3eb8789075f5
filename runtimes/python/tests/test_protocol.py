"""protocol.py subclasses uvicorn's httptools protocol: fail loudly when uvicorn changes under it."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from kubeless_runtime.protocol import LimitedHttpToolsProtocol, protocol_class

CONSTRAINTS = Path(__file__).resolve().parents[3] / "constraints.txt"


def test_uvicorn_is_the_pinned_version() -> None:
    """A new uvicorn needs its httptools_impl.py re-read against protocol.py before the pin moves."""
    pins = dict(line.split("==") for line in CONSTRAINTS.read_text().splitlines() if "==" in line)
    assert uvicorn.__version__ == pins["uvicorn"]


def test_the_internals_protocol_py_relies_on_are_there() -> None:
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


def test_protocol_class_carries_the_settings() -> None:
    cls = protocol_class(2048, 3.0, None, cors_any=True)
    assert issubclass(cls, LimitedHttpToolsProtocol)
    assert (cls.max_header_size, cls.header_timeout, cls.live) == (2048, 3.0, set())
    assert cls.extra_headers == b"access-control-allow-origin: *\r\n"
    assert protocol_class(2048, 3.0, None, cors_any=False).extra_headers == b""


class _Transport:
    """Just enough of an asyncio transport for uvicorn's protocol."""

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


def _exchange(chunks: list[bytes], max_header_size: int = 1024) -> _Transport:
    async def run() -> _Transport:
        config = uvicorn.Config(app=_ok, http=protocol_class(max_header_size, 5.0, None, cors_any=False),
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


def test_a_small_request_is_served() -> None:
    transport = _exchange([b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"])
    assert transport.data.startswith(b"HTTP/1.1 200 ") and not transport.closed_by_server


def test_a_head_over_the_limit_in_one_chunk_is_431() -> None:
    transport = _exchange([b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 2000 + b"\r\n\r\n"])
    assert transport.data.startswith(b"HTTP/1.1 431 ") and transport.closed_by_server
    assert transport.data.endswith(b"Request Header Fields Too Large: the limit is 1024 bytes")


def test_a_head_over_the_limit_arriving_in_pieces_is_431_before_it_ends() -> None:
    transport = _exchange([b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: "] + [b"b" * 300] * 10)
    assert transport.data.startswith(b"HTTP/1.1 431 ") and transport.closed_by_server


def test_a_pipelined_head_over_the_limit_after_a_body_is_431() -> None:
    first = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
    transport = _exchange([first + b"GET / HTTP/1.1\r\nX-Big: " + b"b" * 700, b"b" * 700 + b"\r\n\r\n"])
    assert b"HTTP/1.1 431 " in transport.data and transport.closed_by_server


def test_an_unknown_method_is_501() -> None:
    transport = _exchange([b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n"])
    assert transport.data.startswith(b"HTTP/1.1 501 ") and transport.closed_by_server
    assert transport.data.endswith(b"Not Implemented: unknown method")
