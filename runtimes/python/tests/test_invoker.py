"""The invoker's deadline machinery: what no HTTP client can see from outside."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from kubeless_runtime.invoker import CallTimeout, Deadlines, FunctionTimeout, Invoker


def run(coro):  # a fresh loop per test: the invoker lives on the loop that uses it
    return asyncio.run(coro)


def test_a_runaway_thread_is_stopped_and_the_thread_serves_the_next_call_cleanly() -> None:
    stuck: list[int] = []

    async def main() -> None:
        invoker = Invoker(1, on_stuck=lambda: stuck.append(1))
        loop = asyncio.get_running_loop()
        stopped = threading.Event()

        def spin() -> None:
            try:
                while True:
                    pass
            except FunctionTimeout:
                stopped.set()
                raise

        with pytest.raises(CallTimeout):
            await invoker.in_thread(loop.time() + 0.2, spin)
        assert await asyncio.to_thread(stopped.wait, 2)
        # The single pool thread now runs many quick calls; none may get a stray FunctionTimeout.
        for _ in range(200):
            assert await invoker.in_thread(loop.time() + 5, lambda: "ok") == "ok"
        await asyncio.sleep(1.2)
        invoker.shutdown()

    run(main())
    assert stuck == []  # it stopped within the second: no replacement asked for


def test_a_call_queued_past_its_deadline_never_starts() -> None:
    started: list[str] = []

    async def main() -> None:
        invoker = Invoker(1, on_stuck=lambda: None)
        loop = asyncio.get_running_loop()
        release = threading.Event()
        busy = asyncio.ensure_future(invoker.in_thread(loop.time() + 5, release.wait, 5))
        await asyncio.sleep(0.05)
        with pytest.raises(CallTimeout):
            await invoker.in_thread(loop.time() + 0.1, lambda: started.append("late"))
        release.set()
        await busy
        await asyncio.sleep(0.1)
        invoker.shutdown()

    run(main())
    assert started == []


def test_a_thread_blocked_in_c_is_reported_stuck_after_a_second() -> None:
    stuck: list[float] = []

    async def main() -> None:
        invoker = Invoker(2, on_stuck=lambda: stuck.append(time.monotonic()))
        loop = asyncio.get_running_loop()
        began = time.monotonic()
        with pytest.raises(CallTimeout):
            await invoker.in_thread(loop.time() + 0.2, time.sleep, 3)
        answered = time.monotonic() - began
        assert 0.19 < answered < 0.5
        await asyncio.sleep(1.8)
        assert len(stuck) == 1 and 1.0 <= stuck[0] - began - answered < 1.8
        invoker.shutdown()

    run(main())


def test_an_async_call_is_cancelled_at_its_deadline() -> None:
    seen: list[str] = []

    async def sleeper() -> None:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    async def main() -> None:
        invoker = Invoker(1, on_stuck=lambda: None)
        loop = asyncio.get_running_loop()
        with pytest.raises(CallTimeout):
            await invoker.on_loop(loop.time() + 0.1, sleeper())
        # The task is usable afterwards: the timeout's cancellation was taken back.
        assert asyncio.current_task().cancelling() == 0
        assert await invoker.on_loop(loop.time() + 1, asyncio.sleep(0, "fine")) == "fine"

    run(main())
    assert seen == ["cancelled"]


def test_deadlines_fire_late_by_at_most_their_resolution_and_never_early() -> None:
    fired: list[tuple[float, float]] = []

    class Entry:
        def __init__(self, due: float) -> None:
            self.due = due

        def expire(self) -> None:
            fired.append((self.due, asyncio.get_running_loop().time()))

    async def main() -> None:
        loop = asyncio.get_running_loop()
        wheel = Deadlines()
        kept = [Entry(loop.time() + d) for d in (0.05, 0.051, 0.12, 0.3)]
        for entry in reversed(kept):  # an earlier slot added after a later one re-arms the timer
            wheel.add(entry.due, entry)
        cancelled = Entry(loop.time() + 0.1)
        wheel.remove(wheel.add(cancelled.due, cancelled), cancelled)
        await asyncio.sleep(0.45)

    run(main())
    assert len(fired) == 4
    for due, at in fired:
        assert due <= at < due + 0.1  # the contract's bound on a late 408


def test_calls_ending_right_at_their_deadline_never_leak_a_timeout_into_later_calls() -> None:
    """Races between a thread finishing and its deadline firing: hundreds of near misses."""
    outcomes = {"ok": 0, "timeout": 0}

    def busy(seconds: float) -> str:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            pass
        return "ok"

    async def main() -> None:
        invoker = Invoker(4, on_stuck=lambda: None)
        loop = asyncio.get_running_loop()

        async def one(i: int) -> None:
            try:
                assert await invoker.in_thread(loop.time() + 0.02, busy, 0.015 + (i % 10) * 0.001) == "ok"
                outcomes["ok"] += 1
            except CallTimeout:
                outcomes["timeout"] += 1

        await asyncio.gather(*(one(i) for i in range(300)))
        await asyncio.sleep(0.1)
        # Every thread of the pool now serves plain calls: a stray FunctionTimeout would surface here.
        results = await asyncio.gather(*(invoker.in_thread(loop.time() + 5, busy, 0.001) for _ in range(200)))
        assert results == ["ok"] * 200
        invoker.shutdown()

    run(main())
    assert outcomes["ok"] + outcomes["timeout"] == 300 and outcomes["timeout"] > 0


def test_the_timeout_is_not_caught_by_except_oserror_or_except_exception() -> None:
    """TimeoutError is an OSError: user code's `except OSError:` would swallow it; ours is not one."""
    caught: list[str] = []

    def careless() -> None:
        while True:
            try:
                while True:
                    pass
            except (OSError, Exception):
                caught.append("swallowed")

    async def main() -> None:
        invoker = Invoker(1, on_stuck=lambda: None)
        loop = asyncio.get_running_loop()
        with pytest.raises(CallTimeout):
            await invoker.in_thread(loop.time() + 0.1, careless)
        await asyncio.sleep(0.3)
        invoker.shutdown()

    run(main())
    assert caught == []


def test_memory_does_not_follow_the_timeout() -> None:
    """A slot whose calls all ended is dropped with its timer: nothing waits for a far deadline."""

    class Entry:
        def expire(self) -> None:
            raise AssertionError("a removed entry expired")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        wheel = Deadlines()
        for i in range(2000):  # 2,000 calls with deadlines spread over 900 s, each ending at once
            entry = Entry()
            wheel.remove(wheel.add(loop.time() + 900 - i * 0.45, entry), entry)
        assert len(wheel) == 0
        assert len(wheel._keys) <= 64 + 1  # the keys of dropped slots are compacted away
        kept = Entry()
        slot = wheel.add(loop.time() + 900, kept)
        assert len(wheel) == 1
        wheel.remove(slot, kept)
        assert len(wheel) == 0

    run(main())
