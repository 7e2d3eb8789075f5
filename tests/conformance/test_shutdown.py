"""CONTRACT §8: SIGTERM/SIGINT drain in-flight calls, refuse new connections, exit 0; grace bound."""

from __future__ import annotations

import signal
import subprocess
import threading
import time

import httpx
import pytest

from harness import port_open


def call_in_background(server, seconds: float) -> tuple[threading.Thread, list]:
    result: list = []

    def run() -> None:
        try:
            result.append(httpx.post(server.url + "/", headers={"x-seconds": str(seconds)}, timeout=30))
        except httpx.HTTPError as exc:
            result.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def refused_within(server, seconds: float) -> float:
    start = time.monotonic()
    while port_open(server.port, timeout=0.2):
        if time.monotonic() - start > seconds:
            raise AssertionError(f"still accepting connections {seconds} s after the signal")
        time.sleep(0.02)
    return time.monotonic() - start


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_drains_in_flight_calls(serve, sig):
    server = serve("shutdown", "slow")
    thread, result = call_in_background(server, 1.5)
    time.sleep(0.4)  # the call is running
    signalled = time.monotonic()
    server.signal(sig)
    refused_within(server, 0.5)
    thread.join(10)
    assert result and isinstance(result[0], httpx.Response), result
    assert (result[0].status_code, result[0].text) == (200, "done after 1.5")
    code = server.wait(5)
    assert code == 0
    assert time.monotonic() - signalled < 1.5 + 1.0


@pytest.mark.only("python")
def test_python_drain_of_a_def_call(serve):
    server = serve("shutdown", "slow_sync")
    thread, result = call_in_background(server, 1.5)
    time.sleep(0.4)
    server.signal(signal.SIGTERM)
    refused_within(server, 0.5)
    thread.join(10)
    assert (result[0].status_code, result[0].text) == (200, "done after 1.5")
    assert server.wait(5) == 0


def test_idle_runtime_exits_at_once(serve, mode):
    server = serve("shutdown", "slow")
    # `podman kill` and `podman run --rm` take their own time to pass the signal on and to return
    # (more while the other language's suite starts and removes containers side by side).
    podman = 1.0 if mode == "container" else 0.0
    # An idle keep-alive connection must not hold the exit up (it would until the drain's end).
    with httpx.Client(timeout=5) as client:
        assert client.post(server.url + "/", headers={"x-seconds": "0"}).status_code == 200
        start = time.monotonic()
        server.signal(signal.SIGTERM)
        assert server.wait(3 + podman) == 0
        assert time.monotonic() - start < 1.5 + podman


def test_grace_period_bounds_a_long_call(serve):
    server = serve("shutdown", "slow", env={"FUNC_GRACE_PERIOD": "1"})
    thread, result = call_in_background(server, 10)
    time.sleep(0.4)
    start = time.monotonic()
    server.signal(signal.SIGTERM)
    try:
        server.wait(1 + 2.0)
    except subprocess.TimeoutExpired:
        raise AssertionError("runtime still running 3 s after SIGTERM with FUNC_GRACE_PERIOD=1") from None
    assert time.monotonic() - start >= 0.8, "exited before the grace period (the call was not given its time)"
    thread.join(10)
    assert result and not (isinstance(result[0], httpx.Response) and result[0].status_code == 200)


def test_second_signal_exits_at_once(serve):
    """A second SIGTERM more than 1 s after the first ends the drain at once, exit 1 (decision 14)."""
    server = serve("shutdown", "slow", env={"FUNC_GRACE_PERIOD": "30"})
    thread, _ = call_in_background(server, 10)
    time.sleep(0.4)
    server.signal(signal.SIGTERM)
    time.sleep(1.3)
    assert server.alive(), "exited before its in-flight call ended"
    start = time.monotonic()
    server.signal(signal.SIGTERM)
    try:
        code = server.wait(1.5)
    except subprocess.TimeoutExpired:
        raise AssertionError("a second SIGTERM did not end the runtime at once") from None
    assert code == 1
    assert time.monotonic() - start < 1.5
    assert code == 1
    thread.join(10)


