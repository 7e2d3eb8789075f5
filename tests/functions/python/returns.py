"""`dispatch` / `dispatch_async`: return what the `x-case` header names (contract §5 table)."""

import asyncio
import time

import bottle
from starlette.responses import Response

SHARED = {
    "text": lambda: "hello",
    "unicode": lambda: "héllo wörld ✓ 🚀",
    "bytes": lambda: b"\x00\x01\xfe\xffbinary",
    "dict": lambda: {"a": 1, "b": [1, 2], "c": "ü"},
    "list": lambda: [1, "two", None],
    "number": lambda: 42,
    "float": lambda: 1.5,
    "bool": lambda: True,
    "none": lambda: None,
}


def _raise():
    raise ValueError("boom from the function")


def _generator():
    yield "a"
    yield b"b"
    yield "c"


def _slow_generator():
    yield "first\n"
    time.sleep(0.8)
    yield "second\n"


def _raise_bottle():
    raise bottle.HTTPResponse(body="raised", status=409, headers={"X-Raised": "yes"})


PYTHON_ONLY = {
    "raise": _raise,
    "tuple2": lambda: ("made", 201),
    "tuple3": lambda: ({"made": True}, 202, {"X-Custom": "one"}),
    "tuple_content_type": lambda: ("<b>bold</b>", 200, {"Content-Type": "text/html; charset=utf-8"}),
    "starlette": lambda: Response("a,b\n", status_code=418, headers={"X-Starlette": "1"}, media_type="text/csv"),
    "bottle_returned": lambda: bottle.HTTPResponse(body="gone", status=410, headers={"X-Bottle": "2"}),
    "bottle_raised": _raise_bottle,
    "abort": lambda: bottle.abort(404, "nope"),
    "generator": _generator,
    "slow_generator": _slow_generator,
    "tuple_generator": lambda: (_generator(), 206, {"Content-Type": "text/event-stream"}),
}


def dispatch(event, context):
    case = event["extensions"]["request"].get_header("x-case", "text")
    if case == "print":
        print("PRINTED " + event["extensions"]["request"].get_header("x-token", ""))
        return "printed"
    return {**SHARED, **PYTHON_ONLY}[case]()


async def _async_generator():
    yield "a"
    await asyncio.sleep(0)
    yield b"b"
    yield "c"


async def _slow_async_generator():
    yield "first\n"
    await asyncio.sleep(0.8)
    yield "second\n"


async def dispatch_async(event, context):
    request = event["extensions"]["request"]
    case = request.get_header("x-case", "text")
    await asyncio.sleep(0)
    if case == "sleep":
        await asyncio.sleep(float(request.get_header("x-seconds", "1")))
        return "slept"
    if case == "generator":
        return _async_generator()
    if case == "slow_generator":
        return _slow_async_generator()
    if case == "raise":
        raise ValueError("boom from the async function")
    return dispatch(event, context)
