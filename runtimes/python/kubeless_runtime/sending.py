"""`worker` isolation: the answers that take more than one message, sent under the call's deadline.

A generator's chunks are sent as they come, a Starlette `Response` is let send itself, and a big
JSON result is encoded in a thread. Moved out of app.py, which calls these with itself as `app`
(for the invoker, the error answers and the log lines). In `call` isolation the executor makes
these answers and remote.py forwards them.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

from . import bigjson, runtimelog
from .cors import with_cors
from .invoker import CallTimeout
from .responses import APPLICATION_JSON, ConversionError, Reply, StarletteResponse, Stream, check_start, encode_chunk

if TYPE_CHECKING:
    from .app import FunctionApp, Receive, Scope, Send

_DONE = object()


async def disconnected(receive: Receive) -> None:
    """Returns when the client has gone away (the request's body has been read already)."""
    while (await receive())["type"] != "http.disconnect":
        pass


def being_cancelled(exc: BaseException) -> bool:
    """This request's task really is being cancelled (the server is shutting down): let it go.

    A `CancelledError` the function raised itself, with nobody cancelling the task, is an error like
    any other: the contract's 500."""
    return isinstance(exc, asyncio.CancelledError) and asyncio.current_task().cancelling() > 0  # type: ignore[union-attr]


def cut_at_the_deadline(event_id: str) -> None:
    runtimelog.error(f"error: event-id={event_id}: the streamed response was cut at the deadline")


async def big_json(result: Any) -> Reply:
    """A big list or dict as JSON, in batches in a thread: the event loop keeps running (bigjson.py)."""
    try:
        body = await asyncio.get_running_loop().run_in_executor(None, bigjson.encode, result)
    except (TypeError, ValueError) as exc:
        raise ConversionError(f"the function returned a value that is not JSON-serialisable: {exc}") from None
    return Reply(200, [APPLICATION_JSON], body)


async def stream(
    app: FunctionApp, send: Send, receive: Receive, answer: Stream, deadline: float, counters: Any, cors: Any,
    event_id: str,
) -> tuple[int, int]:
    """Send a generator's chunks as they come; at the deadline or on an error, cut the response.

    When the client goes away the generator is stopped: an async one is cancelled where it
    waits, a sync one is closed as soon as its thread hands back the chunk it is making.
    """
    invoker = app.invoker
    assert invoker is not None
    headers = with_cors(answer.headers, cors) if cors else answer.headers
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    size = 0
    iterator = answer.iterator
    gone = asyncio.ensure_future(disconnected(receive))
    try:
        while True:
            if answer.is_async:
                step = asyncio.ensure_future(invoker.on_loop(deadline, iterator.__anext__()))
            else:
                step = asyncio.ensure_future(invoker.in_thread(deadline, next, iterator, _DONE))
            await asyncio.wait((step, gone), return_when=asyncio.FIRST_COMPLETED)
            if not step.done():  # the client went away
                if answer.is_async:
                    step.cancel()
                    step.add_done_callback(lambda _: close_quietly(iterator, True))
                else:
                    step.add_done_callback(lambda _: invoker.pool.submit(close_quietly, iterator, False))
                return answer.status, size
            try:
                chunk = step.result()
            except StopAsyncIteration:
                break
            if chunk is _DONE:
                break
            chunk = encode_chunk(chunk)
            if chunk:
                size += len(chunk)
                await send({"type": "http.response.body", "body": bytes(chunk), "more_body": True})
    except CallTimeout:
        counters.timeouts += 1
        counters.failures += 1
        cut_at_the_deadline(event_id)
        close_quietly(iterator, answer.is_async)
        return answer.status, size  # returning without the last chunk makes uvicorn close the connection
    except BaseException as exc:  # raised by the generator, or a chunk that cannot be sent
        if being_cancelled(exc):
            raise
        counters.failures += 1
        app._log_error(event_id, exc, "while streaming its response")
        close_quietly(iterator, answer.is_async)
        return answer.status, size
    finally:
        gone.cancel()
    await send({"type": "http.response.body", "body": b"", "more_body": False})
    return answer.status, size


def close_quietly(iterator: Any, is_async: bool) -> None:
    if is_async and hasattr(iterator, "aclose"):
        task = asyncio.ensure_future(iterator.aclose())
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
    elif not is_async and hasattr(iterator, "close"):
        try:
            iterator.close()
        except Exception:  # noqa: S110 - still running in a thread being interrupted: leave it
            pass


async def starlette(
    app: FunctionApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    response: StarletteResponse,
    deadline: float,
    counters: Any,
    cors: Any,
    event_id: str,
) -> tuple[int, int]:
    """A Starlette Response from the function, sent by Starlette, under the same deadline."""
    sent = [response.status_code, 0, False]

    async def counting_send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            check_start(message["status"], message.get("headers", ()))
            sent[0] = message["status"]
            sent[2] = True
            if cors:  # added to the message, not the response: a function may reuse its response
                message = {**message, "headers": with_cors(list(message.get("headers", ())), cors)}
        else:
            sent[1] += len(message.get("body", b""))
        await send(message)

    try:
        await app.invoker.on_loop(deadline, response(scope, receive, counting_send))  # type: ignore[union-attr]
    except CallTimeout:
        counters.timeouts += 1
        counters.failures += 1
        if sent[2]:
            cut_at_the_deadline(event_id)
            return sent[0], sent[1]
        return await app._send_error(send, 408, app.timeout_body, cors)
    except BaseException as exc:
        if being_cancelled(exc):
            raise
        counters.failures += 1
        app._log_error(event_id, exc, "while sending its response")
        if sent[2]:
            return sent[0], sent[1]
        return await app._send_error(send, 500, app.internal_error(event_id), cors)
    return sent[0], sent[1]
