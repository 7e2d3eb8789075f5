"""`answer` / `answer_async`: results at the edge of what HTTP can carry (shared decisions 10, 12).

The `x-case` header names the case; every case has a twin in ../nodejs/edges.js.
"""

import asyncio

from starlette.responses import Response

def _cancelled():
    raise asyncio.CancelledError()


CASES = {
    # the function's own Access-Control-Allow-Origin wins over the runtime's CORS header
    "own_cors": lambda: ("mine", 200, {"Access-Control-Allow-Origin": "https://mine.example"}),
    # results the runtime cannot send: 500, logged as the runtime's conversion
    "header_value_crlf": lambda: ("x", 200, {"X-Bad": "a\r\nInjected: yes"}),
    "header_name_space": lambda: ("x", 200, {"Bad Name": "x"}),
    "bad_status": lambda: ("x", 9999),
    "unsendable": lambda: "lone \ud800 surrogate",
    # Python only
    "unsendable_json": lambda: {"text": "lone \udfff surrogate"},
    "starlette_header_crlf": lambda: Response("x", headers={"X-Bad": "a\nb"}),
    "cancelled": _cancelled,
    "ok": lambda: "ok",
}


def answer(event, context):
    return CASES[event["extensions"]["request"].get_header("x-case", "ok")]()


async def _cancelled_stream():
    yield "first\n"
    raise asyncio.CancelledError()


async def answer_async(event, context):
    case = event["extensions"]["request"].get_header("x-case", "ok")
    await asyncio.sleep(0)
    if case == "cancelled_stream":
        return _cancelled_stream()
    return CASES[case]()
