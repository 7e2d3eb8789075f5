"""Python without uvloop and httptools (issue 9): the runtime serves with asyncio and h11, the same.

uvloop and httptools are compiled; an interpreter or platform with no wheel for them gets an image
without them. The runtime then falls back to asyncio's event loop and h11 (runtimes/python/README.md)
and says so in one line at start-up. Here they are made unimportable the way they are when absent:
a `sitecustomize.py` on PYTHONPATH puts `None` in `sys.modules` for them, so `import` raises
ImportError. Every case runs in `call` and `worker` isolation (only the one `--isolation` names,
when it is given). The malformed-request cases run on the fast stack too: both answer alike.
"""

from __future__ import annotations

import importlib.util
import re
import time
from pathlib import Path

import pytest

from harness import REPO_DIR, raw_exchange
from support import TEXT_PLAIN, TIMEOUT_BODY, assert_error, calls, eventually, metrics, sample

pytestmark = [pytest.mark.cli_only, pytest.mark.only("python")]

HELLO = REPO_DIR / "runtimes" / "shared" / "examples" / "hello.py"
FALLBACK_LINE = ("kubeless-runtime: uvloop and httptools are not installed (no wheel for this interpreter or "
                 "platform): serving with asyncio and h11 instead, at about 40 % of the throughput")
LIMITS = {"FUNC_MAX_HEADER_SIZE": "2048", "FUNC_HEADER_TIMEOUT": "1"}
CORS = b"access-control-allow-origin: *"
HOST = b"Host: 127.0.0.1\r\n"
FAST_INSTALLED = all(importlib.util.find_spec(name) for name in ("uvloop", "httptools"))


