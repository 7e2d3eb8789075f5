"""A worker's executors (CONTRACT §5, `call` isolation): started, handed out, taken back, retired.

Executors are forked by the supervisor at the worker's request (the worker sends it one end of a
socketpair; the executor says `("ready", pid)` on it). The pool keeps `FUNC_EXECUTORS_MIN` ready
at all times, starts more on demand up to `FUNC_CONCURRENCY`, and closes those above the minimum
that stay idle `FUNC_EXECUTOR_IDLE` seconds. A call that finds every executor busy waits in line
(its deadline keeps running). Up to two executors per core, one is started for it at once; beyond
that, only once it has waited `GROW_AFTER` (5 ms) without an executor freeing up for it. Short
calls are served sooner by a few hot executors than by more processes on the same cores: each
extra executor costs wake-ups, and with 16 connections and 16 executors they cost ~40 µs of CPU a
call. Calls that block still each get an executor within a few milliseconds. The most recently
used executor is handed out first: its memory is the warmest, and the others are the ones that go
idle and are retired.

Only the supervisor can wait for a child, so it reports each executor's exit status back over
the worker's control socket (`exited`); a call whose executor died asks for it (`exit_status`).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

from . import runtimelog
from .executor import HEADER, frame, unframe
from .settings import Settings

READY_TIMEOUT = 10.0  # seconds a new executor may take to say it is ready
STATUS_WAIT = 1.0  # seconds to wait for the exit status of an executor that died in a call
BACKOFF_FIRST, BACKOFF_MAX = 0.1, 2.0
PAUSE_AT, RESUME_AT = 64, 8  # frames waiting to be sent on: stop reading from the executor, read again
GROW_AFTER = 0.005  # seconds a call waits for a busy executor to free up before one is started for it


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class ExecutorGone(Exception):
    """The executor's socket closed: it died (or could not be started)."""


class ExecutorConnection(asyncio.Protocol):
    """The worker's side of one executor: frames in, frames out, and its pid for signals."""

    def __init__(self, pool: ExecutorPool) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.frames: deque[Any] = deque()
        self.waiter: asyncio.Future[None] | None = None
        self.pid = 0
        self.paused = False
        self.closed = False
        self.counted = False  # part of the pool's size
        self.idle_since = 0.0

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        start = 0
        size = len(buffer)
        while size - start >= HEADER.size:
            length = HEADER.unpack_from(buffer, start)[0]
            end = start + HEADER.size + length
            if end > size:
                break
            self.frames.append(unframe(buffer[start + HEADER.size : end]))
            start = end
        if start:
            del buffer[:start]
        if self.frames:
            if len(self.frames) >= PAUSE_AT and self.transport is not None and not self.paused:
                self.paused = True  # a stream faster than its client: the executor waits in sendall
                self.transport.pause_reading()
            self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._wake()
        self.pool.lost(self)

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # the call's side

    async def next_frame(self) -> Any:
        while not self.frames:
            if self.closed:
                raise ExecutorGone()
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        if self.paused and len(self.frames) <= RESUME_AT and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()
        return self.frames.popleft()

    def send(self, message: Any) -> None:
        assert self.transport is not None
        self.transport.write(frame(message))

    def signal(self, signum: int) -> None:
        if self.pid and not self.closed:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        """SIGKILL: the call's work really stops, whatever it is doing (CONTRACT §5)."""
        self.signal(signal.SIGKILL)
        self.close()

    def close(self) -> None:
        """Let it go: it sees the end of its socket and exits."""
        if self.transport is not None:
            self.transport.close()


def describe_exit(code: int | None) -> str:
    if code is None:
        return "exit status unknown"
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


