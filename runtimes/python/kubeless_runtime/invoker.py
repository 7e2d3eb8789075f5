"""Calling the function with a deadline (CONTRACT §5 "Timeouts").

`def` functions run in a `ThreadPoolExecutor` of FUNC_THREADS threads through
`loop.run_in_executor`-style futures: leaner than anyio's thread pool that Starlette uses, which
matters on the hot path. `async def` functions run on the event loop, in the request's own task.

This is the `worker` isolation (CONTRACT §5); in `call` isolation calls run in executor processes
and only the deadline wheel is used here.

At the deadline the caller gets `CallTimeout` (the app answers 408) and the work is stopped:
an async call is cancelled; a thread gets `FunctionTimeout` raised inside it with
`PyThreadState_SetAsyncExc`, which stops Python bytecode (a runaway loop included) but not a call
blocked in C. A thread that is still busy 1 s later is reported through `on_stuck`, and the
worker asks the supervisor to replace it.

A thread records when it starts a call, for `function_queue_seconds` (`queued`). With
`copy_context` (JSON logs) the call runs in a copy of the request task's context, so what it
prints is written with its call's ids (capture.py); `ThreadPoolExecutor.submit` alone would run it
in the thread's own context.
"""

from __future__ import annotations

import asyncio
import contextvars
import ctypes
import heapq
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

STUCK_AFTER = 1.0  # seconds a timed-out thread may take to stop before its worker is replaced

# Called with explicit ctypes arguments: None must reach C as NULL (clear), not as Py_None.
_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.restype = ctypes.c_int


class CallTimeout(Exception):
    """The call was still running at its deadline."""


class FunctionTimeout(BaseException):
    """Raised inside a `def` call's thread at its deadline.

    A BaseException, like KeyboardInterrupt: `except Exception:` or `except OSError:` in the
    function does not swallow it by accident (TimeoutError is an OSError).
    """


class _NotStarted(Exception):
    """The deadline passed while the call was queued for a thread: it never ran."""


class _Slot(set):  # type: ignore[type-arg]
    """The entries due in one slot of the wheel."""

    __slots__ = ("key",)


class Deadlines:
    """The deadlines of the calls in flight, on a timer wheel of `RESOLUTION`-second slots.

    Adding to and discarding from a slot's set costs almost nothing; arming and cancelling a loop
    timer costs about 4 µs in uvloop, a noticeable part of a request. So there is one loop timer
    for the whole wheel, armed for the earliest slot, and re-armed only when it fires (or when a
    slot earlier than it appears). Entries expire at most `RESOLUTION` late, well inside the 100 ms
    the contract allows for the 408, and never early.

    Memory follows the calls in flight, not FUNC_TIMEOUT: a slot that empties is dropped at once;
    the heap of slot keys may keep the keys of dropped slots for a while, and is compacted when
    they outnumber the live ones.
    """

    RESOLUTION = 0.01

    def __init__(self) -> None:
        self._slots: dict[int, _Slot] = {}
        self._keys: list[int] = []  # a heap of slot keys; some may be of slots already dropped
        self._timer: asyncio.TimerHandle | None = None
        self._timer_key = 0

    def add(self, deadline: float, entry: Any) -> _Slot:
        """Call `entry.expire()` at `deadline`; `remove(slot, entry)` cancels it."""
        key = int(deadline / self.RESOLUTION) + 1
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = _Slot()
            slot.key = key
            heapq.heappush(self._keys, key)
            if self._timer is None or key < self._timer_key:
                self._arm(key)
        slot.add(entry)
        return slot

    def remove(self, slot: _Slot, entry: Any) -> None:
        slot.discard(entry)
        if not slot and self._slots.get(slot.key) is slot:
            del self._slots[slot.key]
            if len(self._keys) > 2 * len(self._slots) + 64:
                self._keys = list(self._slots)
                heapq.heapify(self._keys)

    def __len__(self) -> int:
        return len(self._slots)

    def _arm(self, key: int) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_key = key
        self._timer = asyncio.get_running_loop().call_at(key * self.RESOLUTION, self._fire)

    def _fire(self) -> None:
        self._timer = None
        keys = self._keys
        while keys and keys[0] <= self._timer_key:
            for entry in list(self._slots.pop(heapq.heappop(keys), ())):
                entry.expire()
        while keys and keys[0] not in self._slots:
            heapq.heappop(keys)
        if keys and self._timer is None:
            self._arm(keys[0])


