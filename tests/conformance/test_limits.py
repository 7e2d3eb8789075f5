"""CONTRACT §5: 413 for bodies over the limit (by Content-Length and as they stream in), §1 defaults."""

from __future__ import annotations

import os
import time

import pytest

from harness import raw_exchange
from support import TEXT_PLAIN, TIMEOUT_BODY, assert_error, calls

LIMIT = 1000
SMALL = {"FUNC_MEMFILE_MAX": str(LIMIT)}
TOO_LARGE = f"Request body too large: the limit is {LIMIT} bytes"


def status_and_body(raw: bytes) -> tuple[int, bytes, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), head, body


def test_body_at_the_limit_passes(serve):
    server = serve("basic", "echo", env=SMALL, shared=True)
    assert server.post("/", content=os.urandom(LIMIT)).status_code == 200


def test_content_length_over_the_limit(serve):
    server = serve("basic", "echo", env=SMALL, shared=True)
    before = calls(server, "POST")
    response = server.post("/", content=os.urandom(LIMIT + 1))
    assert_error(response, 413, body=TOO_LARGE)
    assert calls(server, "POST") == before


def test_chunked_body_over_the_limit(serve):
    """httpx sends a generator body with Transfer-Encoding: chunked (no Content-Length)."""
    server = serve("basic", "echo", env=SMALL, shared=True)
    before = calls(server, "POST")

    def body():
        for _ in range(8):
            yield os.urandom(300)

    response = server.post("/", content=body())
    assert_error(response, 413, body=TOO_LARGE)
    assert calls(server, "POST") == before


def test_chunked_body_under_the_limit_passes(serve):
    server = serve("basic", "echo", env=SMALL, shared=True)

    def body():
        yield b"a" * 300
        yield b"b" * 300

    response = server.post("/", content=body(), headers={"Content-Type": "text/plain"})
    assert response.status_code == 200


