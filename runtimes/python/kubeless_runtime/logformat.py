"""The JSON log record (`FUNC_LOG_FORMAT=json`): the OpenTelemetry Log Data Model, flattened.

One record is one line of UTF-8 JSON, keys in this order, a key whose value would be absent left
out:

    {"timestamp":"2026-11-27T05:00:00.123Z","severity_text":"INFO","severity_number":9,"body":"…",
     "scope":"function","trace_id":"…","span_id":"…","trace_flags":"01",
     "attributes":{"faas.invocation_id":"EVENT-ID","log.iostream":"stdout"}}

`record` builds it (json.dumps, compact); `write` hands a whole record, or several whole ones, to
a file descriptor in one `write` call, so records of concurrent calls never mix.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

from .timefmt import SecondStamp

DEBUG, INFO, WARN, ERROR, FATAL = ("DEBUG", 5), ("INFO", 9), ("WARN", 13), ("ERROR", 17), ("FATAL", 21)

# The scopes (OpenTelemetry's InstrumentationScope name) of what the runtime itself writes.
ACCESS = "kubeless.access"
RUNTIME = "kubeless.runtime"
FUNCTION = "function"

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
_seconds = SecondStamp("%Y-%m-%dT%H:%M:%S")


def timestamp(now: float | None = None) -> str:
    """RFC 3339 UTC with milliseconds and `Z`, the format of `event-time`."""
    if now is None:
        now = time.time()
    second = int(now)
    return "%s.%03dZ" % (_seconds(second), int((now - second) * 1000))


def record(
    body: str,
    severity: tuple[str, int],
    scope: str,
    call: Any = None,
    attributes: dict[str, Any] | None = None,
    now: float | None = None,
) -> bytes:
    """One record, `\\n` included. `call` (a capture.CallLog, or anything with `event_id` and `trace`)
    adds the call's trace ids and `faas.invocation_id`; `attributes` come after that."""
    out: dict[str, Any] = {
        "timestamp": timestamp(now),
        "severity_text": severity[0],
        "severity_number": severity[1],
        "body": body,
        "scope": scope,
    }
    if call is not None:
        trace = call.trace
        out["trace_id"] = trace.trace_id
        out["span_id"] = trace.span_id
        out["trace_flags"] = trace.flags
        attributes = {"faas.invocation_id": call.event_id, **attributes} if attributes else {"faas.invocation_id": call.event_id}
    if attributes:
        out["attributes"] = attributes
    # A lone surrogate (text the function made from bytes) is kept as its JSON escape, \udc80.
    return (_dumps(out) + "\n").encode("utf-8", "backslashreplace")


_writing = threading.Lock()


def write(fd: int, data: bytes) -> None:
    """All of `data` to `fd`: one `write` call for what fits. A pipe that is full takes a large
    record in parts, and lets another writer in between: the lock keeps this process's threads out."""
    view = memoryview(data)
    with _writing:
        try:
            while view:
                view = view[os.write(fd, view) :]
        except BlockingIOError:  # a non-blocking stdout that is full: drop the rest, never stall
            pass
        except OSError:  # stdout closed: nothing to log to
            pass
