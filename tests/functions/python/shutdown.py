"""A slow call to drain at shutdown (`x-seconds` header)."""

import asyncio
import time


async def slow(event, context):
    seconds = float(event["extensions"]["request"].get_header("x-seconds", "1.5"))
    await asyncio.sleep(seconds)
    return f"done after {seconds}"


def slow_sync(event, context):
    seconds = float(event["extensions"]["request"].get_header("x-seconds", "1.5"))
    time.sleep(seconds)
    return f"done after {seconds}"
