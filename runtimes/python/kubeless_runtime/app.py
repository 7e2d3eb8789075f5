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
import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .accesslog import AccessLog
from .event import EventTime, FunctionRequest, new_event_id, parse_json
from .invoker import CallTimeout, Invoker, TaskExpiry
from .loader import LoadedFunction
from .metrics import Metrics
from .responses import (
    TEXT_PLAIN,
    ConversionError,
    Reply,
    Stream,
    StarletteResponse,
    check_headers,
    convert,
    encode_chunk,
    is_http_response,
)
from .settings import Settings
from .tracebacks import user_traceback

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_KIND_OTHER, _KIND_JSON = 0, 1
_PREFLIGHT_METHODS = b"GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
_CLOSE = (b"connection", b"close")
_DONE = object()
_ALLOW_ORIGIN = b"access-control-allow-origin"
_CORS_ANY = [(_ALLOW_ORIGIN, b"*")]


def with_cors(headers: list[tuple[bytes, bytes]], cors: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` plus the CORS headers, unless the function set Access-Control-Allow-Origin itself:
    then its own wins (two values make browsers refuse the response)."""
    for name, _ in headers:
        if name == _ALLOW_ORIGIN:
            return headers
    return headers + cors


def _content_kind(content_type: bytes) -> int:
    """JSON for `application/json` and `application/*+json`, whatever the parameters."""
    media = content_type.split(b";", 1)[0].strip().lower()
    if media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json")):
        return _KIND_JSON
    return _KIND_OTHER


TIMEOUT_BODY = b"Timeout while processing the function"


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
        invoker: Invoker,
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
        self._kinds: dict[bytes, int] = {}

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
        if method == "GET":
            path = scope["path"]
            if path == "/healthz":
                await self._send(send, 200, [TEXT_PLAIN], b"OK", cors)
                return
            if path == "/metrics":
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

        content_type = headers.get(b"content-type")
        data: Any = body
        if content_type is not None:
            kind = self._kinds.get(content_type)
            if kind is None:
                kind = _content_kind(content_type)
                if len(self._kinds) < 256:
                    self._kinds[content_type] = kind
            if kind == _KIND_JSON:
                if body:
                    try:
                        data = parse_json(body)
                    except (ValueError, RecursionError) as exc:
                        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                        text = f"Bad Request: malformed JSON body: {reason}".encode("utf-8", "replace")
                        await self._error(scope, send, headers, 400, text, cors)
                        return
                else:
                    data = None

        raw = headers.get(b"event-id")
        event_id = raw.decode("latin-1") if raw is not None else new_event_id()
        raw = headers.get(b"event-type")
        event_type = raw if raw is not None else content_type
        raw = headers.get(b"event-time")
        raw_ns = headers.get(b"event-namespace")
        event = {
            "data": data,
            "event-id": event_id,
            "event-type": event_type.decode("latin-1") if event_type is not None else "",
            "event-time": raw.decode("latin-1") if raw is not None else self.event_time.format(now),
            "event-namespace": raw_ns.decode("latin-1") if raw_ns is not None else "http",
            "extensions": {"request": FunctionRequest(scope, body)},
        }
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
        counters.calls += 1
        metrics.in_flight += 1
        started = time.perf_counter()
        status, size = 500, 0
        try:
            status, size = await self._run(scope, receive, send, event, context, deadline, counters, cors)
        finally:
            metrics.in_flight -= 1
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
        try:
            try:
                if self.is_async_gen:
                    result = self.function(event, context)
                elif self.is_async:
                    # invoker.on_loop, inlined: this is the hottest path of an async function.
                    expiry = TaskExpiry(asyncio.current_task())  # type: ignore[arg-type]
                    bucket = invoker.deadlines.add(deadline, expiry)
                    try:
                        result = await self.function(event, context)
                    except asyncio.CancelledError:
                        if not expiry.expired:
                            raise
                        expiry.task.uncancel()
                        raise CallTimeout() from None
                    finally:
                        bucket.discard(expiry)
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
            return await self._stream(send, answer, deadline, counters, cors, event["event-id"])
        return await self._starlette(scope, receive, send, answer, deadline, counters, cors, event["event-id"])

    async def _stream(
        self, send: Send, answer: Stream, deadline: float, counters: Any, cors: Any, event_id: str
    ) -> tuple[int, int]:
        """Send a generator's chunks as they come; at the deadline or on an error, cut the response."""
        headers = with_cors(answer.headers, cors) if cors else answer.headers
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        size = 0
        iterator = answer.iterator
        try:
            while True:
                if answer.is_async:
                    try:
                        chunk = await self.invoker.on_loop(deadline, iterator.__anext__())
                    except StopAsyncIteration:
                        break
                else:
                    chunk = await self.invoker.in_thread(deadline, next, iterator, _DONE)
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
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return answer.status, size

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
                if not 100 <= message["status"] <= 599:
                    raise ConversionError(f"the response status must be from 100 to 599, got {message['status']!r}")
                check_headers(message.get("headers", ()))
                sent[0] = message["status"]
                sent[2] = True
                if cors:  # added to the message, not the response: a function may reuse its response
                    message = {**message, "headers": with_cors(list(message.get("headers", ())), cors)}
            else:
                sent[1] += len(message.get("body", b""))
            await send(message)

        try:
            await self.invoker.on_loop(deadline, response(scope, receive, counting_send))
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

    @staticmethod
    def _log_error(event_id: str, exc: BaseException, where: str = "") -> None:
        """`error: event-id=ID: ...` and the traceback, in one write so lines do not interleave.

        A `ConversionError` is the runtime's failure to send the result: one line, no traceback
        (shared decision 12)."""
        if isinstance(exc, ConversionError):
            sys.stderr.write(f"error: event-id={event_id}: the function's result cannot be sent: {exc}\n")
            return
        summary = traceback.format_exception_only(type(exc), exc)[-1].strip()
        doing = f" {where}" if where else ""
        sys.stderr.write(f"error: event-id={event_id}: the function raised{doing}: {summary}\n{user_traceback(exc)}")
