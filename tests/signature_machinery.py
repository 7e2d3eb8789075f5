"""The machinery that must hold under every FUNC_SIGNATURE (issue 11; SHARED-DECISIONS-11b "Tests"),
checked on a signature's `*_machinery` module: handlers `hello` (200 `hello`, labelled as the
platform labels a plain string), `slow` (3 s, without blocking the runtime), `boom` (raises / throws
`boom`). Each check takes the `serve` fixture and how to start that module (its env and volumes)."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from support import ACCESS_LINE, TIMEOUT_BODY, assert_error, eventually, metrics, sample

TOO_LARGE_LIMIT = 1000


def new_id() -> str:
    return f"evt-{uuid.uuid4().hex}"


def counts(server: Any, name: str, method: str) -> float:
    return sample(metrics(server), name, method=method)


def check_hello(server: Any, content_type: str | None) -> None:
    """200 `hello`, counted as a call, with its access-log line."""
    before = counts(server, "function_calls_total", "GET")
    mark = len(server.stdout())
    response = server.get("/hello/path?x=1", headers={"user-agent": "machinery-check"})
    assert response.status_code == 200
    assert response.text == "hello"
    assert response.headers.get("content-type") == content_type
    assert counts(server, "function_calls_total", "GET") == before + 1
    found = server.wait_for_output(r'^.*"GET /hello/path\?x=1 HTTP/1.1" 200 5 .*"machinery-check"$', since=mark)
    assert ACCESS_LINE.match(found.group(0)), found.group(0)


def check_exception(server: Any, extra_headers: dict[str, str] | None = None) -> None:
    """The contract's 500 with the event id, its stderr line, counted as a call and a failure."""
    event_id = new_id()
    before_calls = counts(server, "function_calls_total", "GET")
    before_failures = counts(server, "function_failures_total", "GET")
    mark = len(server.stderr())
    response = server.get("/", headers={"event-id": event_id})
    assert_error(response, 500, body=f"Internal Server Error (event-id: {event_id})")
    for name, value in (extra_headers or {}).items():
        assert response.headers.get(name) == value
    server.wait_for_output(rf"^error: event-id={event_id}: .*boom", "stderr", since=mark)
    assert counts(server, "function_failures_total", "GET") == before_failures + 1
    assert counts(server, "function_calls_total", "GET") == before_calls + 1


def check_timeout(serve: Callable[..., Any], module: str, env: dict[str, str], **start: Any) -> None:
    """FUNC_TIMEOUT=1 on a 3 s call: 408 with the contract's body at about 1 s, counted as a timeout;
    the runtime still answers at once while the call runs on."""
    server = serve(module, "slow", env={**env, "FUNC_TIMEOUT": "1"}, **start)
    started = time.monotonic()
    with httpx.Client(timeout=30) as client:
        response = client.get(server.url + "/")
    elapsed = time.monotonic() - started
    assert_error(response, 408, body=TIMEOUT_BODY)
    assert 0.95 <= elapsed <= 1.8, elapsed
    assert counts(server, "function_timeouts_total", "GET") == 1
    assert server.get("/healthz").status_code == 200


def check_body_limit(serve: Callable[..., Any], module: str, env: dict[str, str], **start: Any) -> None:
    """A body over FUNC_MEMFILE_MAX is 413, never reaching the function (not counted); one at it passes."""
    server = serve(module, "hello", env={**env, "FUNC_MEMFILE_MAX": str(TOO_LARGE_LIMIT)}, **start)
    before = counts(server, "function_calls_total", "POST")
    response = server.post("/", content=os.urandom(TOO_LARGE_LIMIT + 1))
    assert_error(response, 413, body=f"Request body too large: the limit is {TOO_LARGE_LIMIT} bytes")
    assert counts(server, "function_calls_total", "POST") == before
    response = server.post("/", content=b"x" * TOO_LARGE_LIMIT)
    assert (response.status_code, response.text) == (200, "hello")
    assert counts(server, "function_calls_total", "POST") == before + 1


def check_json_logs(serve: Callable[..., Any], module: str, env: dict[str, str], **start: Any) -> None:
    """FUNC_LOG_FORMAT=json: the exception's record carries the call's event id and trace id, and so
    does the call's access record."""
    server = serve(module, "boom", env={**env, "FUNC_LOG_FORMAT": "json"}, **start)
    event_id, trace = new_id(), "4bf92f3577b34da6a3ce929d0e0e4736"
    response = server.get("/json/logs", headers={"event-id": event_id, "traceparent": f"00-{trace}-00f067aa0ba902b7-01"})
    assert response.status_code == 500

    def of_call() -> list[dict]:
        found = []
        for line in server.stdout().splitlines():
            record = json.loads(line)
            if record.get("attributes", {}).get("faas.invocation_id") == event_id:
                found.append(record)
        return found

    def complete() -> list[dict]:
        found = of_call()
        assert any(r["severity_text"] == "ERROR" and "boom" in r["body"] for r in found), found
        assert any("/json/logs" in r["body"] for r in found), found  # the access record
        return found

    for record in eventually(complete):
        assert record["trace_id"] == trace, record
