"""CONTRACT §5: a streamed response whose client goes away is stopped and closed at once."""

from __future__ import annotations

import os
import socket
import time
import uuid

import pytest


@pytest.mark.parametrize("function", ["ticks", "ticks_async"])
def test_a_stream_stops_when_its_client_goes_away(serve, tmp_path, function):
    server = serve("streams", function, env={"MARKER_DIR": "/markers"}, volumes={"/markers": tmp_path},
                   writable=["/markers"])
    name = f"closed-{uuid.uuid4().hex[:8]}"
    host_marker = tmp_path / name
    os.chmod(tmp_path, 0o777)  # the container's uid writes it too
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(f"POST / HTTP/1.1\r\nHost: x\r\nx-marker: {name}\r\n"
                     "Content-Length: 0\r\n\r\n".encode())
        received = b""
        while received.count(b"tick") < 2:
            chunk = sock.recv(4096)
            assert chunk, received
            received += chunk
        assert received.startswith(b"HTTP/1.1 200")
    gone = time.monotonic()
    deadline = gone + 1.0
    while not host_marker.exists():
        assert time.monotonic() < deadline, "the stream's generator was not closed within 1 s of the disconnect"
        time.sleep(0.02)