class ExecutorPool:
    def __init__(
        self,
        settings: Settings,
        request_executor: Callable[[int], None],
        on_start_failure: Callable[[], None],
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        self.limit = settings.threads
        self.minimum = settings.executors_min
        self.idle_after = settings.executor_idle
        self.request_executor = request_executor  # sends one socket end to the supervisor
        self.on_start_failure = on_start_failure
        self.on_ready = on_ready  # called once, when the first executor is ready (readiness.py)
        self.idle: list[ExecutorConnection] = []
        self.size = 0  # executors alive or starting
        self.starting = 0  # of which starting: each goes to the first call in line when ready
        self.waiters: deque[tuple[float, asyncio.Future[ExecutorConnection]]] = deque()  # (since, call)
        self.eager = max(1, 2 * _cores())  # started at once for a waiting call, below this size
        self.grower: asyncio.TimerHandle | None = None
        self.statuses: OrderedDict[int, int] = OrderedDict()
        self.status_waiters: dict[int, asyncio.Future[int]] = {}
        self.backoff = 0.0
        self.refill_scheduled = False
        self.reaper: asyncio.TimerHandle | None = None
        self.stopping = False

    def start(self) -> None:
        self._refill()

    # -- handing out -----------------------------------------------------------------------------

    def take(self) -> ExecutorConnection | None:
        """An idle executor at once, or None (then `wait`)."""
        idle = self.idle
        while idle:
            executor = idle.pop()
            if not executor.closed:
                return executor
        return None

    async def wait(self) -> ExecutorConnection:
        """Wait in line for an executor, starting one if the limit allows."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ExecutorConnection] = loop.create_future()
        self.waiters.append((loop.time(), future))
        if self.size < self.limit and self.starting < len(self.waiters):
            if self.size < self.eager:
                self._start_one()
            elif self.grower is None:
                self.grower = loop.call_later(GROW_AFTER, self._grow)
        return await future

    def _grow(self) -> None:
        """Start an executor for each call that has waited `GROW_AFTER` for one, up to the limit."""
        self.grower = None
        if self.stopping:
            return
        while self.waiters and self.waiters[0][1].done():
            self.waiters.popleft()
        if not self.waiters:
            return
        loop = asyncio.get_running_loop()
        due = loop.time() - GROW_AFTER + 0.0005
        overdue = 0
        next_since = None
        for since, waiter in self.waiters:
            if waiter.done():
                continue
            if since <= due:
                overdue += 1
            else:
                next_since = since
                break
        while self.size < self.limit and self.starting < overdue:
            self._start_one()
        if next_since is not None and self.size < self.limit:
            self.grower = loop.call_later(max(0.0, next_since + GROW_AFTER - loop.time()), self._grow)

    def release(self, executor: ExecutorConnection) -> None:
        """The call is over: the executor goes to the next call in line, or waits idle."""
        if executor.closed:
            return
        while self.waiters:
            waiter = self.waiters.popleft()[1]
            if not waiter.done():
                waiter.set_result(executor)
                return
        executor.idle_since = asyncio.get_running_loop().time()
        self.idle.append(executor)
        if self.reaper is None and self.size > self.minimum:
            self.reaper = asyncio.get_running_loop().call_later(self.idle_after, self._reap_idle)

    # -- starting --------------------------------------------------------------------------------

    def _start_one(self) -> None:
        self.size += 1
        self.starting += 1
        asyncio.ensure_future(self._spawn())

    async def _spawn(self) -> None:
        loop = asyncio.get_running_loop()
        executor: ExecutorConnection | None = None
        try:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                self.request_executor(theirs.fileno())
            finally:
                theirs.close()
            _, executor = await loop.create_unix_connection(lambda: ExecutorConnection(self), sock=ours)
            ready = await asyncio.wait_for(executor.next_frame(), READY_TIMEOUT)
            executor.pid = ready[1]
            executor.counted = True
        except (OSError, ExecutorGone, asyncio.TimeoutError) as exc:
            self.starting -= 1
            self.size -= 1
            if executor is not None:
                executor.close()
            if not self.stopping:
                runtimelog.error(f"error: could not start an executor: {exc or type(exc).__name__}", call=None)
                self.on_start_failure()
            while self.waiters:  # the first call in line gets the error rather than its deadline
                waiter = self.waiters.popleft()[1]
                if not waiter.done():
                    waiter.set_exception(ExecutorGone())
                    break
            self._schedule_refill(failed=True)
            return
        self.starting -= 1
        self.backoff = 0.0
        if self.on_ready is not None:
            self.on_ready()
            self.on_ready = None
        self.release(executor)

    def _refill(self) -> None:
        self.refill_scheduled = False
        while not self.stopping and self.size < self.minimum:
            self._start_one()

    def _schedule_refill(self, failed: bool) -> None:
        if self.stopping or self.refill_scheduled or self.size >= self.minimum:
            return
        if not failed:
            self._refill()
            return
        self.backoff = min(BACKOFF_MAX, self.backoff * 2 if self.backoff else BACKOFF_FIRST)
        self.refill_scheduled = True
        asyncio.get_running_loop().call_later(self.backoff, self._refill)

    # -- ending ----------------------------------------------------------------------------------

    def lost(self, executor: ExecutorConnection) -> None:
        """Its socket closed: it exited, was killed, or crashed."""
        if not executor.counted:
            return
        executor.counted = False
        self.size -= 1
        if executor in self.idle:
            self.idle.remove(executor)
        if self.stopping:
            return
        if any(not w.done() for _, w in self.waiters) and self.size < self.limit:
            self._start_one()
        self._schedule_refill(failed=False)  # it had started: whatever ended it, a new one may start at once

    def retire(self, executor: ExecutorConnection) -> None:
        executor.close()

    def _reap_idle(self) -> None:
        self.reaper = None
        now = asyncio.get_running_loop().time()
        # The oldest idle executors are at the front of the list.
        spare = self.size - self.minimum
        for executor in list(self.idle):
            if spare <= 0:
                break
            if now - executor.idle_since >= self.idle_after:
                self.idle.remove(executor)
                executor.close()
                spare -= 1
        if self.size - spare > self.minimum and self.idle:
            oldest = min(e.idle_since for e in self.idle)
            delay = max(0.05, oldest + self.idle_after - now)
            self.reaper = asyncio.get_running_loop().call_later(delay, self._reap_idle)

    def stop(self) -> None:
        self.stopping = True
        if self.grower is not None:
            self.grower.cancel()
            self.grower = None
        for executor in self.idle:
            executor.close()
        self.idle.clear()

    # -- exit statuses, from the supervisor ------------------------------------------------------

    def exited(self, pid: int, code: int) -> None:
        waiter = self.status_waiters.pop(pid, None)
        if waiter is not None:
            if not waiter.done():
                waiter.set_result(code)
            return
        self.statuses[pid] = code
        while len(self.statuses) > 256:
            self.statuses.popitem(last=False)

    async def exit_status(self, pid: int) -> int | None:
        if pid in self.statuses:
            return self.statuses.pop(pid)
        waiter = asyncio.get_running_loop().create_future()
        self.status_waiters[pid] = waiter
        try:
            return await asyncio.wait_for(waiter, STATUS_WAIT)
        except asyncio.TimeoutError:
            return None
        finally:
            self.status_waiters.pop(pid, None)
