"""Prometheus metrics, names and labels exactly as CONTRACT §6, exposed with prometheus-client.

Two concerns shape this module:

- Speed. Every update happens on the worker's event loop thread, so the numbers are plain Python
  attributes, handed to prometheus-client as metric families only when /metrics is scraped (a
  custom collector, next to the default process, platform and GC collectors). prometheus-client's
  own `Counter`/`Histogram` take a lock and validate on every call; with five updates per request
  that was a measurable part of the hot path, for no gain on a single thread.
- Several processes. With FUNC_WORKERS > 1 any worker may answer a scrape, and a worker that is
  replaced takes its numbers with it. So each worker publishes a snapshot of its numbers to a
  `Board`, a small shared-memory area the supervisor maps before forking, at every heartbeat and
  when it exits; the supervisor folds the last snapshot of every worker that ends into a
  "retired" slot. A scrape reports retired + every other live worker's snapshot + its own live
  numbers, so counters never go backwards when a worker is replaced.
"""

from __future__ import annotations

import json
import mmap
import struct
from bisect import bisect_left
from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector

# prometheus-client's default histogram buckets, the ones Kubeless's runtimes exposed.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
_BUCKET_LABELS = (*map(str, BUCKETS), "+Inf")

# A snapshot: {method: [calls, failures, timeouts, duration_sum, bucket counts...]}, plus the
# in-flight count under the key "" (no HTTP method is empty).
Snapshot = dict[str, Any]


class MethodMetrics:
    """The numbers for one HTTP method; the app updates the attributes directly."""

    __slots__ = ("calls", "failures", "timeouts", "buckets", "duration_sum")

    def __init__(self) -> None:
        self.calls = 0
        self.failures = 0
        self.timeouts = 0
        self.buckets = [0] * (len(BUCKETS) + 1)  # the last one is +Inf
        self.duration_sum = 0.0

    def observe(self, seconds: float) -> None:
        self.buckets[bisect_left(BUCKETS, seconds)] += 1
        self.duration_sum += seconds

    def as_list(self) -> list[float]:
        return [self.calls, self.failures, self.timeouts, self.duration_sum, *self.buckets]


def merge(into: Snapshot, other: Snapshot) -> None:
    """Add `other`'s numbers to `into` (the in-flight gauge included)."""
    for method, numbers in other.items():
        if method == "":
            into[""] = into.get("", 0) + numbers
        elif method in into:
            into[method] = [a + b for a, b in zip(into[method], numbers, strict=True)]
        else:
            into[method] = list(numbers)


class Board:
    """Fixed-size slots in an anonymous shared mapping, one snapshot per slot.

    Slot 0 holds the totals of workers that have ended (written only by the supervisor); every
    live worker owns one other slot. A slot is `version (u64) | length (u32) | JSON`; the writer
    makes the version odd while it writes and even after, and a reader retries until it sees the
    same even version before and after reading, so a torn snapshot is never used.
    """

    SLOT_SIZE = 64 * 1024
    _HEADER = struct.Struct("<QI")

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self.memory = mmap.mmap(-1, slots * self.SLOT_SIZE)  # MAP_SHARED: forked workers see it

    def write(self, slot: int, snapshot: Snapshot) -> None:
        data = json.dumps(snapshot, separators=(",", ":")).encode()
        if len(data) > self.SLOT_SIZE - self._HEADER.size:
            return  # absurdly many distinct methods: keep the last snapshot that fitted
        base = slot * self.SLOT_SIZE
        version = self._HEADER.unpack_from(self.memory, base)[0]
        version += version % 2  # even again if a writer was killed halfway through
        self._HEADER.pack_into(self.memory, base, version + 1, 0)
        self.memory[base + self._HEADER.size : base + self._HEADER.size + len(data)] = data
        self._HEADER.pack_into(self.memory, base, version + 2, len(data))

    def read(self, slot: int) -> Snapshot:
        base = slot * self.SLOT_SIZE
        for _ in range(100):
            version, length = self._HEADER.unpack_from(self.memory, base)
            if version % 2:
                continue
            data = self.memory[base + self._HEADER.size : base + self._HEADER.size + length]
            if self._HEADER.unpack_from(self.memory, base)[0] == version:
                return json.loads(data) if length else {}
        return {}

    def clear(self, slot: int) -> None:
        self.write(slot, {})


class Metrics(Collector):
    """The function's metrics, registered in `registry` next to the default process metrics."""

    content_type = CONTENT_TYPE_PLAIN_0_0_4.encode("latin-1")

    def __init__(self, registry: CollectorRegistry = REGISTRY, board: Board | None = None, slot: int = 0) -> None:
        self.registry = registry
        self.board = board
        self.slot = slot
        self.by_method: dict[str, MethodMetrics] = {}
        self.in_flight = 0
        registry.register(self)

    def for_method(self, method: str) -> MethodMetrics:
        numbers = self.by_method.get(method)
        if numbers is None:
            numbers = self.by_method[method] = MethodMetrics()
        return numbers

    def snapshot(self) -> Snapshot:
        snap: Snapshot = {method: numbers.as_list() for method, numbers in self.by_method.items()}
        snap[""] = self.in_flight
        return snap

    def publish(self) -> None:
        """Write this worker's numbers to its slot of the board (at each heartbeat and at exit)."""
        if self.board is not None:
            self.board.write(self.slot, self.snapshot())

    def totals(self) -> Snapshot:
        """Everything: ended workers, the other live workers' last snapshots, and ours, live."""
        totals = self.snapshot()
        if self.board is not None:
            for slot in range(self.board.slots):
                if slot != self.slot:
                    merge(totals, self.board.read(slot))
        return totals

    def collect(self) -> Iterator[Metric]:
        totals = self.totals()
        calls = CounterMetricFamily("function_calls", "Calls of the function", labels=["method"])
        failures = CounterMetricFamily("function_failures", "Calls that raised or timed out", labels=["method"])
        timeouts = CounterMetricFamily("function_timeouts", "Calls that timed out", labels=["method"])
        duration = HistogramMetricFamily(
            "function_duration_seconds", "Time from the call to its end", labels=["method"]
        )
        in_flight = totals.pop("", 0)
        for method, (n_calls, n_failures, n_timeouts, seconds, *buckets) in sorted(totals.items()):
            calls.add_metric([method], n_calls)
            failures.add_metric([method], n_failures)
            timeouts.add_metric([method], n_timeouts)
            cumulative, total = [], 0
            for label, count in zip(_BUCKET_LABELS, buckets, strict=True):
                total += count
                cumulative.append((label, total))
            duration.add_metric([method], cumulative, seconds)
        yield calls
        yield failures
        yield timeouts
        yield duration
        yield GaugeMetricFamily("function_calls_in_flight", "Calls running now", value=in_flight)

    def render(self) -> bytes:
        return generate_latest(self.registry)
