"""The smallest useful function: greets whoever the request names.

Serve it with:  python -m kubeless_runtime --from-file hello.py --handler hello.main
Call it with:   curl -d '{"name": "Ada"}' -H 'Content-Type: application/json' localhost:8080
"""


def main(event, context):
    """A `def` function: each call runs in an executor process (FUNC_ISOLATION=auto → call)."""
    data = event["data"]
    name = data.get("name", "world") if isinstance(data, dict) else "world"
    return f"hello {name}"


async def main_async(event, context):
    """The same as an `async def` function: runs on the worker's event loop (auto → worker)."""
    return main(event, context)


def bench(event, context):
    """What the benchmark serves: the same body as the bare reference apps."""
    return "hello world"


async def bench_async(event, context):
    """`async def` twin of `bench`, compared with an `async def` Starlette endpoint."""
    return "hello world"


def bench_sleep(event, context):
    """A blocking call (half a second), for the memory figures under 40 concurrent calls."""
    import time

    time.sleep(0.5)
    return "slept"
