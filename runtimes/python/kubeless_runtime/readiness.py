"""Readiness and back-pressure: the `/readyz` answer and its reasons, and the in-flight limit's 429.

`/readyz` is `200 OK` when this worker can take a call: it is listening and, in `call` isolation
with `FUNC_EXECUTORS_MIN` ≥ 1, its first executor is ready (before that: `Not Ready: starting`).
At `FUNC_MAX_INFLIGHT` requests in flight it is `Not Ready: at the in-flight limit (...)`, and one
more request is answered 429 at once (app.py). The limit is per worker process.

Once ready, the worker sets `function_startup_seconds`: from the runtime's start, as the OS
recorded it (`/proc/self/stat` of the supervisor, read before it forks), to now.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

READY = b"OK"
STARTING = b"Not Ready: starting"
LISTENING = "listening"  # what a worker waits for before it is ready
EXECUTOR = "an executor"

_process_start: float | None = None  # CLOCK_BOOTTIME seconds when the runtime's process started
_CLOCK = getattr(time, "CLOCK_BOOTTIME", time.CLOCK_MONOTONIC)


def _started_per_proc() -> float | None:
    """The process's start, seconds after boot, from field 22 of /proc/self/stat; None when unknown."""
    try:
        with open("/proc/self/stat", "rb") as f:
            stat = f.read()
        fields = stat[stat.rindex(b")") + 2 :].split()  # the name may hold spaces and parentheses
        return int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def remember_process_start() -> None:
    """Called once in the supervisor before it forks: the workers inherit the value."""
    global _process_start
    started = _started_per_proc() if _CLOCK != time.CLOCK_MONOTONIC else None
    _process_start = started if started is not None else time.clock_gettime(_CLOCK)


def seconds_since_start() -> float:
    if _process_start is None:
        remember_process_start()
    assert _process_start is not None
    return max(0.0, time.clock_gettime(_CLOCK) - _process_start)


class Readiness:
    """One worker's readiness; `waiting` names what it still waits for (LISTENING, EXECUTOR)."""

    def __init__(self, max_inflight: int, waiting: set[str], on_ready: Callable[[float], None]) -> None:
        self.limit = max_inflight or sys.maxsize  # requests in flight at which the worker is full
        self.waiting = set(waiting)
        self.on_ready = on_ready
        self.at_limit = f"Not Ready: at the in-flight limit (FUNC_MAX_INFLIGHT={max_inflight})".encode()
        self.too_many = (
            f"Too Many Requests: the runtime is at its limit of {max_inflight} calls in flight (FUNC_MAX_INFLIGHT)"
        ).encode()

    def done(self, what: str) -> None:
        """`what` is there now; when nothing is left to wait for, report the start-up time once."""
        if what in self.waiting:
            self.waiting.discard(what)
            if not self.waiting:
                self.on_ready(seconds_since_start())

    def answer(self, in_flight: int) -> tuple[int, bytes]:
        """The /readyz status and body."""
        if self.waiting:
            return 503, STARTING
        if in_flight >= self.limit:
            return 503, self.at_limit
        return 200, READY
