"""CONTRACT §5 "call" isolation, shared decisions 3–5: a call that ends its executor (exit, abort,
an error thrown from its own timer, a synchronous loop past the deadline) costs that call only.
Calls in flight complete, idle keep-alive connections stay open and usable, the executor is
replaced, and the runtime keeps serving however often it happens.

Every case sets FUNC_ISOLATION=call itself. FUNC_EXECUTORS_MIN starts enough executors with the
runtime for the calls in flight, so that no call waits for a process to start (a Node.js
executor is a fresh process: ~0.1 CPU-s on this kind of machine) and the timings below hold.
"""

from __future__ import annotations

import asyncio
import http.client
import re
import signal
import time
import uuid

import httpx
import pytest

from harness import cpu_used_between
from support import TIMEOUT_BODY, assert_error, eventually, metrics, sample

TIMEOUT = 2.5
ENV = {"FUNC_ISOLATION": "call", "FUNC_TIMEOUT": str(TIMEOUT), "FUNC_EXECUTORS_MIN": "12"}

# How each crash is logged after `error: event-id=ID: `; None: a timeout, answered 408.
CRASHES = {
    "exit": r"the call's executor died \(exited with code 1\)$",
    "abort": r"the call's executor died \(killed by signal SIGABRT\)$",
    "timer": r"the call's executor died \(exited with code 1\)$",
    "spin": None,
}


def keep_alive_connections(server, count: int) -> list[tuple[http.client.HTTPConnection, object]]:
    """`count` connections that each served one call and now sit idle, with their sockets."""
    connections = []
    for _ in range(count):
        conn = http.client.HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]), timeout=10)
        conn.request("POST", "/", headers={"x-case": "ok"})
        response = conn.getresponse()
        assert (response.status, response.read()) == (200, b"ok")
        connections.append((conn, conn.sock))
    return connections


async def crash_among_calls(url: str, crash: dict, in_flight: int) -> tuple[list, object, float]:
    """`in_flight` sleeping calls, and 0.3 s later the crash: their results, its result, its time."""
    limits = httpx.Limits(max_connections=in_flight + 2)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        async def one(headers: dict):
            try:
                return await client.post(url, headers=headers)
            except httpx.HTTPError as exc:
                return exc

        async def crashing():
            await asyncio.sleep(0.3)
            start = time.monotonic()
            result = await one(crash)
            return result, time.monotonic() - start

        sleepers = [one({"x-case": "sleep", "x-seconds": "1"}) for _ in range(in_flight)]
        *others, (crashed, elapsed) = await asyncio.gather(*sleepers, crashing())
        return others, crashed, elapsed


@pytest.mark.parametrize("kind", sorted(CRASHES))
def test_a_crash_costs_only_its_call_not_calls_in_flight_nor_idle_connections(serve, kind):
    server = serve("callcrash", "dispatch", env=ENV)
    idle = keep_alive_connections(server, 5)
    event_id = f"callcrash-{kind}-{uuid.uuid4().hex[:8]}"
    others, crashed, elapsed = asyncio.run(
        crash_among_calls(server.url + "/", {"x-case": kind, "event-id": event_id}, in_flight=10))

    assert [getattr(r, "status_code", r) for r in others] == [200] * 10, others
    assert [r.text for r in others] == ["slept"] * 10
    if CRASHES[kind] is None:
        assert_error(crashed, 408, body=TIMEOUT_BODY)
        assert TIMEOUT - 0.05 <= elapsed <= TIMEOUT + 0.6, f"408 after {elapsed:.2f} s"
    else:
        assert_error(crashed, 500, body=f"Internal Server Error (event-id: {event_id})")
        server.wait_for_output(rf"^error: event-id={re.escape(event_id)}: {CRASHES[kind]}", stream="stderr")

    # The idle keep-alive connections were not touched: each serves another call, on its socket.
    for conn, sock in idle:
        conn.request("POST", "/", headers={"x-case": "ok"})
        response = conn.getresponse()
        assert (response.status, response.read()) == (200, b"ok")
        assert conn.sock is sock, "the connection was closed and opened again"
        conn.close()

    samples = eventually(lambda: _counted(server, failures=1))
    assert sample(samples, "function_calls_total", method="POST") == 5 + 10 + 1 + 5
    assert sample(samples, "function_timeouts_total", method="POST") == (1 if kind == "spin" else 0)


