"""Readiness, back-pressure, JSON logs and trace context (CONTRACT §2, §4, §5, §7).

`x-token` names a call's lines; `x-seconds` holds it open; `x-lines` sets how many lines it prints.
"""

import asyncio
import json
import logging
import sys
import time

TRACE_KEYS = ("trace-id", "span-id", "parent-span-id", "trace-flags", "traceparent", "tracestate")
log = logging.getLogger("k8s.test")

print("loaded k8s")  # written while loading: outside any call


def _header(event, name, default=""):
    return event["extensions"]["request"].get_header(name, default)


def _trace(context):
    return json.dumps({key: context[key] for key in TRACE_KEYS})


async def context(event, ctx):
    return _trace(ctx)


def context_sync(event, ctx):
    return _trace(ctx)


async def hold(event, ctx):
    print("ran " + _header(event, "x-token"))
    await asyncio.sleep(float(_header(event, "x-seconds", "0")))
    return "done"


def _chatter(event, pause):
    token = _header(event, "x-token")
    for i in range(int(_header(event, "x-lines", "3"))):
        print(f"{token} line {i}")
        yield pause
    sys.stdout.write(f"{token} part-")
    sys.stdout.write("ial\n")
    print(f"{token} to stderr", file=sys.stderr)
    log.warning("%s warned", token)
    try:
        raise ValueError(f"{token} caught")
    except ValueError:
        log.exception("%s logged with its exception", token)
    sys.stdout.write(f"{token} tail")  # no newline: written as a record when the call ends


async def chatty(event, ctx):
    for pause in _chatter(event, 0.002):
        await asyncio.sleep(pause)
    return _trace(ctx)


def chatty_sync(event, ctx):
    for pause in _chatter(event, 0.002):
        time.sleep(pause)
    return _trace(ctx)


async def raises(event, ctx):
    raise ValueError("boom " + _header(event, "x-token"))
