"""`echo`: reports what the runtime handed to the function, so cases can check event and context."""

import base64
import os
import time


def _typed(value):
    """The value's type name and a JSON-safe form of it (bytes as base64)."""
    if isinstance(value, (bytes, bytearray)):
        return "bytes", base64.b64encode(bytes(value)).decode()
    if value is None:
        return "none", None
    return type(value).__name__, value


def echo(event, context):
    request = event["extensions"]["request"]
    data_type, data = _typed(event["data"])
    return {
        "data_type": data_type,
        "data": data,
        "event": {key: event[key] for key in ("event-id", "event-type", "event-time", "event-namespace")},
        "event_keys": sorted(event),
        "extension_keys": sorted(event["extensions"]),
        "context": {key: context[key] for key in ("function-name", "timeout", "runtime", "memory-limit", "deadline")},
        "context_keys": sorted(context),
        "raw_b64": base64.b64encode(request.body.read()).decode(),
        "method": request.method,
        "path": request.path,
        "query": request.query_string,
        "module": __name__,
        "now": time.time(),
        "pid": os.getpid(),
    }


async def echo_async(event, context):
    """The same from an `async def` function (runs on the event loop)."""
    return echo(event, context)
