"""The reference the Python runtime is measured against: bare Starlette on uvicorn.

Three apps answer `/` with the same body the benchmarked function returns: `sync_app` through
a `def` endpoint (Starlette runs it in anyio's thread pool, as any Starlette user would get) and
`async_app` through an `async def` one; `sleep_app`'s `def` endpoint sleeps half a second (the
memory figures under 40 concurrent blocking calls). Served with the same uvicorn settings as the runtime
(uvloop, httptools, no access log, no proxy headers) so that the ratio measures the runtime, not the server.
"""

import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


def hello_sync(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello world")


async def hello_async(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello world")


def sleep_sync(request: Request) -> PlainTextResponse:
    time.sleep(0.5)
    return PlainTextResponse("slept")


sync_app = Starlette(routes=[Route("/", hello_sync, methods=["GET", "POST"])])
async_app = Starlette(routes=[Route("/", hello_async, methods=["GET", "POST"])])
sleep_app = Starlette(routes=[Route("/", sleep_sync, methods=["GET", "POST"])])
