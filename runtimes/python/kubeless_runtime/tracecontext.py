"""W3C Trace Context (https://www.w3.org/TR/trace-context/): read `traceparent`, make this call's ids.

Every call is a span of its own: it keeps the received trace id (or starts a new trace) and gets
a new random span id. The result is a `Trace` tuple of text, made once per request by the process
that owns the connection; in `call` isolation it crosses to the executor in the call's frame, so
the worker's access record and the executor's output records carry the same ids.

Ids come from `random.getrandbits`, as event ids do (event.py): they must be unique, not
unpredictable, and `random` is reseeded in every forked process.
"""

from __future__ import annotations

import re
from random import getrandbits
from typing import Any, NamedTuple

# version-traceid-parentid-flags, lowercase hex; a version above 00 may carry more after a "-".
_TRACEPARENT = re.compile(rb"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[\x00-\xff]*)?\Z")
_ZERO_TRACE = b"0" * 32
_ZERO_PARENT = b"0" * 16


class Trace(NamedTuple):
    trace_id: str  # 32 lowercase hex
    span_id: str  # this call's span: 16 lowercase hex
    parent_id: str | None  # the received parent span id; None when the call starts a new trace
    flags: str  # "01" (sampled) or "00"
    tracestate: str | None  # as received, several header lines joined with ","; None when none or ignored


def parse_traceparent(value: bytes) -> tuple[str, str, str] | None:
    """(trace id, parent id, flags & 01) of a valid `traceparent`, else None.

    Version `ff` is invalid; version `00` is exactly 55 characters; a later version parses its
    first 55 the same way and may go on only after a `-`. All-zero trace or parent ids are invalid.
    """
    match = _TRACEPARENT.match(value)
    if match is None:
        return None
    version, trace_id, parent_id, flags, rest = match.groups()
    if version == b"ff" or (version == b"00" and rest is not None):
        return None
    if trace_id == _ZERO_TRACE or parent_id == _ZERO_PARENT:
        return None
    sampled = "01" if int(flags, 16) & 1 else "00"
    return trace_id.decode("ascii"), parent_id.decode("ascii"), sampled


def new_span_id() -> str:
    return "%016x" % (getrandbits(64) or 1)


def _new_ids() -> tuple[str, str]:
    """A new trace id and span id, neither all zeros, from one random number."""
    text = "%048x" % getrandbits(192)
    trace_id, span_id = text[:32], text[32:]
    if trace_id == _ZERO_TEXT_TRACE or span_id == _ZERO_TEXT_SPAN:  # once in 2**64 calls
        return _new_ids()
    return trace_id, span_id


_ZERO_TEXT_TRACE, _ZERO_TEXT_SPAN = "0" * 32, "0" * 16
_make = tuple.__new__  # Trace(...) without NamedTuple's Python-level __new__: this runs on every call


def trace_of(headers: dict[bytes, bytes], header_list: Any) -> Trace:
    """This call's trace context from the request's headers (`header_list`: every line, for tracestate)."""
    raw = headers.get(b"traceparent")
    parsed = parse_traceparent(raw) if raw is not None else None
    if parsed is None:  # absent or invalid: a new trace, sampled (a parent-based, always-on sampler)
        trace_id, span_id = _new_ids()
        return _make(Trace, (trace_id, span_id, None, "01", None))  # type: ignore[no-any-return]
    tracestate = None
    if b"tracestate" in headers:
        tracestate = ",".join(v.decode("latin-1") for n, v in header_list if n == b"tracestate")
    return _make(Trace, (parsed[0], new_span_id(), parsed[1], parsed[2], tracestate))  # type: ignore[no-any-return]