def _counted(server, failures: int) -> dict:
    samples = metrics(server)
    assert sample(samples, "function_failures_total", method="POST") == failures
    return samples


def test_the_deadline_answers_408_on_time_and_replaces_the_executor(serve):
    server = serve("callcrash", "dispatch",
                   env={"FUNC_ISOLATION": "call", "FUNC_TIMEOUT": "1", "FUNC_CONCURRENCY": "1"})
    before = server.post("/", headers={"x-case": "pid"}).json()
    start = time.monotonic()
    with httpx.Client(timeout=30) as client:
        response = client.post(server.url + "/", headers={"x-case": "spin"})
    elapsed = time.monotonic() - start
    assert_error(response, 408, body=TIMEOUT_BODY)
    assert 0.95 <= elapsed <= 1.6, f"408 after {elapsed:.2f} s"
    # The loop was killed with its executor: no CPU is spent on it any more.
    time.sleep(0.5)
    cpu = server.cpu_seconds()
    time.sleep(1.0)
    used = cpu_used_between(cpu, server.cpu_seconds())
    assert used < 0.3, f"runtime used {used:.2f} CPU-s in the second after the 408: the loop still runs"
    after = server.post("/", headers={"x-case": "pid"}).json()
    assert after["pid"] != before["pid"], "the executor that ran the loop was replaced"
    assert after["calls"] == 1, "the replacement starts from the module as loaded"
    samples = metrics(server)
    assert sample(samples, "function_timeouts_total", method="POST") == 1
    assert sample(samples, "function_failures_total", method="POST") == 1


def test_the_runtime_survives_crashes_one_after_another(serve):
    server = serve("callcrash", "dispatch", env={"FUNC_ISOLATION": "call"})
    kinds = ["exit", "abort", "timer"] * 3
    for kind in kinds:
        event_id = f"again-{kind}-{uuid.uuid4().hex[:8]}"
        response = server.post("/", headers={"x-case": kind, "event-id": event_id})
        assert_error(response, 500, body=f"Internal Server Error (event-id: {event_id})")
    assert server.alive()
    assert server.post("/", headers={"x-case": "ok"}).text == "ok"
    samples = metrics(server)
    assert sample(samples, "function_failures_total", method="POST") == len(kinds)
    assert sample(samples, "function_calls_total", method="POST") == len(kinds) + 1
    assert len(re.findall(r"^error: event-id=again-.*: the call's executor died", server.stderr(), re.M)) == len(kinds)


def test_a_call_whose_client_went_away_still_ends_and_does_not_hold_up_the_shutdown(serve):
    server = serve("callcrash", "dispatch", env={"FUNC_ISOLATION": "call"})
    port = int(server.url.rsplit(":", 1)[1])
    for _ in range(3):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/", headers={"x-case": "sleep", "x-seconds": "0.5"})
        time.sleep(0.1)
        conn.close()  # the client gives up while the call runs

    def ended() -> dict:
        samples = metrics(server)
        assert sample(samples, "function_calls_in_flight") == 0
        assert sample(samples, "function_calls_total", method="POST") == 3
        return samples

    eventually(ended, timeout=5)
    assert server.post("/", headers={"x-case": "ok"}).text == "ok"
    start = time.monotonic()
    server.signal(signal.SIGTERM)
    assert server.wait(5) == 0
    assert time.monotonic() - start < 2.0, "the drain waited for calls that had ended"
