"""CONTRACT §5 "Errors the runtime answers": 500 on a raised/thrown/rejected call, and §7 error logs."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from support import UUID4, assert_error, metrics, sample


@pytest.fixture(params=["dispatch", "dispatch_async"])
def returns(request, serve):
    return serve("returns", request.param, shared=True)


@pytest.mark.smoke
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


# -- shared decision 12: a result the runtime cannot send ---------------------------------------------

@pytest.fixture(params=["answer", "answer_async"])
def edges(request, serve):
    return serve("edges", request.param, shared=True)


def assert_unsendable(server, case: str) -> None:
    """500 with the contract body at once, one stderr line naming the runtime's conversion, a failure."""
    event_id = f"evt-{uuid.uuid4().hex}"
    mark = len(server.stderr())
    before = sample(metrics(server), "function_failures_total", method="GET")
    response = server.get("/", headers={"x-case": case, "event-id": event_id})
    assert_error(response, 500, body=f"Internal Server Error (event-id: {event_id})")
    assert "injected" not in response.headers
    server.wait_for_output(rf"^error: event-id={event_id}: the function's result cannot be sent: ", "stderr",
                           since=mark)
    assert sample(metrics(server), "function_failures_total", method="GET") == before + 1
    assert server.get("/", headers={"x-case": "ok"}).text == "ok"  # and the runtime keeps serving
    tail = server.stderr()[mark:]
    assert "Traceback" not in tail and "uvicorn" not in tail, tail


@pytest.mark.parametrize("case", ["header_value_crlf", "header_name_space", "bad_status", "unsendable"])
def test_unsendable_result_is_500_logged_as_the_runtimes_conversion(edges, case):
    assert_unsendable(edges, case)


@pytest.mark.only("python")
@pytest.mark.parametrize("case", ["unsendable_json", "starlette_header_crlf"])
def test_python_unsendable_results(edges, case):
    assert_unsendable(edges, case)


@pytest.mark.only("python")
def test_python_cancelled_error_raised_by_the_function_is_a_500(edges):
    server = edges
    event_id = f"evt-{uuid.uuid4().hex}"
    mark = len(server.stderr())
    response = server.get("/", headers={"x-case": "cancelled", "event-id": event_id})
    assert_error(response, 500, body=f"Internal Server Error (event-id: {event_id})")
    server.wait_for_output(rf"^error: event-id={event_id}: the function raised: .*CancelledError", "stderr",
                           since=mark)
    assert "Exception in ASGI application" not in server.stderr()[mark:]


@pytest.mark.only("python")
def test_python_cancelled_error_raised_while_streaming_cuts_the_stream(serve):
    server = serve("edges", "answer_async", shared=True)
    event_id = f"evt-{uuid.uuid4().hex}"
    mark = len(server.stderr())
    before = sample(metrics(server), "function_failures_total", method="GET")
    with pytest.raises(httpx.RemoteProtocolError):  # cut: the connection closes without the last chunk
        httpx.get(server.url + "/", headers={"x-case": "cancelled_stream", "event-id": event_id}, timeout=10)
    server.wait_for_output(rf"^error: event-id={event_id}: the function raised while streaming its response: "
                           r".*CancelledError", "stderr", since=mark)
    assert "Exception in ASGI application" not in server.stderr()[mark:]
    assert sample(metrics(server), "function_failures_total", method="GET") == before + 1
