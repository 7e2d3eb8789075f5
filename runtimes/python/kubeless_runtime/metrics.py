"""Prometheus metrics, names and labels exactly as CONTRACT §6, kept by prometheus-client.

Several processes. With FUNC_WORKERS > 1 any worker may answer a scrape, and a worker may be
replaced; the counts must add up across workers and never go down. prometheus-client's own
multiprocess mode does that: every process keeps its values in files of its own under
`PROMETHEUS_MULTIPROC_DIR`, and a scrape sums the files of every process, living or dead, so a
replaced worker's counts stay. metrics_dir.py sets that directory up for the supervisor. In call mode only the worker
processes that own the connections count; executor processes never touch metrics (an executor
says when it started the function in its answer, and its worker observes the queue time).

Speed. A request updates plain attributes (calls, failures, timeouts, the duration's and the queue
time's buckets and sums, the in-flight gauge, rejections); they are written to prometheus-client's values (`publish`) at each
heartbeat of the worker, at exit, and right before this worker renders a scrape. Every number
a scrape shows is therefore in the files already, so the next scrape, from any worker, shows at
least as much: counters only go up. Another worker's last half-second may not be shown yet (the
contract allows 0.5 s). Updating prometheus-client on every request would cost 4-6 µs more per
request (it takes a lock and writes the file on each `inc`: five of them), a sixth of a trivial call.
"""

from __future__ import annotations

import os
from bisect import bisect_left

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector

from .metrics_dir import MULTIPROC_ENV

# prometheus-client's default histogram buckets, the ones Kubeless's runtimes exposed.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


class _Families:
    """The contract's metric families, created once per process (prometheus-client keys them by name)."""

    def __init__(self) -> None:
        self.calls = Counter("function_calls", "Calls of the function", ["method"], registry=None)
        self.failures = Counter("function_failures", "Calls that raised or timed out", ["method"], registry=None)
        self.timeouts = Counter("function_timeouts", "Calls that timed out", ["method"], registry=None)
        self.duration = Histogram(
            "function_duration_seconds", "Time from the call to its end", ["method"], buckets=BUCKETS, registry=None
        )
        self.in_flight = Gauge("function_calls_in_flight", "Calls running now", multiprocess_mode="livesum", registry=None)
        self.rejected = Counter(
            "function_calls_rejected", "Requests answered 429 at the in-flight limit", ["method"], registry=None
        )
        self.queue = Histogram(
            "function_queue_seconds", "Time from a request's arrival to the function's start", buckets=BUCKETS,
            registry=None,
        )

    def all(self) -> tuple:
        return (self.calls, self.failures, self.timeouts, self.duration, self.in_flight, self.rejected, self.queue)


def _publish(now: tuple, published: list[float], incs: tuple) -> None:
    """Hand prometheus-client what changed since the last time."""
    for index, value in enumerate(now):
        delta = value - published[index]
        if delta:
            incs[index](delta)
            published[index] = value


def _histogram_incs(histogram: Histogram) -> tuple:
    # Histogram has no public way to add many observations at once, hence its `_sum` and `_buckets`
    # (prometheus-client is pinned; the unit tests fail if they go away).
    return (histogram._sum.inc, *(bucket.inc for bucket in histogram._buckets))  # noqa: SLF001


class QueueTime:
    """`function_queue_seconds`, observed as plain numbers and published with the rest."""

    __slots__ = ("buckets", "total", "_published", "_incs")

    def __init__(self, histogram: Histogram) -> None:
        self.buckets = [0] * (len(BUCKETS) + 1)
        self.total = 0.0
        self._incs = _histogram_incs(histogram)
        self._published = [0.0] * len(self._incs)

    def observe(self, seconds: float) -> None:
        self.buckets[bisect_left(BUCKETS, seconds)] += 1
        self.total += seconds

    def publish(self) -> None:
        _publish((self.total, *self.buckets), self._published, self._incs)


class MethodMetrics:
    """The numbers for one HTTP method; the app updates the attributes directly."""

    __slots__ = ("calls", "failures", "timeouts", "buckets", "duration_sum", "_published", "_incs")

    def __init__(self, families: _Families, method: str) -> None:
        self.calls = 0
        self.failures = 0
        self.timeouts = 0
        self.buckets = [0] * (len(BUCKETS) + 1)  # per bucket, not cumulative; the last one is +Inf
        self.duration_sum = 0.0
        # Where each number's news goes: the counters, and the histogram's own sum and per-bucket values.
        self._incs = (
            families.calls.labels(method).inc,
            families.failures.labels(method).inc,
            families.timeouts.labels(method).inc,
            *_histogram_incs(families.duration.labels(method)),
        )
        self._published = [0.0] * len(self._incs)

    def observe(self, seconds: float) -> None:
        self.buckets[bisect_left(BUCKETS, seconds)] += 1  # bounds are inclusive, as prometheus-client's
        self.duration_sum += seconds

    def publish(self) -> None:
        _publish((self.calls, self.failures, self.timeouts, self.duration_sum, *self.buckets), self._published, self._incs)


class Metrics:
    """The function's metrics of this process, and the /metrics exposition."""

    content_type = CONTENT_TYPE_PLAIN_0_0_4.encode("latin-1")

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.families = _Families()
        self.by_method: dict[str, MethodMetrics] = {}
        self.in_flight = 0
        self.queue = QueueTime(self.families.queue)
        self.rejected: dict[str, int] = {}  # by method: requests answered 429 at the in-flight limit
        self._rejected_published: dict[str, int] = {}
        if os.environ.get(MULTIPROC_ENV):
            # Every process's files (this worker's, the other workers', the ended ones'), plus this
            # process's own process/platform/GC metrics.
            self.registry = CollectorRegistry()
            MultiProcessCollector(self.registry)
            for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
                self.registry.register(collector)
        else:  # one process (the unit tests): the function's metrics in the given or default registry
            self.registry = registry if registry is not None else REGISTRY
            for collector in self.families.all():
                self.registry.register(collector)

    def for_method(self, method: str) -> MethodMetrics:
        numbers = self.by_method.get(method)
        if numbers is None:
            numbers = self.by_method[method] = MethodMetrics(self.families, method)
        return numbers

    def reject(self, method: str) -> None:
        self.rejected[method] = self.rejected.get(method, 0) + 1

    def started_up(self, seconds: float) -> None:
        """`function_startup_seconds`, set once by each worker when it is ready (readiness.py).

        Made only now: in multiprocess mode a gauge has a value (0) in the file of every process
        that creates it. Made here, only workers that were ready have one, and the smallest (`min`,
        kept after a worker ends) is the first worker's: a worker that replaces one later does not
        change what a scrape shows."""
        gauge = Gauge(
            "function_startup_seconds", "Seconds from the runtime's start to ready (listening and able to take a call)",
            multiprocess_mode="min", registry=None,
        )
        if not os.environ.get(MULTIPROC_ENV):
            self.registry.register(gauge)
        gauge.set(seconds)

    def publish(self) -> None:
        """Write the attributes' news to prometheus-client (at each heartbeat, scrape and exit)."""
        for numbers in self.by_method.values():
            numbers.publish()
        self.queue.publish()
        for method, count in self.rejected.items():
            delta = count - self._rejected_published.get(method, 0)
            if delta:
                self.families.rejected.labels(method).inc(delta)
                self._rejected_published[method] = count
        self.families.in_flight.set(self.in_flight)

    def render(self) -> bytes:
        self.publish()
        return generate_latest(self.registry)
