"""Prints a token to stdout and stderr, then keeps the call open (`x-token`, `x-seconds`)."""

import asyncio
import sys
import time


async def printer(event, context):
    request = event["extensions"]["request"]
    token = request.get_header("x-token", "")
    print("STDOUT " + token)
    print("STDERR " + token, file=sys.stderr)
    await asyncio.sleep(float(request.get_header("x-seconds", "0")))
    return "printed " + token


def printer_sync(event, context):
    request = event["extensions"]["request"]
    token = request.get_header("x-token", "")
    print("STDOUT " + token)
    print("STDERR " + token, file=sys.stderr)
    time.sleep(float(request.get_header("x-seconds", "0")))
    return "printed " + token
