"""Functions that overrun FUNC_TIMEOUT in every way a function can (`x-case` header)."""

import asyncio
import os
import re
import tempfile
import time


def _marker(request) -> str:
    token = request.get_header("x-token", "")
    if not re.fullmatch(r"[A-Za-z0-9_-]+", token):
        raise ValueError("x-token must be a plain word")
    return os.path.join(tempfile.gettempdir(), f"kl-conformance-marker-{token}")


def sync_dispatch(event, context):
    request = event["extensions"]["request"]
    case = request.get_header("x-case", "ok")
    if case == "spin":  # CPU-bound runaway: only an exception raised in the thread stops it
        while True:
            pass
    if case == "csleep":  # blocked inside C: cannot be interrupted in its thread
        time.sleep(60)
    if case == "sleep":
        time.sleep(float(request.get_header("x-seconds", "0.5")))
        return "slept"
    return "ok"


async def async_dispatch(event, context):
    request = event["extensions"]["request"]
    case = request.get_header("x-case", "ok")
    if case == "sleep":
        # The marker is written only if the sleep was not cancelled at the deadline.
        marker = _marker(request)
        await asyncio.sleep(float(request.get_header("x-seconds", "3")))
        with open(marker, "w") as f:
            f.write("not cancelled")
        return "slept"
    if case == "check":
        return {"marker": os.path.exists(_marker(request))}
    if case == "block_loop":  # an async function that blocks the event loop
        time.sleep(float(request.get_header("x-seconds", "30")))
        return "unblocked"
    if case == "stream_forever":
        return _ticks()
    return "ok"


async def _ticks():
    for i in range(100):
        yield f"tick {i}\n"
        await asyncio.sleep(0.2)
