"""protocol.py subclasses uvicorn's httptools protocol: fail loudly when uvicorn changes under it."""

from __future__ import annotations

import inspect
from pathlib import Path

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

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
