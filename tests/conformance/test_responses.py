"""CONTRACT §5: return value → response, per language."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from support import TEXT_PLAIN, content_type


@pytest.fixture(params=["dispatch", "dispatch_async"])
def returns(request, serve):
    """The same cases from a plain and an async function."""
    return serve("returns", request.param, shared=True)


def case(server, name: str, method: str = "POST") -> httpx.Response:
    return server.request(method, "/", headers={"x-case": name})


# -- shared table ------------------------------------------------------------------------------------

@pytest.mark.smoke
def test_string(returns):
    response = case(returns, "text")
    assert (response.status_code, response.text) == (200, "hello")
    assert content_type(response) == TEXT_PLAIN


def test_unicode_string(returns):
    response = case(returns, "unicode")
    assert response.content == "héllo wörld ✓ 🚀".encode()
    assert content_type(response) == TEXT_PLAIN


def test_bytes(returns):
    response = case(returns, "bytes")
    assert response.status_code == 200
    assert response.content == b"\x00\x01\xfe\xffbinary"
    assert content_type(response) == "application/octet-stream"


@pytest.mark.parametrize("name, value", [("dict", {"a": 1, "b": [1, 2], "c": "ü"}), ("list", [1, "two", None]),
                                         ("number", 42), ("float", 1.5), ("bool", True)])
def test_json_values(returns, name, value):
    response = case(returns, name)
    assert response.status_code == 200
    assert content_type(response).split(";")[0] == "application/json"
    assert json.loads(response.content) == value


def test_none_is_empty_200(returns):
    response = case(returns, "none")
    assert (response.status_code, response.content) == (200, b"")


# -- Python only ---------------------------------------------------------------------------------------

@pytest.mark.only("python")
def test_python_tuple_body_status(returns):
    response = case(returns, "tuple2")
    assert (response.status_code, response.text) == (201, "made")
    assert content_type(response) == TEXT_PLAIN


@pytest.mark.only("python")
def test_python_tuple_body_status_headers(returns):
    response = case(returns, "tuple3")
    assert response.status_code == 202
    assert response.headers["x-custom"] == "one"
    assert response.json() == {"made": True}
    assert content_type(response) == "application/json"


@pytest.mark.only("python")
def test_python_tuple_content_type_wins(returns):
    response = case(returns, "tuple_content_type")
    assert response.text == "<b>bold</b>"
    assert content_type(response) == "text/html; charset=utf-8"


@pytest.mark.only("python")
def test_python_starlette_response(returns):
    response = case(returns, "starlette")
    assert (response.status_code, response.text) == (418, "a,b\n")
    assert response.headers["x-starlette"] == "1"
    assert content_type(response).startswith("text/csv")


@pytest.mark.only("python")
def test_python_bottle_response_returned(returns):
    response = case(returns, "bottle_returned")
    assert (response.status_code, response.text) == (410, "gone")
    assert response.headers["x-bottle"] == "2"


@pytest.mark.only("python")
def test_python_bottle_response_raised(returns):
    response = case(returns, "bottle_raised")
    assert (response.status_code, response.text) == (409, "raised")
    assert response.headers["x-raised"] == "yes"


@pytest.mark.only("python")
def test_python_bottle_abort(returns):
    response = case(returns, "abort")
    assert response.status_code == 404
    assert "nope" in response.text


@pytest.mark.only("python")
def test_python_generator_streamed(returns):
    response = case(returns, "generator")
    assert (response.status_code, response.text) == (200, "abc")
    assert response.headers.get("transfer-encoding") == "chunked"
    assert content_type(response) == TEXT_PLAIN


@pytest.mark.only("python")
def test_python_tuple_with_generator(returns):
    response = case(returns, "tuple_generator")
    assert (response.status_code, response.text) == (206, "abc")
    assert content_type(response).startswith("text/event-stream")


def first_chunk_then_rest(server, name: str) -> tuple[float, float, bytes]:
    """Seconds to the first body chunk and to the end, and the body, of a slowly produced response."""
    start = time.monotonic()
    with server.client.stream("POST", "/", headers={"x-case": name}) as response:
        assert response.status_code == 200
        chunks = response.iter_raw()
        body = next(chunks)
        first = time.monotonic() - start
        for chunk in chunks:
            body += chunk
    return first, time.monotonic() - start, body


@pytest.mark.only("python")
def test_python_generator_really_streams(returns):
    first, total, body = first_chunk_then_rest(returns, "slow_generator")
    assert body == b"first\nsecond\n"
    assert first < 0.6 <= total, (first, total)


# -- Node.js only --------------------------------------------------------------------------------------

@pytest.mark.only("nodejs")
def test_nodejs_status_set_send(returns):
    response = case(returns, "status_send")
    assert (response.status_code, response.text) == (201, "made")
    assert response.headers["x-custom"] == "one"


@pytest.mark.only("nodejs")
def test_nodejs_set_object(returns):
    response = case(returns, "set_object")
    assert (response.status_code, response.text) == (202, "set")
    assert (response.headers["x-one"], response.headers["x-two"]) == ("1", "2")


@pytest.mark.only("nodejs")
def test_nodejs_res_json(returns):
    response = case(returns, "json_method")
    assert response.status_code == 203
    assert response.json() == {"via": "res.json"}
    assert content_type(response).startswith("application/json")


@pytest.mark.only("nodejs")
def test_nodejs_send_status(returns):
    assert case(returns, "send_status").status_code == 204


@pytest.mark.only("nodejs")
def test_nodejs_res_type(returns):
    response = case(returns, "type_html")
    assert response.text == "<b>bold</b>"
    assert content_type(response).startswith("text/html")


@pytest.mark.only("nodejs")
def test_nodejs_content_type_set_by_function_wins(returns):
    response = case(returns, "set_content_type_then_return")
    assert response.text == "a,b\n"
    assert content_type(response).startswith("text/csv")


@pytest.mark.only("nodejs")
def test_nodejs_already_ended_response(returns):
    response = case(returns, "ended")
    assert (response.status_code, response.text) == (200, "written by the function")


@pytest.mark.only("nodejs")
def test_nodejs_response_being_written(returns):
    response = case(returns, "writing")
    assert (response.status_code, response.text) == (200, "part one, part two")


@pytest.mark.only("nodejs")
def test_nodejs_promise(returns):
    response = case(returns, "promise")
    assert response.json() == {"resolved": True}


@pytest.mark.only("nodejs")
def test_nodejs_readable_stream(returns):
    response = case(returns, "stream")
    assert (response.status_code, response.text) == (200, "abc")
    assert response.headers.get("transfer-encoding") == "chunked"


@pytest.mark.only("nodejs")
def test_nodejs_readable_stream_really_streams(returns):
    first, total, body = first_chunk_then_rest(returns, "slow_stream")
    assert body == b"first\nsecond\n"
    assert first < 0.6 <= total, (first, total)


@pytest.mark.only("nodejs")
def test_nodejs_streaming_through_extensions_response(returns):
    first, total, body = first_chunk_then_rest(returns, "ext_stream")
    assert body == b"one\ntwo\nthree\n"
    assert first < 0.35 and total >= 0.75, (first, total)
