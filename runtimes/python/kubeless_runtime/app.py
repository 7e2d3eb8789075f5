"""The ASGI app a worker serves: /healthz, /readyz, /metrics, CORS, and every other request to the function.

There is no router and no middleware stack: a function runtime has three fixed paths and one
catch-all, so the app tests the paths and goes straight to the function. Everything that can
be decided at start-up (header lists, CORS answers, the function's kind) is decided in
`__init__`; per request the app reads the headers once into a dict, reads the body, builds the
event, calls the function and sends the answer in two ASGI messages. Starlette's `Response` is
used where a function returns one; our own answers are sent directly, which is what Starlette's
`Response.__call__` does too, minus the per-response header building.

Per request to the function, at its arrival: the in-flight limit (only when `FUNC_MAX_INFLIGHT` is
set: 429 at once, readiness.py), its event id and trace context (tracecontext.py), and with
`FUNC_LOG_FORMAT=json` the call its log records belong to (capture.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from . import bigjson, runtimelog, sending
from .accesslog import AccessLog
from .body import read_body
from .call import BadJson, decode_json, event_id_of, is_json, log_error, make_context, make_event
from .capture import CallLog, current, end
from .cors import ANY as CORS_ANY, allow, preflight, with_cors
from .event import EventTime
from .invoker import CallTimeout, Invoker
from .loader import LoadedFunction
from .metrics import Metrics
from .readiness import Readiness
from .responses import TEXT_PLAIN, ConversionError, Reply, Stream, convert, is_http_response
from .sending import being_cancelled
from .settings import Settings
from .signatures import FailedAnswer, Request, bind
from .tracecontext import trace_of

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_CLOSE = (b"connection", b"close")
_RETRY_AFTER = (b"retry-after", b"1")
BIG_JSON = 1 << 20  # bytes of JSON body decoded in a thread, off the event loop


TIMEOUT_BODY = b"Timeout while processing the function"


def internal_error_body(event_id: str) -> bytes:
    """The 500 body names the event id so a user can find the traceback in the logs."""
    return f"Internal Server Error (event-id: {event_id})".encode("utf-8", "replace")


class FunctionApp:
    """The ASGI 3 application of one worker."""

    def __init__(
        self,
        settings: Settings,
        loaded: LoadedFunction,
        invoker: Invoker | None,
        metrics: Metrics,
        access_log: AccessLog | None,
        readiness: Readiness | None = None,
    ) -> None:
        self.adapter = loaded.adapter  # FUNC_SIGNATURE's (signatures/); None: the contract's event and context
        # Called as function(event, context) either way: with a signature, as (invocation, None) (signatures.bind).
        self.function = loaded.function if self.adapter is None else bind(loaded.function, loaded.is_async, self.adapter)
        self.is_async = loaded.is_async
        self.is_async_gen = loaded.is_async_gen
        self.invoker = invoker
        self.metrics = metrics
        self.access_log = access_log
        self.timeout = settings.timeout
        self.body_limit = settings.body_limit
        self.function_name = settings.function_name
        self.runtime = settings.runtime
        self.memory_limit = settings.memory_limit
        self.event_time = EventTime()
        self.timeout_body = TIMEOUT_BODY
        self.internal_error = internal_error_body
        self.remote: Any = None  # a RemoteCaller in `call` isolation: calls go to executor processes
        self.inflight: Any = None  # an InFlight table in `worker` isolation: what is lost if this worker dies

        self.cors_on = settings.cors_origins is not None
        self.cors_any = settings.cors_origins == frozenset({"*"})
        self.cors_origins = frozenset(o.encode("latin-1") for o in settings.cors_origins or ())

        self.too_large_body = f"Request body too large: the limit is {self.body_limit} bytes".encode()
        self.readiness = readiness if readiness is not None else Readiness(settings.max_inflight, set(), lambda _: None)
        self.limited = settings.max_inflight > 0
        self.active = 0  # requests to the function in flight; counted only when limited
        self.json_logs = settings.log_format == "json"

    # -- ASGI entry point ------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # lifespan is off and websockets are not served: nothing else reaches us
        method = scope["method"]
        headers = dict(scope["headers"])
        cors = None
        if self.cors_on:
            origin = headers.get(b"origin")
            if self.cors_any:
                cors = CORS_ANY  # on every response, with or without Origin, as Kubeless Node's cors()
            elif origin is not None:
                cors = allow(self.cors_origins, origin)
            if origin is not None and method == "OPTIONS" and b"access-control-request-method" in headers:
                await preflight(send, headers, cors)
                if self.access_log is not None:
                    self.access_log.log(scope, 204, 0, headers.get(b"referer"), headers.get(b"user-agent"))
                return
        if method == "GET" or method == "HEAD":
            path = scope["path"]
            if path == "/healthz":  # HEAD: the same head, Content-Length included (uvicorn sends no body)
                await self._send(send, 200, [TEXT_PLAIN], b"OK", cors)
                return
            if path == "/readyz":
                status, body = self.readiness.answer(self.active)
                await self._send(send, status, [TEXT_PLAIN], body, cors)
                return
            if path == "/metrics" and method == "GET":
                await self._send(send, 200, [(b"content-type", self.metrics.content_type)], self.metrics.render(), cors)
                return
        if self.limited:
            await self._limited(scope, receive, send, headers, cors)
        else:
            await self._call_function(scope, receive, send, headers, cors)

    # -- helpers for the runtime's own answers ---------------------------------------------------

    @staticmethod
    async def _send(
        send: Send,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        cors: list[tuple[bytes, bytes]] | None,
        close: bool = False,
    ) -> None:
        if status >= 200 and status != 204 and status != 304:
            out = headers + [(b"content-length", str(len(body)).encode("latin-1"))]
        else:  # no body and no Content-Length may go with these (RFC 9110 §8.6)
            out, body = list(headers), b""
        if cors is not None:
            out = with_cors(out, cors)
        if close:
            out.append(_CLOSE)
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": body})

    async def _error(
        self,
        scope: Scope,
        send: Send,
        headers: dict[bytes, bytes],
        status: int,
        text: bytes,
        cors: list[tuple[bytes, bytes]] | None,
        close: bool = False,
    ) -> None:
        await self._send_error(send, status, text, cors, close)
        if self.access_log is not None:
            self.access_log.log(scope, status, len(text), headers.get(b"referer"), headers.get(b"user-agent"))

    # -- the function ----------------------------------------------------------------------------

    async def _limited(self, scope: Scope, receive: Receive, send: Send, headers: dict[bytes, bytes], cors: Any) -> None:
        """FUNC_MAX_INFLIGHT: a request over the limit is answered 429 at once, before its body is read."""
        if self.active >= self.readiness.limit:
            self.metrics.reject(scope["method"])
            if self.json_logs:  # its access record carries the ids it would have had
                current.set(CallLog(event_id_of(headers), trace_of(headers, scope["headers"])))
            unread = b"transfer-encoding" in headers or headers.get(b"content-length", b"0") != b"0"
            text = self.readiness.too_many
            await self._send(send, 429, [TEXT_PLAIN, _RETRY_AFTER], text, cors, close=unread)
            if self.access_log is not None:
                self.access_log.log(scope, 429, len(text), headers.get(b"referer"), headers.get(b"user-agent"))
            return
        self.active += 1
        try:
            await self._call_function(scope, receive, send, headers, cors)
        finally:
            self.active -= 1

    async def _call_function(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[bytes, bytes], cors: Any
    ) -> None:
        loop = asyncio.get_running_loop()
        arrived = loop.time()
        now = time.time()
        since = time.monotonic()  # the queue time's start: CLOCK_MONOTONIC, the same in an executor
        event_id = event_id_of(headers)
        trace = trace_of(headers, scope["headers"])
        if self.json_logs:
            current.set(CallLog(event_id, trace))  # this request's task, and what it hands work to
        body = await read_body(self, scope, receive, send, headers, cors, arrived + self.timeout)
        if body is None:
            return

        if self.remote is not None:
            await self.remote.call(scope, receive, send, headers, body, cors, arrived, now, since, event_id, trace)
            return

        invocation = None
        if self.adapter is None:
            data: Any = body
            if is_json(headers.get(b"content-type")):
                try:
                    if len(body) < BIG_JSON:
                        data = decode_json(body)
                    else:  # a big body would stall every other request on this loop (and /healthz)
                        data = await loop.run_in_executor(None, decode_json, body)
                except BadJson as exc:
                    await self._error(scope, send, headers, 400, exc.text, cors)
                    return
            event = make_event(scope, headers, body, data, event_id, self.event_time.format(now))
            context = make_context(self.function_name, self.timeout, self.runtime, self.memory_limit, now + self.timeout, trace)
        else:  # FUNC_SIGNATURE: the adapter makes the function's arguments, and later its answer
            try:
                invocation = self.adapter.invocation(Request(scope, headers, body, event_id, now, now + self.timeout, trace))
            except BadJson as exc:
                await self._error(scope, send, headers, 400, exc.text, cors)
                return
            event, context = invocation, None
        deadline = arrived + self.timeout

        metrics = self.metrics
        counters = metrics.for_method(scope["method"])
        metrics.in_flight += 1
        tracked = self.inflight.add(scope["method"], event_id, trace) if self.inflight is not None else -1
        started = time.perf_counter()
        status, size = 500, 0
        try:
            status, size = await self._run(scope, receive, send, event, context, invocation, event_id, deadline, counters, cors, since)
        except asyncio.CancelledError as exc:
            counters.failures += 1
            task = asyncio.current_task()
            if task is not None and task.cancelling():  # uvicorn ends the calls still running after the grace period
                status, size = await self._shut_down_before_the_end(send, event_id, cors)
            else:  # the function raised CancelledError itself: an error like any other
                self._log_error(event_id, exc)
                status, size = await self._send_error(send, 500, internal_error_body(event_id), cors)
        finally:
            self.call_ended(scope, headers, tracked, counters, started, status, size)

    def call_ended(
        self, scope: Scope, headers: dict[bytes, bytes], tracked: int, counters: Any, started: float,
        status: int, size: int, counted: bool = True,
    ) -> None:
        """A call's end, in this process or in an executor: out of the in-flight gauge and table,
        counted (when it ends: a call lost with its worker is counted by the supervisor; `counted`
        False for one that never reached the function), its partial output lines, its access-log line."""
        self.metrics.in_flight -= 1
        if tracked >= 0:
            self.inflight.remove(tracked)
        if counted:
            counters.calls += 1
            counters.observe(time.perf_counter() - started)
        if self.json_logs:
            call = current.get()
            if call is not None:
                end(call)
        if self.access_log is not None:
            self.access_log.log(scope, status, size, headers.get(b"referer"), headers.get(b"user-agent"))

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        event: Any,
        context: Any,
        invocation: Any,
        event_id: str,
        deadline: float,
        counters: Any,
        cors: Any,
        since: float,
    ) -> tuple[int, int]:
        """Call the function and send its answer; returns (status, body bytes) for the access log.

        `event`, `context`: the contract's; with a signature, the adapter's `invocation` and None (the
        function is then `signatures.bind`'s wrapper), and `invocation` turns the result into the
        answer. `since`: the request's arrival (time.monotonic), for the queue time up to the function's start."""
        invoker = self.invoker
        assert invoker is not None
        try:
            try:
                if self.is_async_gen:
                    self.metrics.queue.observe(time.monotonic() - since)
                    result = self.function(event, context)
                elif self.is_async:
                    self.metrics.queue.observe(time.monotonic() - since)
                    result = await invoker.on_loop(deadline, self.function(event, context))
                else:  # the invoker observes the queue time when a thread starts the call
                    result = await invoker.in_thread(deadline, self.function, event, context, since=since)
                    if hasattr(result, "__await__"):  # e.g. a sync wrapper around a coroutine
                        result = await invoker.on_loop(deadline, result)
            except CallTimeout:
                raise
            except asyncio.CancelledError:
                raise
            except BaseException as exc:
                if invocation is not None or not is_http_response(exc):
                    raise
                result = exc  # bottle.abort() and raised HTTPResponses set a status
            if invocation is not None:
                answer = invocation.answer(result)
            elif (type(result) is list or type(result) is dict) and bigjson.is_big(result):
                answer = await sending.big_json(result)  # in batches, in a thread: the loop keeps running
            else:
                answer = convert(result)
        except CallTimeout:
            counters.timeouts += 1
            counters.failures += 1
            return await self._send_error(send, 408, TIMEOUT_BODY, cors)
        except FailedAnswer as exc:  # a signature's answer that counts as a failure (Lambda 1.0's 502)
            counters.failures += 1
            runtimelog.error(exc.line)
            answer = exc.reply
        except BaseException as exc:
            if being_cancelled(exc):
                raise
            counters.failures += 1
            self._log_error(event_id, exc)
            reply = invocation.error(exc) if invocation is not None and not isinstance(exc, ConversionError) else None
            if reply is None:
                return await self._send_error(send, 500, internal_error_body(event_id), cors)
            answer = reply  # a signature's answer to an exception (the Lambda invoke endpoint's)

        if type(answer) is Reply:
            await self._send(send, answer.status, answer.headers, answer.body, cors)
            return answer.status, len(answer.body)
        if type(answer) is Stream:
            return await sending.stream(self, send, receive, answer, deadline, counters, cors, event_id)
        return await sending.starlette(self, scope, receive, send, answer, deadline, counters, cors, event_id)

    async def _shut_down_before_the_end(self, send: Send, event_id: str, cors: Any) -> tuple[int, int]:
        """CONTRACT §8: a call still running when the grace period ends is answered 503."""
        runtimelog.error(f"error: event-id={event_id}: the runtime shut down before the call ended")
        text = f"Service Unavailable: the runtime shut down before the call ended (event-id: {event_id})".encode()
        try:
            await self._send(send, 503, [TEXT_PLAIN], text, cors, close=True)
        except Exception:  # noqa: BLE001 - its response had started (a stream): it is cut instead
            return 503, 0
        return 503, len(text)

    async def _send_error(self, send: Send, status: int, body: bytes, cors: Any, close: bool = False) -> tuple[int, int]:
        """One of the contract's one-line error answers; returns what the access log records.

        `_error` sends and logs in one go, for requests the function never saw."""
        await self._send(send, status, [TEXT_PLAIN], body, cors, close)
        return status, len(body)

    _log_error = staticmethod(log_error)
