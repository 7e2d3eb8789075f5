"""The HTTP edge the function never sees (shared decisions 7, 8, 9; CONTRACT §2, §5): header size
and time limits, unknown methods, `Expect: 100-continue` over the body limit, a body that trickles
in past the deadline, `HEAD` on the probes."""

from __future__ import annotations

import socket
import time

import pytest

from support import ACCESS_LINE, TEXT_PLAIN, TIMEOUT_BODY, calls, eventually

LIMIT = 2048
HEADER_ENV = {"FUNC_MAX_HEADER_SIZE": str(LIMIT), "FUNC_HEADER_TIMEOUT": "1"}


def exchange(port: int, data: bytes, pause_after: float = 0.0, more: bytes = b"",
             timeout: float = 5.0) -> tuple[bytes, bool, float]:
    """Send `data` (then `more` after `pause_after` s); read until the server closes or `timeout`.
    Returns (bytes received, whether the server closed, seconds until the first byte or the end)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        start = time.monotonic()
        if data:
            sock.sendall(data)
        if more:
            time.sleep(pause_after)
            try:
                sock.sendall(more)
            except OSError:
                pass
        received = b""
        first = None
        deadline = start + timeout
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                return received, False, (first or time.monotonic()) - start
            except ConnectionResetError:
                return received, True, (first or time.monotonic()) - start
            if not chunk:
                return received, True, (first or time.monotonic()) - start
            if first is None:
                first = time.monotonic()
            received += chunk
        return received, False, (first or time.monotonic()) - start


def parse(received: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split(" ")[1]), headers, body


def head_of_size(total: int, headers: int = 0) -> bytes:
    """A GET whose request line and header lines (CRLFs included, the blank line not) are `total` bytes."""
    start = b"GET /sized HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(headers)) + b"X-Pad: "
    pad = total - len(start) - 2
    assert pad >= 0
    return start + b"a" * pad + b"\r\n\r\n"


@pytest.mark.parametrize("headers", [0, 100], ids=["one-long-header", "many-short-headers"])
def test_header_size_limit_counts_request_line_and_headers(serve, headers):
    server = serve("basic", "echo", env=HEADER_ENV, shared=True)
    received, _, _ = exchange(server.port, head_of_size(LIMIT, headers), timeout=5)
    assert parse(received)[0] == 200, received[:200]
    received, closed, _ = exchange(server.port, head_of_size(LIMIT + 1, headers), timeout=5)
    status, fields, body = parse(received)
    assert status == 431
    assert fields["content-type"].lower().replace(" ", "") == TEXT_PLAIN.replace(" ", "")
    assert body.decode().strip() == f"Request Header Fields Too Large: the limit is {LIMIT} bytes"
    assert closed


def test_a_20_kb_header_is_431_by_default_limit_too(serve):
    server = serve("basic", "echo", env={"FUNC_MAX_HEADER_SIZE": "16384"}, shared=True)
    response = server.get("/", headers={"X-Big": "a" * 20_000})
    assert response.status_code == 431
    assert response.text.strip() == "Request Header Fields Too Large: the limit is 16384 bytes"


def test_headers_that_never_complete_are_answered_408_and_closed(serve):
    server = serve("basic", "echo", env=HEADER_ENV, shared=True)
    received, closed, elapsed = exchange(server.port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ", timeout=6)
    assert closed, "connection held open"
    assert elapsed < 1 + 2.0, f"closed after {elapsed:.2f} s with FUNC_HEADER_TIMEOUT=1"
    status, _, body = parse(received)
    assert status == 408
    assert body.decode().strip() == "Request Timeout: the request headers did not arrive within 1 s"


def test_a_silent_connection_is_closed_after_the_header_timeout(serve):
    server = serve("basic", "echo", env=HEADER_ENV, shared=True)
    _, closed, elapsed = exchange(server.port, b"", timeout=6)
    assert closed and elapsed < 1 + 2.0, f"closed={closed} after {elapsed:.2f} s"


def test_unknown_method_is_501_and_logged(serve):
    server = serve("basic", "echo", shared=True)
    before = calls(server, "FOO")
    received, closed, _ = exchange(server.port, b"FOO /unknown-method HTTP/1.1\r\nHost: x\r\n\r\n")
    status, _, body = parse(received)
    assert (status, body.decode().strip()) == (501, "Not Implemented: unknown method")
    assert closed
    eventually(lambda: _logged(server, "FOO /unknown-method", 501))
    assert calls(server, "FOO") == before


def test_connect_is_501_and_logged(serve):
    server = serve("basic", "echo", shared=True)
    received, closed, _ = exchange(server.port, b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
    status, _, body = parse(received)
    assert (status, body.decode().strip()) == (501, "Not Implemented: CONNECT is not supported")
    assert closed
    eventually(lambda: _logged(server, "CONNECT example.com:443", 501))


def _logged(server, request: str, status: int) -> None:
    lines = [m for m in ACCESS_LINE.finditer(server.stdout()) if m["request"].startswith(request)]
    assert lines and int(lines[-1]["status"]) == status, server.stdout()[-2000:]


def test_expect_100_continue_over_the_limit_is_refused_before_the_upload(serve):
    server = serve("basic", "echo", env={"FUNC_MEMFILE_MAX": "1000"}, shared=True)
    received, closed, _ = exchange(server.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
                                                b"Content-Type: application/octet-stream\r\nExpect: 100-continue\r\n\r\n")
    assert not received.startswith(b"HTTP/1.1 100"), received[:100]
    status, _, body = parse(received)
    assert (status, body.decode().strip()) == (413, "Request body too large: the limit is 1000 bytes")
    assert closed


def test_expect_100_continue_within_the_limit_continues(serve):
    server = serve("basic", "echo", env={"FUNC_MEMFILE_MAX": "1000"}, shared=True)
    received, _, _ = exchange(server.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n"
                                           b"Content-Type: text/plain\r\nExpect: 100-continue\r\n\r\n",
                              pause_after=0.3, more=b"hello")
    assert received.startswith(b"HTTP/1.1 100"), received[:100]
    final = received[received.index(b"\r\n\r\n") + 4:]
    assert parse(final)[0] == 200


def test_a_body_still_arriving_at_the_deadline_is_408(serve):
    """Decision 8: the body counts toward the deadline; the function is not called."""
    server = serve("basic", "echo", env={"FUNC_TIMEOUT": "1"}, shared=True)
    before = calls(server, "POST")
    start = time.monotonic()
    received, closed, _ = exchange(server.port, b"POST /trickle HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n"
                                                b"Content-Type: text/plain\r\n\r\nab", timeout=5)
    elapsed = time.monotonic() - start
    status, _, body = parse(received)
    assert (status, body.decode().strip()) == (408, TIMEOUT_BODY)
    assert closed
    assert elapsed < 1 + 0.8, f"408 after {elapsed:.2f} s"
    eventually(lambda: _logged(server, "POST /trickle", 408))
    assert calls(server, "POST") == before


def test_head_healthz_has_a_content_length(serve):
    server = serve("basic", "echo", shared=True)
    response = server.request("HEAD", "/healthz")
    assert response.status_code == 200
    assert response.headers["content-length"] == "2"
