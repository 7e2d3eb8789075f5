"""Node.js `worker` isolation (CONTRACT §5 "Timeouts", shared decision 6): what a worker that is
replaced or dies may lose is small and visible. Every case sets FUNC_ISOLATION=worker itself."""

from __future__ import annotations

import asyncio
import socket
import time

import httpx
import pytest

from support import TIMEOUT_BODY, eventually, metrics, sample

pytestmark = pytest.mark.only("nodejs")

WORKER = {"FUNC_ISOLATION": "worker"}


async def _post_all(url: str, headers_list: list[tuple[float, dict]]) -> list:
    """POST each `(delay, headers)` on its own connection, `delay` s after the start."""
    limits = httpx.Limits(max_connections=len(headers_list) + 2)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        async def one(delay: float, headers: dict):
            await asyncio.sleep(delay)
            try:
                return await client.post(url, headers=headers)
            except httpx.HTTPError as exc:
                return exc

        return list(await asyncio.gather(*(one(d, h) for d, h in headers_list)))


def test_calls_lost_with_a_dying_worker_are_logged_and_counted(serve):
    server = serve("faults", "dispatch", env=WORKER)
    sleepers = [{"x-case": "sleep", "x-seconds": "3", "event-id": f"lost-sleeper-{i}"} for i in range(4)]
    dying = {"x-case": "exit", "event-id": "lost-exit"}
    results = asyncio.run(_post_all(server.url + "/", [(0, h) for h in sleepers] + [(0.4, dying)]))
    assert not any(getattr(r, "status_code", None) == 200 for r in results), results
    for headers in [*sleepers, dying]:
        server.wait_for_output(rf"^error: event-id={headers['event-id']}: the call was lost: "
                               r"its worker died \(exited with code 3\)$", "stderr")

    def counted() -> None:
        assert sample(_metrics(server), "function_failures_total", method="POST") >= 5

    eventually(counted, timeout=8)
    eventually(lambda: _answers_ok(server), timeout=8)


def _metrics(server) -> dict:
    """`metrics()`, a connection refused while the worker restarts being a retry."""
    try:
        return metrics(server)
    except httpx.HTTPError as exc:
        raise AssertionError(exc) from None


def _answers_ok(server) -> None:
    try:
        assert server.post("/", headers={"x-case": "ok"}).text == "ok"
    except httpx.HTTPError as exc:
        raise AssertionError(exc) from None


def test_a_sync_loop_timeout_is_counted_across_the_replacement(serve):
    server = serve("faults", "dispatch", env={**WORKER, "FUNC_TIMEOUT": "1"})
    for _ in range(3):
        assert server.post("/", headers={"x-case": "ok"}).text == "ok"
    before = metrics(server)
    with httpx.Client(timeout=10) as client:
        response = client.post(server.url + "/", headers={"x-case": "spin", "event-id": "evt-spin"})
    assert response.status_code == 408 and response.text == TIMEOUT_BODY
    server.wait_for_output(r"^error: event-id=evt-spin: the call is still running synchronous code", "stderr")

    def counted() -> None:
        after = _metrics(server)
        assert sample(after, "function_timeouts_total", method="POST") == \
            sample(before, "function_timeouts_total", method="POST") + 1
        assert sample(after, "function_calls_total", method="POST") >= \
            sample(before, "function_calls_total", method="POST") + 1
        assert sample(after, "function_failures_total", method="POST") >= 1

    eventually(counted, timeout=8)

    def logged() -> None:  # by the watchdog thread, which wrote the 408
        assert '"POST / HTTP/1.1" 408 37 ' in server.stdout(), server.stdout()[-1000:]

    eventually(logged)


def test_cpu_after_an_await_within_its_deadline_does_not_replace_the_worker(serve):
    """Another call's deadline passing while this one computes is no reason to replace the worker."""
    server = serve("faults", "dispatch", env={**WORKER, "FUNC_TIMEOUT": "2"})
    pid_before = server.post("/", headers={"x-case": "ok"}) and server.pids()
    results = asyncio.run(_post_all(server.url + "/", [
        (0, {"x-case": "sleep", "x-seconds": "5"}),
        (0.9, {"x-case": "late_cpu", "x-seconds": "1.4"}),
    ]))
    sleeper, worker = results
    assert getattr(worker, "status_code", None) == 200 and worker.text == "ran", worker
    assert sleeper.status_code == 408
    assert "replacing worker" not in server.stderr()
    assert server.pids() == pid_before


def test_the_watchdog_never_answers_the_wrong_request_on_a_pipelined_connection(serve):
    server = serve("faults", "dispatch", env={**WORKER, "FUNC_TIMEOUT": "1"})
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST /slow HTTP/1.1\r\nHost: x\r\nx-case: sleep\r\nx-seconds: 0.5\r\nContent-Length: 0\r\n\r\n"
                     b"POST /spin HTTP/1.1\r\nHost: x\r\nx-case: spin\r\nContent-Length: 0\r\n\r\n")
        received = b""
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            received += chunk
    # The first answer on the connection belongs to /slow: never the 408 meant for /spin.
    assert not received.startswith(b"HTTP/1.1 408"), received[:200]
