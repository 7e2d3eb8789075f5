"""FUNC_SIGNATURE=knative (signatures/knative.py, lifecycle.py): one ASGI call and the hooks, without a server.

The black-box cases are in tests/conformance/test_signature_knative.py.
"""

from __future__ import annotations

import asyncio
import re
from types import SimpleNamespace
from typing import Any

import pytest

from kubeless_runtime.responses import ConversionError, Reply, Stream
from kubeless_runtime.signatures import Request, SignatureError, adapter_for
from kubeless_runtime.signatures.lifecycle import Lifecycle, StartFailed

SETTINGS = SimpleNamespace(signature="knative", function_name="new", memory_limit=None, timeout=10.0)


def request(body: bytes = b"payload", headers: list[tuple[bytes, bytes]] | None = None) -> Request:
    header_list = headers or []
    scope = {"type": "http", "method": "POST", "path": "/p", "raw_path": b"/p", "query_string": b"a=1",
             "headers": header_list, "client": None, "server": None, "http_version": "1.1"}
    return Request(scope, dict(header_list), body, "evt-1", 0.0, 10.0, None)


def run(adapter: Any, req: Request) -> Reply | Stream:
    async def go() -> Any:
        call = adapter.invocation(req)
        answer = call.answer(await adapter.entry(call))
        if type(answer) is Stream:
            return answer, [chunk async for chunk in answer.iterator]
        return answer, None

    return asyncio.run(go())


async def echo(scope: Any, receive: Any, send: Any) -> None:
    message = await receive()
    await send({"type": "http.response.start", "status": 201,
                "headers": [[b"Content-Type", b"text/plain"], [b"content-length", b"999"]]})
    await send({"type": "http.response.body", "body": scope["path"].encode() + b" " + message["body"]})


async def streams(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    for part in (b"a", b"b"):
        await send({"type": "http.response.body", "body": part, "more_body": True})
    await send({"type": "http.response.body", "body": b"c"})


async def fails_while_streaming(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"a", "more_body": True})
    raise ValueError("midway")


async def silent(scope: Any, receive: Any, send: Any) -> None:
    return None


def test_a_bare_handle_is_called_with_the_body_and_its_answer_collected() -> None:
    answer, _ = run(adapter_for(SETTINGS, echo), request())
    assert type(answer) is Reply
    assert (answer.status, answer.body) == (201, b"/p payload")
    assert answer.headers == [(b"content-type", b"text/plain")]  # names lower-cased, Content-Length dropped


def test_more_body_makes_a_stream_of_the_chunks() -> None:
    answer, chunks = run(adapter_for(SETTINGS, streams), request())
    assert type(answer) is Stream and answer.is_async
    assert chunks == [b"a", b"b", b"c"]


def test_an_error_while_streaming_reaches_the_stream() -> None:
    with pytest.raises(ValueError, match="midway"):
        run(adapter_for(SETTINGS, fails_while_streaming), request())


def test_no_response_start_cannot_be_sent() -> None:
    with pytest.raises(ConversionError, match="without sending http.response.start"):
        run(adapter_for(SETTINGS, silent), request())


def test_new_is_called_once_and_its_handle_used() -> None:
    made = []

    class Function:
        async def handle(self, scope: Any, receive: Any, send: Any) -> None:
            await echo(scope, receive, send)

    def new() -> Function:
        made.append(1)
        return Function()

    adapter = adapter_for(SETTINGS, new)
    assert run(adapter, request())[0].body == b"/p payload"
    assert run(adapter, request())[0].body == b"/p payload"
    assert made == [1]


@pytest.mark.parametrize("function, reason", [
    (lambda event, context: None, "new() (returning an object"),
    (lambda: object(), "new() must return an object with an async handle"),
])
def test_what_is_not_a_knative_function_is_refused(function: Any, reason: str) -> None:
    with pytest.raises(SignatureError, match=re.escape(reason)):
        adapter_for(SETTINGS, function)


def test_new_that_raises_is_a_load_error_with_its_reason() -> None:
    def new() -> None:
        raise RuntimeError("no config")

    with pytest.raises(SignatureError, match=r"new\(\) raised RuntimeError: no config"):
        adapter_for(SETTINGS, new)


def test_hooks_bool_tuple_and_exceptions() -> None:
    class Hooks:
        def __init__(self) -> None:
            self.cfg: dict[str, str] | None = None
            self.stopped = 0

        def start(self, cfg: dict[str, str]) -> None:
            self.cfg = cfg

        def stop(self) -> None:
            self.stopped += 1

        def alive(self) -> bool:
            return False

        def ready(self) -> tuple[bool, str]:
            raise OSError("db down")

    hooks = Hooks()
    lifecycle = Lifecycle(hooks)
    lifecycle.start()
    assert hooks.cfg is not None and "PATH" in hooks.cfg
    assert lifecycle.check("alive") == (False, "")
    ok, message = lifecycle.check("ready")
    assert not ok and message == "ready() raised OSError: db down"
    lifecycle.stop()
    lifecycle.stop()
    assert hooks.stopped == 1


def test_a_failing_start_is_start_failed_and_then_no_stop() -> None:
    class Hooks:
        def start(self, cfg: Any) -> None:
            raise KeyError("API_KEY")

        def stop(self) -> None:
            raise AssertionError("stop after a failed start")

    lifecycle = Lifecycle(Hooks())
    with pytest.raises(StartFailed, match=r"start\(cfg\) raised KeyError: 'API_KEY'"):
        lifecycle.start()
    lifecycle.stop()
    assert Lifecycle(None).check("ready") == (True, "")


def test_an_asgi_app_object_is_a_handle() -> None:
    class App:
        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await echo(scope, receive, send)

    assert run(adapter_for(SETTINGS, App()), request())[0].body == b"/p payload"