class TaskExpiry:
    """Cancels the request's task at the deadline, remembering that the cancellation is ours."""

    __slots__ = ("task", "expired")

    def __init__(self, task: asyncio.Task[Any]) -> None:
        self.task = task
        self.expired = False

    def expire(self) -> None:
        self.expired = True
        self.task.cancel()


class _ThreadCall:
    """One call's life in a pool thread, with the lock that keeps interruption race-free.

    The interrupting side only raises into the thread while `running` is true under the lock, and
    the thread clears any exception still pending once it leaves the function, so a late
    `FunctionTimeout` can never land in the next call the thread picks up.
    """

    __slots__ = ("fn", "args", "lock", "thread_id", "running", "expired", "invoker", "concurrent", "future", "began")

    def __init__(self, invoker: Invoker, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.invoker = invoker
        self.fn = fn
        self.args = args
        self.lock = threading.Lock()
        self.thread_id = 0
        self.running = False
        self.expired = False
        self.concurrent: Future[Any] | None = None
        self.future: asyncio.Future[Any] | None = None
        self.began = 0.0  # time.monotonic() when a thread started the call

    def run(self) -> Any:
        with self.lock:
            if self.expired:
                raise _NotStarted()
            self.thread_id = threading.get_ident()
            self.began = time.monotonic()
            self.running = True
        try:
            return self.fn(*self.args)
        finally:
            with self.lock:
                self.running = False
                if self.expired:
                    _set_async_exc(ctypes.c_ulong(self.thread_id), None)  # drop one not yet delivered

    def interrupt(self) -> bool:
        """Mark the call expired; raise FunctionTimeout in its thread if it is running. True if it was."""
        with self.lock:
            self.expired = True
            if self.running:
                _set_async_exc(ctypes.c_ulong(self.thread_id), ctypes.py_object(FunctionTimeout))
                return True
            return False

    def expire(self) -> None:
        """The deadline: stop the thread, or make sure the queued call never starts; wake the caller."""
        assert self.future is not None and self.concurrent is not None
        if self.future.done():
            return
        was_running = self.interrupt()
        self.future.cancel()  # also cancels the queued concurrent future, so it never starts
        if was_running:
            self.invoker.watch_stuck(self.concurrent)


class Invoker:
    """Runs calls of the user's function (and of its generators) against a deadline."""

    def __init__(
        self,
        threads: int,
        on_stuck: Callable[[], None],
        queued: Callable[[float], None] | None = None,
        copy_context: bool = False,
    ) -> None:
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="function")
        self.on_stuck = on_stuck
        self.deadlines = Deadlines()
        self.queued = queued
        self.copy_context = copy_context

    async def in_thread(self, deadline: float, fn: Callable[..., Any], *args: Any, since: float = 0.0) -> Any:
        """`fn(*args)` in a pool thread; `deadline` is on the loop's clock. `since` (time.monotonic),
        when given, is the request's arrival: the wait until a thread starts the call is observed."""
        call = _ThreadCall(self, fn, args)
        if self.copy_context:
            call.concurrent = concurrent = self.pool.submit(contextvars.copy_context().run, call.run)
        else:
            call.concurrent = concurrent = self.pool.submit(call.run)
        call.future = future = asyncio.wrap_future(concurrent)
        slot = self.deadlines.add(deadline, call)
        try:
            return await future
        except asyncio.CancelledError:
            if call.expired:
                raise CallTimeout() from None
            # The request itself was cancelled (shutdown past the grace period): stop the thread too.
            if call.interrupt():
                self.watch_stuck(concurrent)
            raise
        except _NotStarted:  # only when the deadline hit between the thread's check and our await
            raise CallTimeout() from None
        finally:
            self.deadlines.remove(slot, call)
            if since and call.began and self.queued is not None:
                self.queued(call.began - since)

    def watch_stuck(self, concurrent: Future[Any]) -> None:
        """A thread was told to stop: if it has not within STUCK_AFTER, report it."""
        asyncio.get_running_loop().call_later(STUCK_AFTER, self._check_stuck, concurrent)

    def _check_stuck(self, concurrent: Future[Any]) -> None:
        if not concurrent.done():
            self.on_stuck()

    async def on_loop(self, deadline: float, awaitable: Any) -> Any:
        """Await `awaitable` in the current task, cancelling it at `deadline`."""
        task = asyncio.current_task()
        assert task is not None
        expiry = TaskExpiry(task)
        slot = self.deadlines.add(deadline, expiry)
        try:
            return await awaitable
        except asyncio.CancelledError:
            if expiry.expired:
                task.uncancel()
                raise CallTimeout() from None
            raise
        finally:
            self.deadlines.remove(slot, expiry)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
