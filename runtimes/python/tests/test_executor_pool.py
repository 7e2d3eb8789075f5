"""The executor pool's growth (`call` isolation): a few hot executors for short calls, one per blocked call soon."""

from __future__ import annotations

import asyncio
import os

from kubeless_runtime import executor_pool
from kubeless_runtime.executor import frame
from kubeless_runtime.executor_pool import ExecutorPool
from kubeless_runtime.settings import load_settings

CLI = ["--from-file", "/tmp/f.py", "--handler", "test.hello"]


def make_pool(kept: list[int]) -> ExecutorPool:
    """Executors that are ready at once and never answer: the other end just says ("ready", n)."""
    settings = load_settings(CLI, {"FUNC_CONCURRENCY": "10", "FUNC_EXECUTORS_MIN": "0"})

    def request_executor(fd: int) -> None:
        theirs = os.dup(fd)
        kept.append(theirs)
        os.write(theirs, frame(("ready", 100 + len(kept))))

    pool = ExecutorPool(settings, request_executor, lambda: None)
    pool.eager = 2
    return pool


def test_calls_that_find_every_executor_busy_each_get_one_within_a_few_milliseconds() -> None:
    kept: list[int] = []

    async def scenario() -> tuple[int, list[float]]:
        pool = make_pool(kept)
        loop = asyncio.get_running_loop()
        start = loop.time()
        got: list[float] = []

        async def call() -> None:
            await pool.wait()
            got.append(loop.time() - start)

        tasks = [asyncio.ensure_future(call()) for _ in range(5)]
        await asyncio.sleep(0)
        started_at_once = pool.size  # below `eager` only
        await asyncio.wait_for(asyncio.gather(*tasks), 2)
        pool.stop()
        return started_at_once, got

    try:
        started_at_once, got = asyncio.run(scenario())
    finally:
        for fd in kept:
            os.close(fd)
    assert started_at_once == 2
    assert len(got) == 5
    assert max(got) < executor_pool.GROW_AFTER + 0.5  # generous: a shared machine


def test_a_call_waits_for_an_executor_that_frees_up_rather_than_starting_one() -> None:
    kept: list[int] = []

    async def scenario() -> int:
        pool = make_pool(kept)
        first = await pool.wait()
        second = await pool.wait()
        assert pool.size == 2
        waiting = asyncio.ensure_future(pool.wait())
        await asyncio.sleep(0)
        pool.release(first)  # before GROW_AFTER: the waiting call takes it
        assert await waiting is first
        await asyncio.sleep(executor_pool.GROW_AFTER * 2)
        size = pool.size
        pool.release(second)
        pool.stop()
        return size

    try:
        assert asyncio.run(scenario()) == 2
    finally:
        for fd in kept:
            os.close(fd)
