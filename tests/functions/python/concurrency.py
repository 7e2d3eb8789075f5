"""Sleeping functions: how many calls run at once (`x-seconds` header, default 1)."""

import asyncio
import threading
import time


async def sleep_async(event, context):
    await asyncio.sleep(float(event["extensions"]["request"].get_header("x-seconds", "1")))
    return "slept"


def sleep_sync(event, context):
    time.sleep(float(event["extensions"]["request"].get_header("x-seconds", "1")))
    return {"thread": threading.get_ident()}
