"""Metrics: the contract's names and labels, and prometheus-client's multiprocess mode across workers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from kubeless_runtime.metrics import Metrics


def samples(metrics: Metrics) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_exposition_names_labels_and_buckets() -> None:
    metrics = Metrics(CollectorRegistry())
    numbers = metrics.for_method("POST")
    numbers.calls += 2
    numbers.failures += 1
    numbers.timeouts += 1
    numbers.observe(0.005)  # bucket bounds are inclusive
    numbers.observe(20)
    metrics.in_flight = 3
    got = samples(metrics)
    post = (("method", "POST"),)
    assert got[("function_calls_total", post)] == 2
    assert got[("function_failures_total", post)] == 1
    assert got[("function_timeouts_total", post)] == 1
    assert got[("function_duration_seconds_count", post)] == 2
    assert got[("function_duration_seconds_bucket", (("le", "0.005"), ("method", "POST")))] == 1
    assert got[("function_duration_seconds_bucket", (("le", "10.0"), ("method", "POST")))] == 1
    assert got[("function_duration_seconds_bucket", (("le", "+Inf"), ("method", "POST")))] == 2
    assert got[("function_duration_seconds_sum", post)] == 20.005
    assert got[("function_calls_in_flight", ())] == 3
    numbers.calls += 1
    assert samples(metrics)[("function_calls_total", post)] == 3  # published again at the next scrape



def test_queue_rejections_and_start_up() -> None:
    metrics = Metrics(CollectorRegistry())
    metrics.queue.observe(0.001)
    metrics.queue.observe(0.3)
    metrics.reject("POST")
    metrics.reject("POST")
    metrics.started_up(0.25)
    got = samples(metrics)
    assert got[("function_queue_seconds_count", ())] == 2
    assert got[("function_queue_seconds_bucket", (("le", "0.005"),))] == 1
    assert got[("function_queue_seconds_bucket", (("le", "0.5"),))] == 2
    assert abs(got[("function_queue_seconds_sum", ())] - 0.301) < 1e-9
    assert got[("function_calls_rejected_total", (("method", "POST"),))] == 2
    assert got[("function_startup_seconds", ())] == 0.25
    metrics.reject("POST")
    assert samples(metrics)[("function_calls_rejected_total", (("method", "POST"),))] == 3

# Runs in a fresh interpreter: prometheus-client chooses its multiprocess mode at import.
MULTIPROCESS = textwrap.dedent("""
    import os, sys
    from kubeless_runtime.metrics_dir import use_private_directory, worker_ended
    folder = use_private_directory()
    from prometheus_client.parser import text_string_to_metric_families
    from kubeless_runtime.metrics import Metrics

    def calls(text):
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                if s.name == "function_calls_total" and s.labels == {"method": "GET"}:
                    return s.value
        return 0

    def worker(n, in_flight, scrape_to):
        # a forked worker: n calls, then a scrape (which publishes first), then it ends
        pid = os.fork()
        if pid == 0:
            m = Metrics()
            m.for_method("GET").calls += n
            m.in_flight = in_flight
            os.write(scrape_to, m.render())
            os._exit(0)
        os.waitpid(pid, 0)
        return pid

    r, w = os.pipe()
    first = worker(5, 1, w)
    seen_first = calls(os.read(r, 1 << 20).decode())
    second = worker(2, 0, w)
    seen_second = calls(os.read(r, 1 << 20).decode())
    worker_ended(first)
    worker_ended(second)
    total = calls(Metrics().render().decode())
    print(seen_first, seen_second, total)
    gauge = [name for name in os.listdir(folder) if name.startswith("gauge_livesum")]
    print(len(gauge), folder)
""")


def test_counts_add_up_across_processes_and_outlive_them() -> None:
    result = subprocess.run([sys.executable, "-c", MULTIPROCESS], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    seen_first, seen_second, total, gauges, folder = result.stdout.split()
    # The second worker's scrape includes the first (ended) worker's calls; they never go down.
    assert (float(seen_first), float(seen_second), float(total)) == (5, 7, 7)
    assert gauges == "1"  # only the last Metrics() of the parent has an in-flight gauge now
    assert not os.path.exists(folder)  # removed when the process that made it exited


STARTUP = textwrap.dedent("""
    import os
    from kubeless_runtime.metrics_dir import use_private_directory, worker_ended
    use_private_directory()
    from prometheus_client.parser import text_string_to_metric_families
    from kubeless_runtime.metrics import Metrics

    def startup(text):
        values = [s.value for f in text_string_to_metric_families(text) for s in f.samples
                  if s.name == "function_startup_seconds"]
        return values[0] if len(values) == 1 else values

    def worker(seconds):
        pid = os.fork()
        if pid == 0:
            m = Metrics()
            if seconds is not None:
                m.started_up(seconds)
            os._exit(0)
        os.waitpid(pid, 0)
        worker_ended(pid)

    print(startup(Metrics().render().decode()))  # none ready yet: no sample
    worker(0.5)      # the first worker ready
    worker(None)     # a process with metrics that never reports (the supervisor, a worker not ready)
    worker(3600.0)   # a worker that replaced one an hour later
    print(startup(Metrics().render().decode()))
""")


def test_the_start_up_time_is_the_first_workers_whatever_comes_later() -> None:
    result = subprocess.run([sys.executable, "-c", STARTUP], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[]", "0.5"]
