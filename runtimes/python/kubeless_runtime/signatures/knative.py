"""FUNC_SIGNATURE=knative: Knative Functions' Python functions (knative-extensions/func-python; foreign-signatures.md §7).

The function is raw ASGI: FUNC_HANDLER names the module's `new` (a factory, called once at load, whose
object has `async handle(scope, receive, send)` and optionally `start(cfg)`, `stop()`, `alive()`,
`ready()`) or a module-level `async def handle(scope, receive, send)` (func-python's scaffolding
tries `new`, then `handle`). The runtime has read the body already (its limit, its deadline):
`receive()` gives it in one `http.request` message, then waits (as a server does until the client
goes away). What the function `send`s is collected: the answer goes out when `handle` returns, or,
from its first `http.response.body` with `more_body`, streamed chunk by chunk as it sends them.

CloudEvents (func-python's `cloudevent` middleware): a request that is a CloudEvent (a `ce-specversion`
header: binary mode; `application/cloudevents+json`: structured mode) is decoded with the function
author's own `cloudevents` 2.x SDK into `scope["event"]`; `send(event[, status])` and
`send.structured(...)` answer a structured CloudEvent, `send.binary(...)` a binary one, and
`send.http(message)` or `send(message_dict)` a raw ASGI message. func-python picks its middleware
by the template (func.yaml `invoke`); here the request decides, so one adapter serves both.

Lifecycle (lifecycle.py holds the hooks' calls): `start(cfg)` and `stop()` run in the process that
runs the calls: each worker in `worker` isolation, each executor in `call` isolation; `alive()` and
`ready()` decide `/healthz` and `/readyz` (and func-python's own `/health/liveness`,
`/health/readiness`, which `func deploy` probes) in `worker` isolation.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import traceback
from collections.abc import Mapping
from typing import Any

from ..call import BadJson
from ..responses import ConversionError, Reply, Stream, check_start
from ..tracebacks import user_traceback
from . import Request, SignatureError, positional_arity
from .lifecycle import Lifecycle

_CE_STRUCTURED = "application/cloudevents+json"


class _CloudEvents:
    """The function author's cloudevents 2.x SDK: decoding the request, encoding the answer."""

    def __init__(self, http: Any, validation_error: type[BaseException]) -> None:
        self.http = http
        self.invalid = validation_error

    @classmethod
    def load(cls) -> _CloudEvents | None:
        try:  # from the function's own dependencies (KUBELESS_INSTALL_VOLUME), never the image's
            from cloudevents.core import exceptions
            from cloudevents.core.bindings import http
        except ImportError:
            return None
        return cls(http, exceptions.CloudEventValidationError)

    def decode(self, headers: dict[str, str], body: bytes) -> Any:
        try:
            return self.http.from_http_event(self.http.HTTPMessage(headers=headers, body=body))
        except (self.invalid, ValueError, TypeError, KeyError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise BadJson(f"Bad Request: malformed CloudEvent: {reason}".encode("utf-8", "replace")) from None


def _is_cloudevent(request: Request) -> bool:
    return b"ce-specversion" in request.headers or request.media_type() == _CE_STRUCTURED


class Sender:
    """The `send` a Knative function gets: ASGI messages, plus func-python's CloudEvent sender methods."""

    __slots__ = ("_call",)

    def __init__(self, call: AsgiCall) -> None:
        self._call = call

    async def __call__(self, message: Any, status: int = 200) -> None:
        if isinstance(message, Mapping):
            await self._call.message(message)
        else:  # func-python's cloudevent `send(event)`: a structured CloudEvent
            await self.structured(message, status)

    async def http(self, message: Mapping[str, Any]) -> None:
        await self._call.message(message)

    async def structured(self, event: Any, status: int = 200) -> None:
        await self._event(self._encoder().to_structured_event(event), status)

    async def binary(self, event: Any, status: int = 200) -> None:
        await self._event(self._encoder().to_binary_event(event), status)

    def _encoder(self) -> Any:
        try:
            from cloudevents.core.bindings import http
        except ImportError:
            raise RuntimeError(
                "sending a CloudEvent needs the cloudevents 2.x package: add cloudevents to the function's requirements.txt"
            ) from None
        return http

    async def _event(self, message: Any, status: int) -> None:
        headers = [(str(k).encode("latin-1"), str(v).encode("latin-1")) for k, v in message.headers.items()]
        await self._call.message({"type": "http.response.start", "status": status, "headers": headers})
        await self._call.message({"type": "http.response.body", "body": bytes(message.body)})


class AsgiCall:
    """One call of an ASGI `handle`: its scope and receive, and what it sends, as an answer or a stream."""

    __slots__ = (
        "scope", "body", "event_id", "args", "task", "status", "headers", "parts", "complete", "streaming",
        "queue", "wakeup", "taken", "received",
    )

    def __init__(self, scope: dict[str, Any], body: bytes, event_id: str) -> None:
        self.scope = scope
        self.body = body
        self.event_id = event_id
        self.args = (self,)  # the adapter's `entry` takes the call (signatures.bind)
        self.task: asyncio.Task[Any] | None = None
        self.status: int | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.parts: list[bytes] = []  # the body before streaming began
        self.complete = False
        self.streaming = False
        self.queue: collections.deque[tuple[bytes, bool]] = collections.deque()  # chunks while streaming
        self.wakeup = asyncio.Event()
        self.taken = asyncio.Event()
        self.received = False

    # -- what the function calls -------------------------------------------------------------

    async def receive(self) -> dict[str, Any]:
        if not self.received:
            self.received = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        await asyncio.get_running_loop().create_future()  # until the call ends (cancelled)
        return {"type": "http.disconnect"}

    async def message(self, message: Mapping[str, Any]) -> None:
        kind = message.get("type")
        if kind == "http.response.start":
            if self.status is not None:
                raise RuntimeError("Unexpected ASGI message 'http.response.start' sent, after response already started.")
            headers = [(bytes(name).lower(), bytes(value)) for name, value in message.get("headers", ())]
            check_start(message.get("status"), headers)
            self.status = message["status"]
            self.headers = [h for h in headers if h[0] != b"content-length"]  # the runtime frames the body
            return
        if kind != "http.response.body":
            raise RuntimeError(f"Unexpected ASGI message {kind!r}: a Knative function sends http.response.start and http.response.body")
        if self.status is None:
            raise RuntimeError("Expected ASGI message 'http.response.start', but got 'http.response.body'.")
        if self.complete:
            raise RuntimeError("Unexpected ASGI message 'http.response.body' sent, after response already completed.")
        chunk = bytes(message.get("body", b""))
        more = bool(message.get("more_body", False))
        self.complete = not more
        if not self.streaming and not more:
            self.parts.append(chunk)
            return
        self.streaming = True
        self.queue.append((chunk, more))
        self.taken.clear()
        self.wakeup.set()
        if more:  # back-pressure: the next chunk when this one is on its way
            await self.taken.wait()

    # -- what the runtime calls --------------------------------------------------------------

    async def run(self, handle: Any) -> AsgiCall:
        """Run `handle` until it returns, or until its answer starts streaming; then `answer`."""
        task = self.task = asyncio.ensure_future(handle(self.scope, self.receive, Sender(self)))
        task.add_done_callback(lambda _: self.wakeup.set())
        try:
            while not self.streaming and not task.done():
                self.wakeup.clear()
                await self.wakeup.wait()
        except BaseException:
            task.cancel()  # the deadline, or the server shutting down
            raise
        if not self.streaming:
            await task  # ended: its exception, if any, is the function's
        return self

    def answer(self, result: Any) -> Reply | Stream:
        if self.status is None:
            raise ConversionError("the function returned without sending http.response.start")
        if self.streaming:
            return Stream(self.status, self.headers, self._chunks(), True)
        return Reply(self.status, self.headers, b"".join(self.parts))

    def error(self, exc: BaseException) -> Reply | None:
        return None

    async def _chunks(self) -> Any:
        task = self.task
        assert task is not None
        try:
            while True:
                while not self.queue:
                    if task.done():
                        task.result()
                        return
                    self.wakeup.clear()
                    await self.wakeup.wait()
                chunk, more = self.queue.popleft()
                self.taken.set()
                if chunk:
                    yield chunk
                if not more:
                    break
            await task  # the call ends when handle returns
        finally:
            if not task.done():
                task.cancel()


class KnativeAdapter:
    """`new()`'s object, or the bare `handle`; `entry` is what the runtime calls instead of the located function."""

    def __init__(self, settings: Any, function: Any) -> None:
        handle, instance = _locate(function)
        self.handle = handle
        self.lifecycle = Lifecycle(instance)
        self.cloudevents = _CloudEvents.load()

    async def entry(self, call: AsgiCall) -> AsgiCall:
        return await call.run(self.handle)

    def invocation(self, request: Request) -> AsgiCall:
        scope = dict(request.scope)
        scope.setdefault("asgi", {"version": "3.0", "spec_version": "2.3"})
        if self.cloudevents is not None and _is_cloudevent(request):
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.scope["headers"]}
            scope["event"] = self.cloudevents.decode(headers, request.body)  # BadJson: 400, not a call
        return AsgiCall(scope, request.body, request.event_id)


