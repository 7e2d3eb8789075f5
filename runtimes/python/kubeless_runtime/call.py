"""What every call needs whichever process runs it: body → `data`, the event, the context, the error line.

The worker's event loop uses these in `worker` isolation, an executor process in `call`
isolation (CONTRACT §5), so a function sees the same event, context and bottle request in both.
"""

from __future__ import annotations

import traceback
from typing import Any

from . import runtimelog
from .event import FunctionRequest, new_event_id, parse_json
from .responses import ConversionError
from .tracebacks import user_traceback
from .tracecontext import Trace

_KIND_OTHER, _KIND_JSON = 0, 1
_kinds: dict[bytes, int] = {}


class BadJson(Exception):
    """The body is declared JSON and is not; `text` is the 400 answer's body."""

    def __init__(self, text: bytes) -> None:
        super().__init__(text)
        self.text = text


def _content_kind(content_type: bytes) -> int:
    """JSON for `application/json` and `application/*+json`, whatever the parameters."""
    kind = _kinds.get(content_type)
    if kind is None:
        media = content_type.split(b";", 1)[0].strip().lower()
        is_json = media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))
        kind = _KIND_JSON if is_json else _KIND_OTHER
        if len(_kinds) < 256:
            _kinds[content_type] = kind
    return kind


def is_json(content_type: bytes | None) -> bool:
    return content_type is not None and _content_kind(content_type) == _KIND_JSON


def decode_json(body: bytes) -> Any:
    """`data` of a JSON body (standard JSON only: no NaN/Infinity): None when empty; `BadJson` when malformed."""
    if not body:
        return None
    try:
        return parse_json(body)
    except (ValueError, RecursionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BadJson(f"Bad Request: malformed JSON body: {reason}".encode("utf-8", "replace")) from None


def make_event(
    scope: dict[str, Any], headers: dict[bytes, bytes], body: bytes, data: Any, event_id: str, arrival: str
) -> dict[str, Any]:
    """CONTRACT §3: the event, its fields from the request's headers or their defaults."""
    content_type = headers.get(b"content-type")
    raw = headers.get(b"event-type")
    event_type = raw if raw is not None else content_type
    raw = headers.get(b"event-time")
    raw_ns = headers.get(b"event-namespace")
    return {
        "data": data,
        "event-id": event_id,
        "event-type": event_type.decode("latin-1") if event_type is not None else "",
        "event-time": raw.decode("latin-1") if raw is not None else arrival,
        "event-namespace": raw_ns.decode("latin-1") if raw_ns is not None else "http",
        "extensions": {"request": FunctionRequest(scope, body)},
    }


def make_context(
    function_name: str, timeout: float, runtime: str, memory_limit: str | None, deadline: float, trace: Trace
) -> dict[str, Any]:
    """CONTRACT §4: the context, with this call's W3C trace context (tracecontext.py)."""
    trace_id, span_id, parent_id, flags, tracestate = trace
    return {
        "function-name": function_name,
        "timeout": timeout,
        "runtime": runtime,
        "memory-limit": memory_limit,
        "deadline": deadline,
        "trace-id": trace_id,
        "span-id": span_id,
        "parent-span-id": parent_id,
        "trace-flags": flags,
        "traceparent": f"00-{trace_id}-{span_id}-{flags}",  # for the function's own outgoing calls
        "tracestate": tracestate,
    }


def event_id_of(headers: dict[bytes, bytes]) -> str:
    raw = headers.get(b"event-id")
    return raw.decode("latin-1") if raw is not None else new_event_id()


def log_error(event_id: str, exc: BaseException, where: str = "") -> None:
    """`error: event-id=ID: ...` and the traceback, in one write (one record) so lines do not interleave.

    A `ConversionError` is the runtime's failure to send the result: one line, no traceback
    (shared decision 12)."""
    if isinstance(exc, ConversionError):
        log_unsendable(event_id, exc)
        return
    summary = traceback.format_exception_only(type(exc), exc)[-1].strip()
    doing = f" {where}" if where else ""
    runtimelog.error(f"error: event-id={event_id}: the function raised{doing}: {summary}\n{user_traceback(exc)}")


def log_unsendable(event_id: str, exc: BaseException) -> None:
    """The function returned something the runtime cannot send: the runtime's conversion, one line."""
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    runtimelog.error(f"error: event-id={event_id}: the function's result cannot be sent: {reason}")