def test_endless_chunked_body_is_refused_before_it_ends(serve):
    """The runtime answers 413 and closes while the client is still sending: it never reads it whole."""
    server = serve("basic", "echo", env=SMALL, shared=True)
    before = calls(server, "POST")
    head = (b"POST /endless HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"200\r\n" + b"x" * 0x200 + b"\r\n"
    received, closed = raw_exchange(server.port, head, [chunk] * 400, chunk_pause=0.01, timeout=8)
    assert received, "no answer while the body was streaming in"
    status, _, body = status_and_body(received)
    assert status == 413
    assert TOO_LARGE.encode() in body
    assert closed, "connection left open after the 413"
    assert calls(server, "POST") == before


def claimed_length(server, length: int) -> tuple[int, bytes, bool]:
    """Announce `length` bytes and send none: the runtime must answer from Content-Length alone."""
    head = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()
    received, closed = raw_exchange(server.port, head, timeout=5)
    assert received, "no answer to a Content-Length over the limit"
    status, head, body = status_and_body(received)
    assert f"content-type: {TEXT_PLAIN}".encode() in head.lower()
    return status, body, closed


@pytest.mark.only("python")
def test_python_default_limit_is_100_mib(serve):
    server = serve("basic", "echo", shared=True)
    status, body, closed = claimed_length(server, 104_857_601)
    assert (status, body.strip()) == (413, b"Request body too large: the limit is 104857600 bytes")
    assert closed


@pytest.mark.only("nodejs")
def test_nodejs_default_limit_is_1_mb(serve):
    server = serve("basic", "echo", shared=True)
    status, body, closed = claimed_length(server, 1_000_001)
    assert (status, body.strip()) == (413, b"Request body too large: the limit is 1000000 bytes")
    assert closed
    assert server.post("/", content=os.urandom(1_000_000)).status_code == 200


def test_req_mb_limit(serve):
    server = serve("basic", "echo", env={"REQ_MB_LIMIT": "1"})
    status, body, _ = claimed_length(server, 1_000_001)
    assert (status, body.strip()) == (413, b"Request body too large: the limit is 1000000 bytes")


def test_func_memfile_max_wins_over_req_mb_limit(serve):
    server = serve("basic", "echo", env={"REQ_MB_LIMIT": "1", "FUNC_MEMFILE_MAX": "5000"})
    status, body, _ = claimed_length(server, 5001)
    assert (status, body.strip()) == (413, b"Request body too large: the limit is 5000 bytes")
    assert server.post("/", content=b"x" * 5000).status_code == 200


# -- receiving bounds: shared decisions 7, 8, 9 ------------------------------------------------------

def answer_of(received: bytes) -> tuple[int, bytes, bytes]:
    assert received, "no answer"
    return status_and_body(received)


def test_headers_over_the_default_limit_are_431(serve):
    server = serve("basic", "echo", shared=True)
    before = calls(server, "GET")
    head = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n"
    received, closed = raw_exchange(server.port, head, timeout=5)
    status, head_out, body = answer_of(received)
    assert (status, body.strip()) == (431, b"Request Header Fields Too Large: the limit is 65536 bytes")
    assert f"content-type: {TEXT_PLAIN}".encode() in head_out.lower()
    assert closed, "connection left open after the 431"
    assert calls(server, "GET") == before


def test_header_limit_is_configurable_and_counts_while_headers_stream_in(serve):
    server = serve("basic", "echo", env={"FUNC_MAX_HEADER_SIZE": "2048"}, shared=True)
    assert server.get("/", headers={"X-Fits": "f" * 1500}).status_code == 200
    # The head never ends: the runtime must answer before buffering it all.
    head = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Endless: "
    received, closed = raw_exchange(server.port, head, [b"e" * 1000] * 50, chunk_pause=0.02, timeout=8)
    status, _, body = answer_of(received)
    assert (status, body.strip()) == (431, b"Request Header Fields Too Large: the limit is 2048 bytes")
    assert closed


def test_headers_that_do_not_arrive_in_time_are_408(serve):
    server = serve("basic", "echo", env={"FUNC_HEADER_TIMEOUT": "1"}, shared=True)
    started = time.monotonic()
    received, closed = raw_exchange(server.port, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ", timeout=6)
    elapsed = time.monotonic() - started
    status, _, body = answer_of(received)
    assert (status, body.strip()) == (408, b"Request Timeout: the request headers did not arrive within 1 s")
    assert closed
    assert 0.9 <= elapsed <= 3.0, elapsed
    # A connection that sends nothing at all is answered the same way.
    received, closed = raw_exchange(server.port, b"", timeout=6)
    assert answer_of(received)[0] == 408 and closed
    # The limit is on the headers only: a slow function on a complete request is not cut by it.
    assert server.get("/").status_code == 200


def test_a_body_still_arriving_at_the_deadline_is_408(serve):
    """The body's arrival counts toward FUNC_TIMEOUT: 408, closed, function not called, logged."""
    server = serve("basic", "echo", env={"FUNC_TIMEOUT": "1"})
    before = calls(server, "POST")
    started = time.monotonic()
    head = (b"POST /trickle HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Length: 10\r\n\r\nabc")
    received, closed = raw_exchange(server.port, head, timeout=8)
    elapsed = time.monotonic() - started
    status, _, body = answer_of(received)
    assert (status, body.strip()) == (408, TIMEOUT_BODY.encode())
    assert closed
    assert 0.9 <= elapsed <= 3.0, elapsed
    assert calls(server, "POST") == before
    server.wait_for_output(r'"POST /trickle HTTP/1\.1" 408 ')


def test_an_unknown_method_is_501_and_logged(serve):
    server = serve("basic", "echo", shared=True)
    received, closed = raw_exchange(server.port, b"FOO /custom HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", timeout=5)
    status, _, body = answer_of(received)
    assert (status, body.strip()) == (501, b"Not Implemented: unknown method")
    server.wait_for_output(r'"FOO /custom HTTP/1\.1" 501 ')


@pytest.mark.parametrize("method", ["PROPFIND", "PURGE", "REPORT", "MKCOL", "LINK"])
def test_every_method_the_parser_knows_reaches_the_function(serve, method):
    server = serve("basic", "echo", shared=True)
    response = server.request(method, "/m")
    assert response.status_code == 200, response.text
    assert response.json()["method"] == method