@pytest.fixture(scope="session")
def without_fast(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A folder for PYTHONPATH whose sitecustomize makes uvloop and httptools unimportable."""
    folder = tmp_path_factory.mktemp("no-uvloop-httptools")
    (folder / "sitecustomize.py").write_text(
        "import sys\n"
        "# As if they had no wheel here: `import uvloop` raises ImportError (ModuleNotFoundError).\n"
        "sys.modules['uvloop'] = None\n"
        "sys.modules['httptools'] = None\n"
    )
    return str(folder)


@pytest.fixture(params=["call", "worker"])
def isolation_mode(request: pytest.FixtureRequest, isolation: str | None) -> str:
    if isolation is not None and isolation != request.param:
        pytest.skip(f"--isolation {isolation}")
    return request.param


@pytest.fixture
def start(serve, without_fast, isolation_mode):
    """`start(module, function, stack="fallback", **settings)`: a shared server on that stack."""

    def factory(module: str, function: str, stack: str = "fallback", from_file: Path | None = None, **env: str):
        env = {"FUNC_ISOLATION": isolation_mode, **env}
        if stack == "fallback":
            env["PYTHONPATH"] = without_fast
        elif not FAST_INSTALLED:
            pytest.skip("uvloop and httptools are not installed in this venv")
        return serve(module, function, env=env, from_file=from_file, shared=True)

    return factory


def answer_of(received: bytes) -> tuple[int, bytes, bytes]:
    assert received, "no answer"
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), head.lower(), body


# -- serving ---------------------------------------------------------------------------------------

def test_the_fallback_is_said_in_one_line_at_start_up(start):
    server = start("hello", "main", from_file=HELLO)
    lines = server.stderr().splitlines()
    assert lines.count(FALLBACK_LINE) == 1, server.stderr()
    serving = next(i for i, line in enumerate(lines) if line.startswith("kubeless-runtime: serving "))
    assert lines.index(FALLBACK_LINE) == serving - 1  # just before the "serving" line


@pytest.mark.skipif(not FAST_INSTALLED, reason="uvloop and httptools are not installed in this venv")
def test_nothing_is_said_when_uvloop_and_httptools_are_there(start):
    server = start("hello", "main", stack="fast", from_file=HELLO)
    assert "not installed" not in server.stderr(), server.stderr()


def test_hello(start):
    server = start("hello", "main", from_file=HELLO)
    response = server.post("/", json={"name": "Ada"})
    assert (response.status_code, response.text) == (200, "hello Ada")
    assert response.headers["access-control-allow-origin"] == "*"


def test_json_echo_and_the_metrics_count_the_calls(start):
    server = start("basic", "echo", **LIMITS)
    before = calls(server, "POST")
    for n in range(3):
        response = server.post("/path?q=1", json={"n": n, "text": "é"})
        assert response.status_code == 200, response.text
        got = response.json()
        assert (got["data_type"], got["data"]) == ("dict", {"n": n, "text": "é"})
        assert (got["method"], got["path"], got["query"]) == ("POST", "/path", "q=1")
    eventually(lambda: _assert_equal(calls(server, "POST"), before + 3))
    server.wait_for_output(r'"POST /path\?q=1 HTTP/1\.1" 200 ')


def _assert_equal(got: float, want: float) -> None:
    assert got == want, (got, want)


@pytest.mark.parametrize("function, case", [("sync_dispatch", "spin"), ("async_dispatch", "sleep")])
def test_the_function_timeout_is_408(start, function, case):
    server = start("timeouts", function, FUNC_TIMEOUT="1")
    before = sample(metrics(server), "function_timeouts_total", method="POST")
    started = time.monotonic()
    response = server.post("/", headers={"x-case": case, "x-seconds": "5", "x-token": f"fallback-{case}"})
    elapsed = time.monotonic() - started
    assert_error(response, 408, body=TIMEOUT_BODY)
    assert 0.9 <= elapsed <= 3.0, elapsed
    eventually(lambda: _assert_equal(sample(metrics(server), "function_timeouts_total", method="POST"), before + 1))


# -- receiving bounds (protocol_h11.py) ------------------------------------------------------------

def test_headers_over_the_limit_are_431(start):
    server = start("basic", "echo", **LIMITS)
    before, mark = calls(server, "GET"), len(server.stdout())
    assert server.get("/", headers={"X-Fits": "f" * 1500}).status_code == 200
    whole = b"GET / HTTP/1.1\r\n" + HOST + b"X-Big: " + b"a" * 3000 + b"\r\n\r\n"
    # ... and one that never ends, which must be answered before it is read whole.
    endless = (b"GET / HTTP/1.1\r\n" + HOST + b"X-Endless: ", [b"e" * 1000] * 50)
    for head, chunks in ((whole, []), endless):
        received, closed = raw_exchange(server.port, head, chunks, chunk_pause=0.02, timeout=8)
        status, head_out, body = answer_of(received)
        assert (status, body) == (431, b"Request Header Fields Too Large: the limit is 2048 bytes")
        assert f"content-type: {TEXT_PLAIN}".encode() in head_out and CORS in head_out
        assert closed, "connection left open after the 431"
    server.wait_for_output(r'"-" 431 (?s:.*)"-" 431 ', since=mark)
    eventually(lambda: _assert_equal(calls(server, "GET"), before + 1))  # the 431s are not calls


def test_headers_that_never_complete_are_408(start):
    server = start("basic", "echo", **LIMITS)
    mark = len(server.stdout())
    for head in (b"GET / HTTP/1.1\r\n" + HOST + b"X-Half: ", b""):
        started = time.monotonic()
        received, closed = raw_exchange(server.port, head, timeout=6)
        elapsed = time.monotonic() - started
        status, head_out, body = answer_of(received)
        assert (status, body) == (408, b"Request Timeout: the request headers did not arrive within 1 s")
        assert CORS in head_out and closed
        assert 0.9 <= elapsed <= 3.0, elapsed
    server.wait_for_output(r'"-" 408 (?s:.*)"-" 408 ', since=mark)
    assert server.get("/").status_code == 200  # the bound is on the headers only


@pytest.mark.parametrize("stack", ["fallback", "fast"])
@pytest.mark.parametrize("request_line, body", [
    (b"FOO /custom HTTP/1.1", b"Not Implemented: unknown method"),
    (b"CONNECT example.com:443 HTTP/1.1", b"Not Implemented: CONNECT is not supported"),
])
def test_a_method_the_runtime_does_not_serve_is_501(start, stack, request_line, body):
    server = start("basic", "echo", stack, **LIMITS)
    mark = len(server.stdout())
    received, closed = raw_exchange(server.port, request_line + b"\r\n" + HOST + b"\r\n", timeout=5)
    status, head_out, got = answer_of(received)
    assert (status, got) == (501, body)
    assert CORS in head_out and closed
    server.wait_for_output(f'"{re.escape(request_line.decode())}" 501 ', since=mark)


def test_every_method_llhttp_knows_reaches_the_function(start):
    server = start("basic", "echo", **LIMITS)
    for method in ("PROPFIND", "PURGE", "REPORT", "MKCOL", "LINK", "QUERY", "M-SEARCH"):
        response = server.request(method, "/m")
        assert response.status_code == 200, (method, response.text)
        assert response.json()["method"] == method


@pytest.mark.parametrize("stack", ["fallback", "fast"])
@pytest.mark.parametrize("raw", [
    b"GET / HTTP/1.1\r\n" + HOST + b"Bad Header\r\n\r\n",
    b"GET /a b HTTP/1.1\r\n" + HOST + b"\r\n",
    b"POST / HTTP/1.1\r\n" + HOST + b"Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"DESCRIBE /rtsp HTTP/1.1\r\n" + HOST + b"\r\n",
], ids=["header", "target", "length-and-chunked", "rtsp-method"])
def test_a_malformed_request_is_400(start, stack, raw):
    server = start("basic", "echo", stack, **LIMITS)
    mark = len(server.stdout())
    received, closed = raw_exchange(server.port, raw, timeout=5)
    status, head_out, body = answer_of(received)
    assert (status, body) == (400, b"Invalid HTTP request received.")
    assert f"content-type: {TEXT_PLAIN}".encode() in head_out and CORS in head_out
    assert closed
    server.wait_for_output(r'"-" 400 ', since=mark)
