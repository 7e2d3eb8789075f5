"""A stream that never ends, SSE style: it must be closed when its client goes away.

When closed it writes the file named by the `x-marker` header into `$MARKER_DIR`.
"""

import os
import re
import tempfile
import time


def _marker(event):
    name = event["extensions"]["request"].get_header("x-marker", "")
    if not re.fullmatch(r"[A-Za-z0-9_-]*", name):
        raise ValueError("x-marker must be a plain word")
    return os.path.join(os.environ.get("MARKER_DIR") or tempfile.gettempdir(), name) if name else ""


def ticks(event, context):
    marker = _marker(event)

    def generate():
        try:
            for i in range(1000):
                yield f"tick {i}\n"
                time.sleep(0.1)
        finally:
            if marker:
                with open(marker, "w") as f:
                    f.write("closed")

    return generate()


async def ticks_async(event, context):
    import asyncio

    marker = _marker(event)

    async def generate():
        try:
            for i in range(1000):
                yield f"tick {i}\n"
                await asyncio.sleep(0.1)
        finally:
            if marker:
                with open(marker, "w") as f:
                    f.write("closed")

    return generate()
