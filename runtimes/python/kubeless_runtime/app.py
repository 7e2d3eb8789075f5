"""The ASGI app a worker serves: /healthz, /metrics, CORS, and every other request to the function.

There is no router and no middleware stack: a function runtime has two fixed paths and one
catch-all, so the app tests the two paths and goes straight to the function. Everything that can
be decided at start-up (header lists, CORS answers, the function's kind) is decided in
`__init__`; per request the app reads the headers once into a dict, reads the body, builds the
event, calls the function and sends the answer in two ASGI messages. Starlette's `Response` is
used where a function returns one; our own answers are sent directly, which is what Starlette's
`Response.__call__` does too, minus the per-response header building.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from . import bigjson
from .accesslog import AccessLog
from .call import BadJson, decode_json, event_id_of, is_json, log_error, make_event
from .event import EventTime
from .invoker import CallTimeout, Invoker
from .loader import LoadedFunction
from .metrics import Metrics
from .responses import (
    APPLICATION_JSON,
    TEXT_PLAIN,
    ConversionError,
    Reply,
    Stream,
    StarletteResponse,
    check_start,
    convert,
    encode_chunk,
    is_http_response,
)
from .settings import Settings

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_PREFLIGHT_METHODS = b"GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
_CLOSE = (b"connection", b"close")
_DONE = object()
BIG_JSON = 1 << 20  # bytes of JSON body decoded in a thread, off the event loop
_ALLOW_ORIGIN = b"access-control-allow-origin"
_CORS_ANY = [(_ALLOW_ORIGIN, b"*")]


def with_cors(headers: list[tuple[bytes, bytes]], cors: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` plus the CORS headers, unless the function set Access-Control-Allow-Origin itself:
    then its own wins (two values make browsers refuse the response)."""
    for name, _ in headers:
        if name == _ALLOW_ORIGIN:
            return headers
    return headers + cors


TIMEOUT_BODY = b"Timeout while processing the function"


async def disconnected(receive: Receive) -> None:
    """Returns when the client has gone away (the request's body has been read already)."""
    while (await receive())["type"] != "http.disconnect":
        pass


