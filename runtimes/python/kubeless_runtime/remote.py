"""One call in an executor process (CONTRACT §5, `call` isolation), seen from the worker.

The worker has read the request; it sends it to an executor, turns the executor's frames into
ASGI messages, and keeps the counts, whatever happens to the executor:
- the deadline (the wait for a free executor included): the executor is SIGKILLed and the call
  answered 408, or its stream cut;
- the executor dies (a crash, a signal, `os._exit`, `sys.exit`, the OOM killer): 500 with the
  contract's body, and one stderr line with the event id and how it died; a new executor is
  started by the pool;
- the client of a streamed answer goes away: the executor gets SIGUSR1, stops the generator where
  it is and closes it;
- the worker is shutting down past the grace period (uvicorn cancels the call): 503.

The call's trace context is made here (app.py, at the request's arrival) and sent in the call's
frame, so the executor's output records carry the same ids as this worker's access record. The
executor says when it started the function in its first answer frame; the worker observes the
queue time from that (when no frame came, from when it handed the call over).
"""

from __future__ import annotations

import asyncio
import signal
import time
from typing import TYPE_CHECKING, Any

from . import runtimelog
from .cors import with_cors
from .executor_pool import ExecutorConnection, ExecutorGone, ExecutorPool, describe_exit
from .invoker import Deadlines, TaskExpiry
from .responses import TEXT_PLAIN
from .sending import cut_at_the_deadline, disconnected
from .tracecontext import Trace

if TYPE_CHECKING:
    from .app import FunctionApp, Receive, Scope, Send


