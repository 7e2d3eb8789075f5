"""CONTRACT §2 `/readyz`, §5 `FUNC_MAX_INFLIGHT` (429 back-pressure), §6 queue, rejection and start-up metrics."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest

import harness
from support import TEXT_PLAIN, assert_error, content_type, eventually, metrics, sample

AT_LIMIT = "Not Ready: at the in-flight limit (FUNC_MAX_INFLIGHT={})"
TOO_MANY = "Too Many Requests: the runtime is at its limit of {} calls in flight (FUNC_MAX_INFLIGHT)"


def hold(server, seconds: float, token: str, method: str = "GET") -> threading.Thread:
    """A call held open `seconds` in the background; its response lands in `thread.response`."""
    def run() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            thread.response = client.request(method, "/", headers={"x-token": token, "x-seconds": str(seconds)})

    thread = threading.Thread(target=run, daemon=True)
    thread.response = None
    thread.start()
    return thread


def readyz(server) -> httpx.Response:
    with httpx.Client(timeout=5) as client:  # a connection of its own, as a kubelet probe
        return client.get(server.url + "/readyz")


@pytest.mark.smoke
def test_readyz_answers_ok_when_ready(serve):
    server = serve("k8s", "hold", shared=True)
    response = server.get("/readyz")
    assert response.status_code == 200
    assert content_type(response) == TEXT_PLAIN
    assert response.text == "OK"
    assert server.get("/readyz?probe=kubelet").text == "OK"
    head = server.request("HEAD", "/readyz")
    assert head.status_code == 200 and head.headers["content-length"] == "2" and head.content == b""


def test_readyz_is_neither_logged_nor_counted(serve):
    server = serve("k8s", "hold", shared=True)
    before = sample(metrics(server), "function_calls_total", method="GET")
    mark = len(server.stdout())
    for _ in range(3):
        assert server.get("/readyz").status_code == 200
        assert server.request("HEAD", "/readyz").status_code == 200
    token = uuid.uuid4().hex
    assert server.get("/", headers={"x-token": token}).status_code == 200
    server.wait_for_output(rf'"GET / HTTP/1.1" 200 ', since=mark)  # lines are written in order
    assert "/readyz" not in server.stdout()[mark:]
    assert sample(metrics(server), "function_calls_total", method="GET") == before + 1


def test_post_readyz_reaches_the_function(serve):
    server = serve("k8s", "hold", shared=True)
    response = server.post("/readyz", headers={"x-token": "posted"})
    assert response.status_code == 200 and response.text == "done"


def test_calls_over_the_limit_are_refused_at_once(serve):
    server = serve("k8s", "hold", env={"FUNC_MAX_INFLIGHT": "2"})
    first, second = hold(server, 1.5, "first"), hold(server, 1.5, "second")

    def at_limit() -> None:
        response = readyz(server)
        assert response.status_code == 503, response.text
    eventually(at_limit, timeout=5)
    assert_error(readyz(server), 503, AT_LIMIT.format(2))
    assert server.get("/healthz").status_code == 200  # liveness is not readiness

    rejected_token = uuid.uuid4().hex
    started = time.monotonic()
    response = server.post("/", headers={"x-token": rejected_token, "x-seconds": "0"})
    assert time.monotonic() - started < 1.0  # at once, not after a call ended
    assert_error(response, 429, TOO_MANY.format(2))
    assert response.headers["retry-after"] == "1"

    first.join(10), second.join(10)
    assert first.response.status_code == 200 and second.response.status_code == 200
    eventually(lambda: _assert_status(readyz(server), 200))
    assert server.get("/", headers={"x-token": "after"}).text == "done"

    samples = metrics(server)
    assert sample(samples, "function_calls_rejected_total", method="POST") == 1
    assert sample(samples, "function_calls_total", method="GET") == 3
    assert sample(samples, "function_calls_total", method="POST") == 0
    assert sample(samples, "function_failures_total", method="POST") == 0
    server.wait_for_output(r'"POST / HTTP/1.1" 429 ')  # logged, with no error line
    assert f"ran {rejected_token}" not in server.stdout() + server.stderr()  # the function was not called
    assert "error:" not in server.stderr()


def _assert_status(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.text)


def test_a_refused_call_is_answered_before_its_body(serve):
    server = serve("k8s", "hold", env={"FUNC_MAX_INFLIGHT": "1"})
    holding = hold(server, 2, "holding")
    eventually(lambda: _assert_status(readyz(server), 503), timeout=5)
    head = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Length: 10000000\r\n\r\n")
    started = time.monotonic()
    received, closed = harness.raw_exchange(server.port, head, [b"x" * 65536] * 4, chunk_pause=0.5, timeout=5)
    assert received.startswith(b"HTTP/1.1 429 "), received[:200]
    assert time.monotonic() - started < 1.5  # before the body: only its first pieces were sent
    assert b"\r\nconnection: close\r\n" in received.lower() and closed
    holding.join(10)
    assert holding.response.status_code == 200


@pytest.mark.parametrize("value", ["0", ""])
def test_no_limit_by_default(serve, value):
    server = serve("k8s", "hold", env={"FUNC_MAX_INFLIGHT": value})
    threads = [hold(server, 0.5, f"t{i}") for i in range(4)]
    for thread in threads:
        thread.join(10)
    assert [t.response.status_code for t in threads] == [200] * 4
    assert sample(metrics(server), "function_calls_rejected_total", method="GET") == 0


@pytest.mark.parametrize("value", ["-1", "two", "1.5", "1000001"])
def test_an_invalid_limit_is_a_start_up_error(start_fails, value):
    result = start_fails("k8s", "hold", env={"FUNC_MAX_INFLIGHT": value})
    assert result.code == 2, result.stderr
    assert not result.listened
    lines = result.error_lines()
    assert len(lines) == 1 and "FUNC_MAX_INFLIGHT" in lines[0] and value in lines[0], result.stderr


@pytest.mark.cli_only
def test_the_limit_flag(serve):
    server = serve("k8s", "hold", args=["--max-inflight", "1"])
    holding = hold(server, 1, "holding")
    eventually(lambda: _assert_status(readyz(server), 503), timeout=5)
    assert_error(server.get("/", headers={"x-token": "over"}), 429, TOO_MANY.format(1))
    holding.join(10)


def test_queue_and_start_up_metrics(serve):
    server = serve("k8s", "hold")
    for _ in range(3):
        assert server.get("/", headers={"x-token": "q"}).status_code == 200
    samples = metrics(server)
    started = sum(value for (name, _), value in samples.items() if name == "function_calls_total")
    assert sample(samples, "function_queue_seconds_count") == started == 3
    assert 0 <= sample(samples, "function_queue_seconds_sum") < 3
    assert sample(samples, "function_queue_seconds_bucket", le="+Inf") == 3
    startup = sample(samples, "function_startup_seconds")
    assert 0 < startup < harness.READY_TIMEOUT, startup
    assert sample(metrics(server), "function_startup_seconds") == startup  # set once


def test_readiness_only_goes_from_starting_to_ready(serve):
    """A module that takes a second to load: /readyz may say "starting" (Node.js executors load it
    themselves), then OK for good; never OK before a call can run."""
    server = serve("k8s_slow", "hold")
    seen = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        response = readyz(server)
        seen.append((response.status_code, response.text))
        if response.status_code == 200:
            break
        time.sleep(0.02)
    assert seen[-1] == (200, "OK"), seen
    assert all(answer == (503, "Not Ready: starting") for answer in seen[:-1]), seen
    assert server.get("/", headers={"x-token": "first"}).text == "done"
    assert readyz(server).status_code == 200
