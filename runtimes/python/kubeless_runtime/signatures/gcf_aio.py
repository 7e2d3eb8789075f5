"""FUNC_SIGNATURE=gcf, the Starlette kinds: `@functions_framework.aio.http` / `.aio.cloud_event`
(functions-framework-python `aio/__init__.py`). Starlette is the runtime's own stack.

- `http`: `function(request)` with a `starlette.requests.Request` (def in a thread, async def
  awaited). The result as `_http_func_wrapper` answers it: a str → `Response(str)` (no
  Content-Type), a dict → `JSONResponse`, `(content, status)` → the same with that status, a
  Starlette `Response` as it is, None → `500` `No response returned` (text/plain, as Starlette
  answers its HTTPException); anything else is the contract's 500 "cannot be sent". `GET`
  `/robots.txt` and `/favicon.ico` are `404` `Not Found` without calling the function.
- `cloudevent`: POST only (another method: `405`); `from_http(request.headers, body)`,
  `function(event)`, then `Response("OK")`. A request that is not a CloudEvent is `400`
  `Bad Request: Got CloudEvent exception: …` (text/plain).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse, PlainTextResponse, Response

from ..call import BadJson
from ..responses import ConversionError
from . import Request
from .gcf import CLOUDEVENT, crash_reply, import_cloudevents

NOT_FOUND_PATHS = frozenset({"/robots.txt", "/favicon.ico"})


def http_answer(result: Any) -> Response:
    if isinstance(result, str):
        return Response(result)
    if isinstance(result, dict):
        return JSONResponse(result)
    if isinstance(result, tuple) and len(result) == 2:
        content, status = result
        return JSONResponse(content, status_code=status) if isinstance(content, dict) else Response(content, status_code=status)
    if result is None:
        return PlainTextResponse("No response returned", status_code=500)
    if isinstance(result, Response):
        return result
    raise ConversionError(f"the function returned a {type(result).__name__}, which the Functions Framework does not answer")


class _Invocation:
    """`reply`: the framework's own answer, for a request its routes do not give the function."""

    __slots__ = ("args", "event_id", "reply")

    def __init__(self, args: tuple[Any, ...], event_id: str, reply: Response | None = None) -> None:
        self.args = args
        self.event_id = event_id
        self.reply = reply

    def answer(self, result: Any) -> Response:
        return http_answer(result)

    def error(self, exc: BaseException) -> Any:
        return crash_reply(self.event_id)


class _EventInvocation(_Invocation):
    __slots__ = ()

    def answer(self, result: Any) -> Response:
        if self.reply is not None:
            return self.reply
        return Response("OK")  # the function's result is ignored


def _receiver(body: bytes) -> Callable[[], Any]:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:  # the body was read: from now on, as a server says it, the client is gone
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


class GcfAioAdapter:
    def __init__(self, settings: Any, function: Callable[..., Any], kind: str) -> None:
        self.from_http = import_cloudevents().from_http if kind == CLOUDEVENT else None

    def bind(self, function: Callable[..., Any], is_async: bool) -> Callable[..., Any]:
        """As signatures.bind, but a request the framework answers itself never reaches the function."""
        if is_async:

            async def call_async(invocation: _Invocation, _: None) -> Any:
                if invocation.reply is not None:
                    return invocation.reply
                return await function(*invocation.args)

            return call_async

        def call(invocation: _Invocation, _: None) -> Any:
            if invocation.reply is not None:
                return invocation.reply
            return function(*invocation.args)

        return call

    def invocation(self, request: Request) -> _Invocation:
        scope = request.scope
        if self.from_http is None:
            if scope["method"] in ("GET", "HEAD") and scope["path"] in NOT_FOUND_PATHS:
                return _Invocation((), request.event_id, PlainTextResponse("Not Found", status_code=404))
            return _Invocation((StarletteRequest(scope, _receiver(request.body)),), request.event_id)
        if scope["method"] != "POST":
            return _EventInvocation((), request.event_id, PlainTextResponse(
                "Method Not Allowed", status_code=405, headers={"Allow": "POST"}))
        try:
            event = self.from_http(Headers(raw=scope["headers"]), request.body)
        except Exception as exc:  # noqa: BLE001 - aio/__init__.py answers any of them 400
            raise BadJson(f"Bad Request: Got CloudEvent exception: {exc!r}".encode("utf-8", "replace")) from None
        return _EventInvocation((event,), request.event_id)