def test_second_sigterm_within_a_second_is_the_same_stop(serve):
    """Tooling signals the process and its group: a repeat within 1 s does not cut the drain."""
    server = serve("shutdown", "slow", env={"FUNC_GRACE_PERIOD": "30"})
    thread, result = call_in_background(server, 1.5)
    time.sleep(0.4)
    server.signal(signal.SIGTERM)
    time.sleep(0.2)
    server.signal(signal.SIGTERM)
    thread.join(10)
    assert result and isinstance(result[0], httpx.Response), result
    assert (result[0].status_code, result[0].text) == (200, "done after 1.5")
    assert server.wait(5) == 0


def test_sigint_twice_ends_the_drain_at_once(serve):
    """Ctrl-C twice, however quickly: exit 1 at once."""
    server = serve("shutdown", "slow", env={"FUNC_GRACE_PERIOD": "30"})
    thread, _ = call_in_background(server, 10)
    time.sleep(0.4)
    server.signal(signal.SIGINT)
    time.sleep(0.2)
    start = time.monotonic()
    server.signal(signal.SIGINT)
    try:
        code = server.wait(1.5)
    except subprocess.TimeoutExpired:
        raise AssertionError("a second SIGINT did not end the runtime at once") from None
    assert code == 1
    assert time.monotonic() - start < 1.5
    thread.join(10)


def test_calls_still_running_at_the_grace_end_get_503(serve, mode):
    """Decision 14: 503 with the event id, logged, counted; the whole shutdown within grace + 1 s, exit 0."""
    server = serve("shutdown", "slow", env={"FUNC_GRACE_PERIOD": "1"})
    result: list = []
    event_id = "evt-grace-end"
    # `podman kill` and `podman run --rm` take their own time to pass the signal on and to return.
    podman = 1.0 if mode == "container" else 0.0

    def run() -> None:
        result.append(httpx.post(server.url + "/", headers={"x-seconds": "10", "event-id": event_id}, timeout=30))
        result.append(time.monotonic())

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.4)
    start = time.monotonic()
    server.signal(signal.SIGTERM)
    assert server.wait(1 + 1.5 + podman) == 0
    assert time.monotonic() - start < 1 + 1.2 + podman
    thread.join(10)
    response, answered = result
    assert answered - start < 1 + 1.0 + podman
    assert response.status_code == 503
    assert response.text.strip() == (f"Service Unavailable: the runtime shut down before the call ended "
                                     f"(event-id: {event_id})")
    assert response.headers.get("connection", "").lower() == "close"
    assert f"error: event-id={event_id}:" in server.stderr()


def test_answers_during_the_drain_say_connection_close(serve):
    server = serve("shutdown", "slow", env={"FUNC_GRACE_PERIOD": "5"})
    with httpx.Client(timeout=10) as client:
        assert client.post(server.url + "/", headers={"x-seconds": "0"}).status_code == 200
        thread, result = call_in_background(server, 1.0)
        time.sleep(0.3)
        server.signal(signal.SIGTERM)
        thread.join(10)
    assert result and isinstance(result[0], httpx.Response), result
    assert result[0].status_code == 200
    assert result[0].headers.get("connection", "").lower() == "close"
    assert server.wait(5) == 0


def test_shutdown_is_bounded_whatever_the_function_does(serve):
    """Decision 14: a call spinning in synchronous code cannot hold the exit past the grace period + 1 s."""
    server = serve("timeouts", "sync_dispatch", env={"FUNC_GRACE_PERIOD": "1", "FUNC_TIMEOUT": "60"})
    result: list = []

    def run() -> None:
        try:
            result.append(httpx.post(server.url + "/", headers={"x-case": "spin", "event-id": "evt-frozen"},
                                     timeout=30))
        except httpx.HTTPError as exc:
            result.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.5)
    start = time.monotonic()
    server.signal(signal.SIGTERM)
    try:
        code = server.wait(1 + 2.0)
    except subprocess.TimeoutExpired:
        raise AssertionError("still running 3 s after SIGTERM with FUNC_GRACE_PERIOD=1") from None
    assert code == 0
    assert time.monotonic() - start < 1 + 1.5
    thread.join(10)
    assert "evt-frozen" in server.stderr(), server.stderr()[-2000:]
