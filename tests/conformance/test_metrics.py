"""CONTRACT §6: /metrics counts exactly what the function saw, after a mixed run."""

from __future__ import annotations

import concurrent.futures
import os
import signal
import threading
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

import harness

from support import eventually, metrics, sample


@pytest.fixture
def mixed_run(serve):
    """A fresh server (FUNC_TIMEOUT=1) after: 3 ok GET, 2 ok POST, 1 raise POST, 1 timeout PUT,
    2 ok DELETE; plus requests the function never sees (400, 413, preflight, probes)."""
    server = serve("returns", "dispatch_async", env={"FUNC_TIMEOUT": "1", "FUNC_MEMFILE_MAX": "100"})
    for _ in range(3):
        assert server.get("/", headers={"x-case": "text"}).status_code == 200
    for _ in range(2):
        assert server.post("/", headers={"x-case": "dict"}).status_code == 200
    assert server.post("/", headers={"x-case": "raise"}).status_code == 500
    assert httpx.put(server.url + "/", headers={"x-case": "sleep", "x-seconds": "3"}, timeout=10).status_code == 408
    for _ in range(2):
        assert server.request("DELETE", "/x", headers={"x-case": "none"}).status_code == 200
    # Never seen by the function: not counted.
    assert server.post("/", content=b"{bad", headers={"Content-Type": "application/json"}).status_code == 400
    assert server.post("/", content=b"x" * 101).status_code == 413
    assert server.request("OPTIONS", "/", headers={"Origin": "https://a.example",
                                                   "Access-Control-Request-Method": "POST"}).status_code == 204
    server.get("/healthz")
    server.get("/metrics")
    return server


@pytest.mark.smoke
def test_counters_after_a_mixed_run(mixed_run):
    samples = metrics(mixed_run)
    calls = {m: sample(samples, "function_calls_total", method=m) for m in ("GET", "POST", "PUT", "DELETE", "OPTIONS")}
    assert calls == {"GET": 3, "POST": 3, "PUT": 1, "DELETE": 2, "OPTIONS": 0}
    failures = {m: sample(samples, "function_failures_total", method=m) for m in ("GET", "POST", "PUT", "DELETE")}
    assert failures == {"GET": 0, "POST": 1, "PUT": 1, "DELETE": 0}
    timeouts = {m: sample(samples, "function_timeouts_total", method=m) for m in ("GET", "POST", "PUT", "DELETE")}
    assert timeouts == {"GET": 0, "POST": 0, "PUT": 1, "DELETE": 0}


def test_duration_histogram_after_a_mixed_run(mixed_run):
    samples = metrics(mixed_run)
    for method, count in {"GET": 3, "POST": 3, "PUT": 1, "DELETE": 2}.items():
        assert sample(samples, "function_duration_seconds_count", method=method) == count
        assert sample(samples, "function_duration_seconds_bucket", method=method, le="+Inf") == count
    # The timed-out PUT lasted until its deadline.
    assert 0.9 <= sample(samples, "function_duration_seconds_sum", method="PUT") <= 2.0


def test_in_flight_gauge(serve):
    server = serve("concurrency", "sleep_async")
    assert sample(metrics(server), "function_calls_in_flight") == 0
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(
        httpx.post(server.url + "/", headers={"x-seconds": "1"}, timeout=10).status_code)) for _ in range(3)]
    for thread in threads:
        thread.start()

    def three_in_flight() -> None:
        assert sample(metrics(server), "function_calls_in_flight") == 3

    eventually(three_in_flight, timeout=0.8, interval=0.05)
    for thread in threads:
        thread.join(10)
    assert results == [200] * 3
    assert sample(metrics(server), "function_calls_in_flight") == 0


def test_in_flight_back_to_zero_after_a_mixed_run(mixed_run):
    assert sample(metrics(mixed_run), "function_calls_in_flight") == 0


def test_metric_types(serve):
    server = serve("returns", "dispatch", shared=True)
    server.get("/")
    text = server.get("/metrics").text
    for line in ("# TYPE function_calls_total counter", "# TYPE function_failures_total counter",
                 "# TYPE function_timeouts_total counter", "# TYPE function_duration_seconds histogram",
                 "# TYPE function_calls_in_flight gauge"):
        # prometheus_client writes counter TYPE lines without the _total suffix.
        assert line in text or line.replace("_total counter", " counter") in text, line


# -- counters only go up, across workers and worker replacement --------------------------------------

def calls_total(server) -> float:
    return sample(metrics(server), "function_calls_total", method="POST")


def scrape_on_a_new_connection(server) -> float:
    """function_calls_total{method="POST"} from a fresh connection (any worker may accept it)."""
    text = httpx.get(server.url + "/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "function_calls_total" and s.labels == {"method": "POST"}:
                return s.value
    return 0.0


def wait_healthy(server, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(server.url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError("the runtime did not answer again after its workers were killed")


@pytest.mark.only("python")
def test_python_counters_never_go_backwards_with_two_workers(serve):
    """Calls spread over both workers, scrapes on new connections land on either: every scrape
    shows at least what the one before showed."""
    server = serve("concurrency", "sleep_async", env={"FUNC_WORKERS": "2"})
    seen: list[float] = []
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        for _ in range(4):
            answers = pool.map(lambda _: httpx.post(server.url + "/", headers={"x-seconds": "0.05"},
                                                    timeout=10).status_code, range(16))
            assert list(answers) == [200] * 16
            seen += [scrape_on_a_new_connection(server) for _ in range(16)]
    assert seen == sorted(seen), seen
    time.sleep(0.7)  # every worker has published its last heartbeat
    assert calls_total(server) == 64


def test_counts_survive_the_replacement_of_workers(serve, mode):
    """Kill (SIGKILL) every child process of the runtime: its replacements carry the counts on."""
    if mode != "process":
        pytest.skip("needs the runtime's process tree")
    server = serve("basic", "echo")
    for _ in range(6):
        assert server.post("/", content=b"x").status_code == 200
    assert calls_total(server) == 6
    time.sleep(0.7)
    root = server.handle.root_pid()
    children = [pid for pid in server.pids() if pid != root and harness.parent_pid(pid) == root]
    assert children, "no worker process to replace"
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    wait_healthy(server)
    assert calls_total(server) == 6
    assert server.post("/", content=b"x").status_code == 200
    assert calls_total(server) == 7
