"""A module that takes a second to load (readiness while starting)."""

import time

time.sleep(1)


async def hold(event, context):
    return "done"