def _is_async(function: Any) -> bool:
    """An `async def`, or an object whose `__call__` is one (an ASGI app instance)."""
    return inspect.iscoroutinefunction(function) or (
        not inspect.isroutine(function) and inspect.iscoroutinefunction(getattr(function, "__call__", None))
    )


def _locate(function: Any) -> tuple[Any, Any]:
    """(the async handle, the object that may have the hooks or None), as func-python's `serve` takes them."""
    if _is_async(function):
        if positional_arity(function) not in (3, None):
            raise SignatureError(
                "with FUNC_SIGNATURE=knative, handle must be async def handle(scope, receive, send)"
            )
        return function, None
    if positional_arity(function) not in (0, None):
        raise SignatureError(
            "with FUNC_SIGNATURE=knative the handler must be new() (returning an object with async "
            "handle(scope, receive, send)) or async def handle(scope, receive, send)"
        )
    try:
        instance = function()
    except Exception as exc:  # noqa: BLE001 - new() failing is a load error, with its traceback
        summary = traceback.format_exception_only(type(exc), exc)[-1].strip()
        raise SignatureError(f"new() raised {summary}\n{user_traceback(exc)}".rstrip()) from None
    handle = getattr(instance, "handle", None)
    if handle is None or not _is_async(handle):
        raise SignatureError(
            "with FUNC_SIGNATURE=knative, new() must return an object with an async handle(scope, receive, send) method"
        )
    return handle, instance
