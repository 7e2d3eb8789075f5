"""The process model, seen from outside the way an operator would: pids, signals, replacement."""

from __future__ import annotations

import os
import signal
import threading
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

FUNCTIONS = """
import time

def stuck(event, context):
    time.sleep(30)

def quick(event, context):
    return "ok"

def partial_print(event, context):
    print("no newline yet", end="")
    time.sleep(2)
    return "done"
"""


def counter(url: str, name: str, method: str = "GET") -> float:
    text = httpx.get(url + "/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels.get("method") == method:
                return sample.value
    return 0.0


def wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"  # a zombie has stopped running
    except FileNotFoundError:
        return False


def test_workers_do_not_outlive_a_killed_supervisor(runtime, functions) -> None:
    rt = runtime(functions("fns", FUNCTIONS), "fns.quick", FUNC_WORKERS="2", FUNC_ISOLATION="worker")
    workers = rt.workers()
    assert len(workers) == 2
    rt.process.kill()
    rt.process.wait()
    assert wait_for(lambda: not any(alive(pid) for pid in workers), 3), "orphaned workers kept running"
    with pytest.raises(httpx.ConnectError):
        httpx.get(rt.url + "/healthz", timeout=1)


def test_a_replaced_worker_keeps_its_counts_and_the_successor_serves(runtime, functions) -> None:
    rt = runtime(functions("fns", FUNCTIONS), "fns.stuck", FUNC_TIMEOUT="0.5", FUNC_GRACE_PERIOD="2",
                 FUNC_ISOLATION="worker")
    [first] = rt.workers()
    assert httpx.get(rt.url + "/").status_code == 408
    assert wait_for(lambda: rt.workers() and first not in rt.workers(), 5), rt.stderr()
    assert "stuck past its deadline; replacing it" in rt.stderr()
    assert counter(rt.url, "function_timeouts_total") == 1
    assert counter(rt.url, "function_calls_total") == 1
    assert httpx.get(rt.url + "/healthz").text == "OK"


def test_counts_add_up_across_workers(runtime, functions) -> None:
    rt = runtime(functions("fns", FUNCTIONS), "fns.quick", FUNC_WORKERS="2")
    for _ in range(20):
        with httpx.Client() as client:  # a new connection each time, so both workers get some
            assert client.post(rt.url + "/").text == "ok"
    # The other worker's numbers arrive with its next heartbeat (every 0.5 s).
    assert wait_for(lambda: counter(rt.url, "function_calls_total", "POST") == 20, 3)


def test_sigint_drains_like_sigterm_and_exits_0(runtime, functions) -> None:
    rt = runtime(functions("fns", FUNCTIONS), "fns.partial_print")
    with httpx.Client(timeout=10) as client:
        result: list[httpx.Response] = []
        thread = threading.Thread(target=lambda: result.append(client.get(rt.url + "/")))
        thread.start()
        # Prints reach stdout as they happen, even without a newline.
        assert wait_for(lambda: "no newline yet" in rt.stdout(), 1.5), rt.stdout()
        rt.process.send_signal(signal.SIGINT)
        thread.join(10)
    assert result and result[0].text == "done"
    assert rt.process.wait(10) == 0


def test_executors_are_the_supervisors_children_and_die_with_it(runtime, functions) -> None:
    """call isolation: the supervisor forks the executors; none outlives it."""
    rt = runtime(functions("fns", FUNCTIONS), "fns.quick", FUNC_EXECUTORS_MIN="3")
    assert wait_for(lambda: len(rt.workers()) == 1 + 3, 3), rt.workers()
    children = rt.workers()
    rt.process.kill()
    rt.process.wait()
    assert wait_for(lambda: not any(alive(pid) for pid in children), 3), "orphaned executors kept running"


def test_a_stuck_executor_is_killed_and_replaced_at_the_deadline(runtime, functions) -> None:
    rt = runtime(functions("fns", FUNCTIONS), "fns.stuck", FUNC_TIMEOUT="0.5")
    assert wait_for(lambda: len(rt.workers()) == 2, 3), rt.workers()  # the worker and its ready executor
    before = set(rt.workers())
    assert httpx.get(rt.url + "/").status_code == 408
    assert wait_for(lambda: len(set(rt.workers()) - before) == 1 and len(rt.workers()) == len(before), 3)
    assert counter(rt.url, "function_timeouts_total") == 1
    assert "replacing it" not in rt.stderr()  # the worker stays: only the executor was replaced
