"""JSON for big results in `worker` isolation, encoded so that the event loop keeps running.

`json.dumps` is C code that holds the GIL from start to end: in a thread it still freezes the
event loop (and `/healthz`) for as long as it runs, seconds for `[0.5] * 30_000_000`. Encoded in
batches of `BATCH` items instead, the GIL is let go between batches and the loop gets its turn.
The bytes are the same as `json.dumps(value, ensure_ascii=False, separators=(",", ":"),
allow_nan=False)`. (In `call` isolation results are encoded in the executor, away from the loop.)
"""

from __future__ import annotations

import json
from typing import Any

BATCH = 20_000  # items per json.dumps call: a few milliseconds of GIL each

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def is_big(value: Any, depth: int = 3) -> bool:
    """A list or dict with more than BATCH items, at the top or a few levels down (cheap to tell)."""
    kind = type(value)
    if kind is not list and kind is not dict:
        return False
    if len(value) > BATCH:
        return True
    if depth == 0 or len(value) > 64:
        return False
    children = value.values() if kind is dict else value
    return any(is_big(child, depth - 1) for child in children)


def encode(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON, built from batches (raises what json.dumps raises)."""
    parts: list[str] = []
    _encode(value, parts)
    return "".join(parts).encode("utf-8")


def _encode(value: Any, parts: list[str]) -> None:
    kind = type(value)
    if kind is list:
        parts.append("[")
        if len(value) > BATCH or not is_big(value):
            for start in range(0, len(value), BATCH):
                if start:
                    parts.append(",")
                parts.append(_encoder.encode(value[start : start + BATCH])[1:-1])
        else:  # a few items, one of them big
            for index, item in enumerate(value):
                if index:
                    parts.append(",")
                _encode(item, parts)
        parts.append("]")
    elif kind is dict:
        parts.append("{")
        items = list(value.items())
        if len(items) > BATCH or not is_big(value):
            for start in range(0, len(items), BATCH):
                if start:
                    parts.append(",")
                parts.append(_encoder.encode(dict(items[start : start + BATCH]))[1:-1])
        else:
            for index, (key, item) in enumerate(items):
                if index:
                    parts.append(",")
                parts.append(_encoder.encode({key: None})[1:-5])  # the key as JSON encodes it, and the colon
                _encode(item, parts)
        parts.append("}")
    else:
        parts.append(_encoder.encode(value))