def _being_cancelled(exc: BaseException) -> bool:
    """This request's task really is being cancelled (the server is shutting down): let it go.

    A `CancelledError` the function raised itself, with nobody cancelling the task, is an error like
    any other: the contract's 500."""
    return isinstance(exc, asyncio.CancelledError) and asyncio.current_task().cancelling() > 0  # type: ignore[union-attr]


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
    ) -> None:
        self.function = loaded.function
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
                cors = _CORS_ANY  # on every response, with or without Origin, as Kubeless Node's cors()
            elif origin is not None:
                cors = self._allow_origin(origin)
            if origin is not None and method == "OPTIONS" and b"access-control-request-method" in headers:
                await self._preflight(scope, send, headers, cors)
                return
        if method == "GET" or method == "HEAD":
            path = scope["path"]
            if path == "/healthz":  # HEAD: the same head, Content-Length included (uvicorn sends no body)
                await self._send(send, 200, [TEXT_PLAIN], b"OK", cors)
                return
            if path == "/metrics" and method == "GET":
                await self._send(send, 200, [(b"content-type", self.metrics.content_type)], self.metrics.render(), cors)
                return
        await self._call_function(scope, receive, send, headers, cors)

    # -- helpers for the runtime's own answers ---------------------------------------------------

    def _allow_origin(self, origin: bytes) -> list[tuple[bytes, bytes]] | None:
        if origin in self.cors_origins:
            return [(b"access-control-allow-origin", origin), (b"vary", b"Origin")]
        return None

    async def _preflight(
        self, scope: Scope, send: Send, headers: dict[bytes, bytes], cors: list[tuple[bytes, bytes]] | None
    ) -> None:
        answer = [
            (b"access-control-allow-methods", _PREFLIGHT_METHODS),
            (b"access-control-max-age", b"86400"),
        ]
        requested = headers.get(b"access-control-request-headers")
        if requested:
            answer.append((b"access-control-allow-headers", requested))
        await send({"type": "http.response.start", "status": 204, "headers": answer + (cors or [])})
        await send({"type": "http.response.body", "body": b""})
        if self.access_log is not None:
            self.access_log.log(scope, 204, 0, headers.get(b"referer"), headers.get(b"user-agent"))

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

    async def _read_body(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[bytes, bytes], cors: Any, deadline: float
    ) -> bytes | None:
        """The whole body, or None when it was refused (413 or 408 sent) or the client went away.

        Its arrival counts toward the call's deadline (on the loop's clock): a body still incomplete
        then is answered 408 and the function is not called (shared decision 8).
        """
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.body_limit:
            await self._error(scope, send, headers, 413, self.too_large_body, cors, close=True)
            return None
        message = await receive()
        if message.get("more_body", False):  # still arriving: only then is a timer worth arming
            try:
                async with asyncio.timeout_at(deadline):
                    return await self._read_rest(scope, message, receive, send, headers, cors)
            except TimeoutError:
                await self._error(scope, send, headers, 408, TIMEOUT_BODY, cors, close=True)
                return None
        return await self._read_rest(scope, message, receive, send, headers, cors)

    async def _read_rest(
        self,
        scope: Scope,
        message: MutableMapping[str, Any],
        receive: Receive,
        send: Send,
        headers: dict[bytes, bytes],
        cors: Any,
    ) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.body_limit:
                await self._error(scope, send, headers, 413, self.too_large_body, cors, close=True)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)
            message = await receive()

    # -- the function ----------------------------------------------------------------------------

    async def _call_function(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[bytes, bytes], cors: Any
    ) -> None:
        loop = asyncio.get_running_loop()
        arrived = loop.time()
        now = time.time()
        body = await self._read_body(scope, receive, send, headers, cors, arrived + self.timeout)
        if body is None:
            return

        if self.remote is not None:
            await self.remote.call(scope, receive, send, headers, body, cors, arrived, now)
            return

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

        event_id = event_id_of(headers)
        event = make_event(scope, headers, body, data, event_id, self.event_time.format(now))
        context = {
            "function-name": self.function_name,
            "timeout": self.timeout,
            "runtime": self.runtime,
            "memory-limit": self.memory_limit,
            "deadline": now + self.timeout,
        }
        deadline = arrived + self.timeout

        metrics = self.metrics
        counters = metrics.for_method(scope["method"])
        metrics.in_flight += 1
        tracked = self.inflight.add(scope["method"], event_id) if self.inflight is not None else -1
        started = time.perf_counter()
        status, size = 500, 0
        try:
            status, size = await self._run(scope, receive, send, event, context, deadline, counters, cors)
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
        False for one that never reached the function), and its access-log line."""
        self.metrics.in_flight -= 1
        if tracked >= 0:
            self.inflight.remove(tracked)
        if counted:
            counters.calls += 1
            counters.observe(time.perf_counter() - started)
        if self.access_log is not None:
            self.access_log.log(scope, status, size, headers.get(b"referer"), headers.get(b"user-agent"))

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        event: dict[str, Any],
        context: dict[str, Any],
        deadline: float,
        counters: Any,
        cors: Any,
    ) -> tuple[int, int]:
        """Call the function and send its answer; returns (status, body bytes) for the access log."""
        invoker = self.invoker
        assert invoker is not None
        try:
            try:
                if self.is_async_gen:
                    result = self.function(event, context)
                elif self.is_async:
                    result = await invoker.on_loop(deadline, self.function(event, context))
                else:
                    result = await invoker.in_thread(deadline, self.function, event, context)
                    if hasattr(result, "__await__"):  # e.g. a sync wrapper around a coroutine
                        result = await invoker.on_loop(deadline, result)
            except CallTimeout:
                raise
            except asyncio.CancelledError:
                raise
            except BaseException as exc:
                if not is_http_response(exc):
                    raise
                result = exc  # bottle.abort() and raised HTTPResponses set a status
            if (type(result) is list or type(result) is dict) and bigjson.is_big(result):
                answer = await self._big_json(result)  # in batches, in a thread: the loop keeps running
            else:
                answer = convert(result)
        except CallTimeout:
            counters.timeouts += 1
            counters.failures += 1
            return await self._send_error(send, 408, TIMEOUT_BODY, cors)
        except BaseException as exc:
            if _being_cancelled(exc):
                raise
            counters.failures += 1
            self._log_error(event["event-id"], exc)
            return await self._send_error(send, 500, internal_error_body(event["event-id"]), cors)

        if type(answer) is Reply:
            await self._send(send, answer.status, answer.headers, answer.body, cors)
            return answer.status, len(answer.body)
        if type(answer) is Stream:
            return await self._stream(send, receive, answer, deadline, counters, cors, event["event-id"])
        return await self._starlette(scope, receive, send, answer, deadline, counters, cors, event["event-id"])

    async def _stream(
        self, send: Send, receive: Receive, answer: Stream, deadline: float, counters: Any, cors: Any, event_id: str
    ) -> tuple[int, int]:
        """Send a generator's chunks as they come; at the deadline or on an error, cut the response.

        When the client goes away the generator is stopped: an async one is cancelled where it
        waits, a sync one is closed as soon as its thread hands back the chunk it is making.
        """
        invoker = self.invoker
        assert invoker is not None
        headers = with_cors(answer.headers, cors) if cors else answer.headers
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        size = 0
        iterator = answer.iterator
        gone = asyncio.ensure_future(disconnected(receive))
        try:
            while True:
                if answer.is_async:
                    step = asyncio.ensure_future(invoker.on_loop(deadline, iterator.__anext__()))
                else:
                    step = asyncio.ensure_future(invoker.in_thread(deadline, next, iterator, _DONE))
                await asyncio.wait((step, gone), return_when=asyncio.FIRST_COMPLETED)
                if not step.done():  # the client went away
                    if answer.is_async:
                        step.cancel()
                        step.add_done_callback(lambda _: self._close_quietly(iterator, True))
                    else:
                        step.add_done_callback(lambda _: invoker.pool.submit(self._close_quietly, iterator, False))
                    return answer.status, size
                try:
                    chunk = step.result()
                except StopAsyncIteration:
                    break
                if chunk is _DONE:
                    break
                chunk = encode_chunk(chunk)
                if chunk:
                    size += len(chunk)
                    await send({"type": "http.response.body", "body": bytes(chunk), "more_body": True})
        except CallTimeout:
            counters.timeouts += 1
            counters.failures += 1
            sys.stderr.write(f"error: event-id={event_id}: the streamed response was cut at the deadline\n")
            self._close_quietly(iterator, answer.is_async)
            return answer.status, size  # returning without the last chunk makes uvicorn close the connection
        except BaseException as exc:  # raised by the generator, or a chunk that cannot be sent
            if _being_cancelled(exc):
                raise
            counters.failures += 1
            self._log_error(event_id, exc, "while streaming its response")
            self._close_quietly(iterator, answer.is_async)
            return answer.status, size
        finally:
            gone.cancel()
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return answer.status, size

    @staticmethod
    async def _big_json(result: Any) -> Reply:
        try:
            body = await asyncio.get_running_loop().run_in_executor(None, bigjson.encode, result)
        except (TypeError, ValueError) as exc:
            raise ConversionError(f"the function returned a value that is not JSON-serialisable: {exc}") from None
        return Reply(200, [APPLICATION_JSON], body)

    async def _shut_down_before_the_end(self, send: Send, event_id: str, cors: Any) -> tuple[int, int]:
        """CONTRACT §8: a call still running when the grace period ends is answered 503."""
        sys.stderr.write(f"error: event-id={event_id}: the runtime shut down before the call ended\n")
        text = f"Service Unavailable: the runtime shut down before the call ended (event-id: {event_id})".encode()
        try:
            await self._send(send, 503, [TEXT_PLAIN], text, cors, close=True)
        except Exception:  # noqa: BLE001 - its response had started (a stream): it is cut instead
            return 503, 0
        return 503, len(text)

    @staticmethod
    def _close_quietly(iterator: Any, is_async: bool) -> None:
        if is_async and hasattr(iterator, "aclose"):
            task = asyncio.ensure_future(iterator.aclose())
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
        elif not is_async and hasattr(iterator, "close"):
            try:
                iterator.close()
            except Exception:  # noqa: S110 - still running in a thread being interrupted: leave it
                pass

    async def _starlette(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        response: StarletteResponse,
        deadline: float,
        counters: Any,
        cors: Any,
        event_id: str,
    ) -> tuple[int, int]:
        """A Starlette Response from the function, sent by Starlette, under the same deadline."""
        sent = [response.status_code, 0, False]

        async def counting_send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                check_start(message["status"], message.get("headers", ()))
                sent[0] = message["status"]
                sent[2] = True
                if cors:  # added to the message, not the response: a function may reuse its response
                    message = {**message, "headers": with_cors(list(message.get("headers", ())), cors)}
            else:
                sent[1] += len(message.get("body", b""))
            await send(message)

        try:
            await self.invoker.on_loop(deadline, response(scope, receive, counting_send))  # type: ignore[union-attr]
        except CallTimeout:
            counters.timeouts += 1
            counters.failures += 1
            if sent[2]:
                sys.stderr.write(f"error: event-id={event_id}: the streamed response was cut at the deadline\n")
                return sent[0], sent[1]
            return await self._send_error(send, 408, TIMEOUT_BODY, cors)
        except BaseException as exc:
            if _being_cancelled(exc):
                raise
            counters.failures += 1
            self._log_error(event_id, exc, "while sending its response")
            if sent[2]:
                return sent[0], sent[1]
            return await self._send_error(send, 500, internal_error_body(event_id), cors)
        return sent[0], sent[1]

    async def _send_error(self, send: Send, status: int, body: bytes, cors: Any, close: bool = False) -> tuple[int, int]:
        """One of the contract's one-line error answers; returns what the access log records.

        `_error` sends and logs in one go, for requests the function never saw."""
        await self._send(send, status, [TEXT_PLAIN], body, cors, close)
        return status, len(body)

    _log_error = staticmethod(log_error)