class RemoteCaller:
    def __init__(self, app: FunctionApp, pool: ExecutorPool, deadlines: Deadlines) -> None:
        self.app = app
        self.pool = pool
        self.deadlines = deadlines

    async def call(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[bytes, bytes],
        body: bytes,
        cors: Any,
        arrived: float,
        now: float,
        since: float,
        event_id: str,
        trace: Trace,
    ) -> None:
        app = self.app
        deadline = arrived + app.timeout
        request = (
            "c",
            event_id,
            app.event_time.format(now),
            now + app.timeout,
            (
                scope["method"], scope["path"], scope.get("raw_path"), scope["query_string"], scope.get("client"),
                scope.get("server"), scope.get("scheme", "http"), scope.get("http_version", "1.1"),
                scope.get("root_path", ""),
            ),
            scope["headers"],
            body,
            tuple(trace),
        )
        metrics = app.metrics
        counters = metrics.for_method(scope["method"])
        metrics.in_flight += 1
        tracked = app.inflight.add(scope["method"], event_id, trace) if app.inflight is not None else -1
        started = time.perf_counter()
        status, size, counted = 500, 0, True
        task = asyncio.current_task()
        assert task is not None
        expiry = TaskExpiry(task)
        slot = self.deadlines.add(deadline, expiry)
        executor: ExecutorConnection | None = None
        state = _State()
        try:
            try:
                executor = self.pool.take() or await self.pool.wait()
                executor.send(request)
                state.handed = time.monotonic()
                status, size, counted = await self._answer(executor, send, receive, counters, cors, event_id, state)
            except asyncio.CancelledError:
                if executor is not None:
                    executor.kill()
                    executor = None
                if not expiry.expired:  # uvicorn ends calls still running when the grace period is over
                    counters.failures += 1
                    status, size = await app._shut_down_before_the_end(send, event_id, cors)
                    return
                task.uncancel()
                counters.timeouts += 1
                counters.failures += 1
                if state.started:
                    cut_at_the_deadline(event_id)
                    status, size = state.status, state.size
                else:
                    await app._send(send, 408, [TEXT_PLAIN], app.timeout_body, cors)
                    status, size = 408, len(app.timeout_body)
            except ExecutorGone:
                dead = executor
                executor = None
                code = None
                if dead is not None and dead.pid:
                    try:
                        code = await self.pool.exit_status(dead.pid)
                    except asyncio.CancelledError:  # its deadline came while waiting for the status
                        if not expiry.expired:
                            raise
                        task.uncancel()
                counters.failures += 1
                runtimelog.error(f"error: event-id={event_id}: the call's executor died ({describe_exit(code)})")
                if state.started:
                    status, size = state.status, state.size
                else:
                    text = app.internal_error(event_id)
                    await app._send(send, 500, [TEXT_PLAIN], text, cors)
                    status, size = 500, len(text)
        finally:
            if state.handed:  # the function started (the executor said when, or it was handed the call)
                metrics.queue.observe((state.began or state.handed) - since)
            self.deadlines.remove(slot, expiry)
            if executor is not None:
                if state.retire:
                    self.pool.retire(executor)
                else:
                    self.pool.release(executor)
            app.call_ended(scope, headers, tracked, counters, started, status, size, counted)

    async def _answer(
        self,
        executor: ExecutorConnection,
        send: Send,
        receive: Receive,
        counters: Any,
        cors: Any,
        event_id: str,
        state: _State,
    ) -> tuple[int, int, bool]:
        """Send what the executor answers; returns (status, size, whether it counts as a call)."""
        app = self.app
        message = await executor.next_frame()
        kind = message[0]
        if kind == "r":
            _, status, headers, body, state.began = message
            await app._send(send, status, headers, body, cors)
            return status, len(body), True
        if kind == "f":  # a signature's answer that counts as a failure
            _, status, headers, body, state.began = message
            counters.failures += 1
            await app._send(send, status, headers, body, cors)
            return status, len(body), True
        if kind == "err":
            counters.failures += 1
            state.retire, state.began = message[1], message[2]
            text = app.internal_error(event_id)
            await app._send(send, 500, [TEXT_PLAIN], text, cors)
            return 500, len(text), True
        if kind == "bad":
            state.handed = 0.0  # the function was not called
            await app._send(send, 400, [TEXT_PLAIN], message[1], cors)
            return 400, len(message[1]), False
        if kind == "s" or kind == "a":  # its first frame says when the function started
            state.began = message[-1]
            message = message[:-1]
        # A stream ("s" then chunks) or a Starlette Response ("a" messages), then ("e", outcome).
        watcher = asyncio.ensure_future(disconnected(receive))
        gone = False
        try:
            while message[0] != "e":
                if not gone:
                    await self._forward(message, send, cors, state)
                    if watcher.done():
                        gone = True
                        executor.signal(signal.SIGUSR1)
                if gone or executor.frames:
                    message = await executor.next_frame()
                    continue
                following = asyncio.ensure_future(executor.next_frame())
                try:
                    await asyncio.wait((following, watcher), return_when=asyncio.FIRST_COMPLETED)
                except asyncio.CancelledError:
                    following.cancel()
                    raise
                if not following.done():  # the client went away while the generator was busy
                    gone = True
                    executor.signal(signal.SIGUSR1)
                message = await following
        finally:
            watcher.cancel()
        outcome = message[1]
        if outcome == "error":
            counters.failures += 1
            if not state.started:
                text = app.internal_error(event_id)
                await app._send(send, 500, [TEXT_PLAIN], text, cors)
                return 500, len(text), True
            return state.status, state.size, True  # cut: no last chunk, uvicorn closes the connection
        if not gone and not state.ended:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        return state.status, state.size, True

    @staticmethod
    async def _forward(message: Any, send: Send, cors: Any, state: _State) -> None:
        kind = message[0]
        if kind == "c":
            state.size += len(message[1])
            await send({"type": "http.response.body", "body": message[1], "more_body": True})
        elif kind == "s":
            state.started, state.status = True, message[1]
            headers = with_cors(message[2], cors) if cors else message[2]
            await send({"type": "http.response.start", "status": message[1], "headers": headers})
        elif kind == "a":
            asgi = message[1]
            if asgi["type"] == "http.response.start":
                state.started, state.status = True, asgi["status"]
                if cors:
                    asgi["headers"] = with_cors(list(asgi.get("headers", ())), cors)
            elif asgi["type"] == "http.response.body":
                state.size += len(asgi.get("body", b""))
                if not asgi.get("more_body", False):
                    state.ended = True
            await send(asgi)


class _State:
    __slots__ = ("started", "status", "size", "ended", "retire", "handed", "began")

    def __init__(self) -> None:
        self.handed = 0.0  # time.monotonic() when an executor was given the call
        self.began = 0.0  # time.monotonic() when the executor started the function (its first frame)
        self.started = False
        self.status = 500
        self.size = 0
        self.ended = False
        self.retire = False

