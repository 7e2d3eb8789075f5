"""CONTRACT §5 "Errors the runtime answers": 500 on a raised/thrown/rejected call, and §7 error logs."""

from __future__ import annotations

import re
import uuid

import pytest

from support import UUID4, assert_error


@pytest.fixture(params=["dispatch", "dispatch_async"])
def returns(request, serve):
    return serve("returns", request.param, shared=True)


def test_raise_is_500_with_the_event_id(returns):
    event_id = f"evt-{uuid.uuid4().hex}"
    response = returns.post("/", headers={"x-case": "raise", "event-id": event_id})
    assert_error(response, 500, body=f"Internal Server Error (event-id: {event_id})")


def test_generated_event_id_in_the_500_and_on_stderr(returns, runtime):
    mark = len(returns.stderr())
    response = returns.post("/", headers={"x-case": "raise"})
    assert response.status_code == 500
    match = re.fullmatch(r"Internal Server Error \(event-id: (?P<id>[^)]+)\)", response.text.strip())
    assert match, response.text
    assert UUID4.match(match["id"])
    returns.wait_for_output(rf"^error: event-id={re.escape(match['id'])}:", "stderr", since=mark)
    returns.wait_for_output("boom from the", "stderr", since=mark)
    tail = returns.stderr()[mark:]
    if runtime.name == "python":
        assert "Traceback (most recent call last)" in tail and "ValueError" in tail
    else:
        assert re.search(r"^\s+at ", tail, re.M), f"no stack on stderr:\n{tail}"


def test_keeps_serving_after_errors(returns):
    for _ in range(3):
        assert returns.post("/", headers={"x-case": "raise"}).status_code == 500
    response = returns.post("/", headers={"x-case": "text"})
    assert (response.status_code, response.text) == (200, "hello")


@pytest.mark.only("nodejs")
@pytest.mark.parametrize("name", ["throw_string", "reject"])
def test_nodejs_non_error_throw_and_rejection(returns, name):
    event_id = f"evt-{uuid.uuid4().hex}"
    mark = len(returns.stderr())
    response = returns.post("/", headers={"x-case": name, "event-id": event_id})
    assert_error(response, 500, body=f"Internal Server Error (event-id: {event_id})")
    returns.wait_for_output(rf"^error: event-id={event_id}:", "stderr", since=mark)
    assert returns.post("/", headers={"x-case": "text"}).text == "hello"


@pytest.mark.only("python")
def test_python_a_cancelled_error_the_function_raises_is_an_ordinary_500(serve):
    server = serve("returns", "dispatch_async", shared=True)
    event_id = f"evt-{uuid.uuid4().hex}"
    response = server.post("/", headers={"x-case": "raise_cancelled", "event-id": event_id})
    assert_error(response, 500, body=f"Internal Server Error (event-id: {event_id})")
    server.wait_for_output(rf"^error: event-id={event_id}: the function raised: \S*CancelledError", stream="stderr")
    assert server.post("/", headers={"x-case": "text"}).status_code == 200
