# functions-framework-python examples/cloud_run_streaming_http/main.py (re-created; 0.05 s between
# items instead of 0.5 s, and 1..5): a Flask generator and an aio StreamingResponse.
import asyncio
import time

import functions_framework
import functions_framework.aio
from starlette.responses import StreamingResponse


def slow_numbers(minimum, maximum):
    yield '<html><body><ul>'
    for number in range(minimum, maximum + 1):
        yield '<li>%d</li>' % number
        time.sleep(0.05)
    yield '</ul></body></html>'


@functions_framework.http
def hello_stream(request):
    generator = slow_numbers(1, 5)
    return generator, {'Content-Type': 'text/html'}


async def slow_numbers_async(minimum, maximum):
    yield '<html><body><ul>'
    for number in range(minimum, maximum + 1):
        yield '<li>%d</li>' % number
        await asyncio.sleep(0.05)
    yield '</ul></body></html>'


@functions_framework.aio.http
async def hello_stream_async(request):
    generator = slow_numbers_async(1, 5)
    return StreamingResponse(generator, media_type='text/html')
