"""Readiness: what /readyz says while a worker starts and at the in-flight limit; the start-up time."""

from __future__ import annotations

import os
import time

from kubeless_runtime import readiness
from kubeless_runtime.readiness import EXECUTOR, LISTENING, Readiness


def test_starting_then_ready_then_at_the_limit() -> None:
    reported: list[float] = []
    ready = Readiness(2, {LISTENING, EXECUTOR}, reported.append)
    assert ready.answer(0) == (503, b"Not Ready: starting")
    ready.done(LISTENING)
    assert ready.answer(0) == (503, b"Not Ready: starting") and not reported
    ready.done(EXECUTOR)
    assert ready.answer(1) == (200, b"OK")
    assert ready.answer(2) == (503, b"Not Ready: at the in-flight limit (FUNC_MAX_INFLIGHT=2)")
    assert ready.too_many == b"Too Many Requests: the runtime is at its limit of 2 calls in flight (FUNC_MAX_INFLIGHT)"
    ready.done(EXECUTOR)
    assert len(reported) == 1 and reported[0] >= 0  # the start-up time, once


def test_without_a_limit_it_is_never_full() -> None:
    ready = Readiness(0, {LISTENING}, lambda _: None)
    ready.done(LISTENING)
    assert ready.answer(10**9) == (200, b"OK")


def test_the_start_up_time_counts_from_the_process_start() -> None:
    readiness.remember_process_start()
    own = readiness._started_per_proc()
    assert own is not None  # Linux
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    age = readiness.seconds_since_start()
    # This test process started before the test ran: its age is positive, and below the machine's.
    assert 0 < age <= uptime + 0.01
    time.sleep(0.05)
    assert readiness.seconds_since_start() >= age + 0.04
    assert os.sysconf("SC_CLK_TCK") > 0
