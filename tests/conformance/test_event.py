"""CONTRACT §3: the event (data decoding, event headers and their defaults) and §2 routing."""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from datetime import datetime, timezone

import pytest

from support import RFC3339_MS_Z, UUID4, assert_error, calls, metrics, sample


@pytest.fixture(params=["echo", "echo_async"])
def echo(request, serve):
    """The echo function, as `def` and `async def` in Python (Node: a plain and an async function)."""
    return serve("basic", request.param, shared=True)


def echo_post(server, body: bytes, content_type: str | None, **headers):
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = server.post("/", content=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def expect_raw(runtime, result, body: bytes) -> None:
    """Non-JSON bodies: Python gets bytes, Node.js a UTF-8 string; both keep the raw body."""
    if runtime.name == "python":
        assert result["data_type"] == "bytes"
        assert base64.b64decode(result["data"]) == body
    else:
        assert result["data_type"] == "string"
        assert result["data"] == body.decode("utf-8", "replace")
    assert base64.b64decode(result["raw_b64"]) == body


# -- data ------------------------------------------------------------------------------------------

JSON_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/cloudevents+json",
    "application/vnd.api+json; charset=utf-8",
    "Application/JSON",  # media types are case-insensitive (RFC 9110)
]


@pytest.mark.smoke
@pytest.mark.parametrize("ctype", JSON_TYPES)
def test_json_body_is_decoded(echo, ctype):
    value = {"name": "Ада 🚀", "n": [1, 2.5, None, True]}
    result = echo_post(echo, json.dumps(value).encode(), ctype)
    assert result["data"] == value
    assert result["data_type"] in ("dict", "object")


@pytest.mark.parametrize("text, value", [("42", 42), ('"str"', "str"), ("[1,2]", [1, 2]), ("true", True)])
def test_json_scalars_and_arrays(echo, text, value):
    assert echo_post(echo, text.encode(), "application/json")["data"] == value


def test_json_null_and_empty_body(echo, runtime):
    for body in (b"null", b""):
        result = echo_post(echo, body, "application/json")
        assert result["data"] is None
        assert result["data_type"] == ("none" if runtime.name == "python" else "null")


def test_json_raw_body_kept(echo):
    body = b'{ "signed":  "exactly these bytes" }'
    assert base64.b64decode(echo_post(echo, body, "application/json")["raw_b64"]) == body


@pytest.mark.parametrize("body", [b"{not json", b'{"a": 1', b"[1,]", b"{'single': 'quotes'}",
                                  # standard JSON only (shared decision 11): no NaN / Infinity
                                  b"NaN", b'{"x": NaN}', b"[Infinity]", b'{"x": -Infinity}'])
def test_malformed_json_is_400_and_the_function_not_called(serve, body):
    server = serve("basic", "echo", shared=True)
    before = calls(server, "POST")
    response = server.post("/", content=body, headers={"Content-Type": "application/json"})
    assert_error(response, 400, prefix="Bad Request: malformed JSON body: ")
    assert calls(server, "POST") == before


@pytest.mark.parametrize("ctype", ["text/plain", "text/plain; charset=utf-8", "application/octet-stream",
                                   "application/x-www-form-urlencoded", "application/xml", None])
def test_other_bodies_are_raw(echo, runtime, ctype):
    body = "name=Ada&note=héllo 🚀".encode()
    expect_raw(runtime, echo_post(echo, body, ctype), body)


def test_empty_non_json_body(echo, runtime):
    result = echo_post(echo, b"", "text/plain")
    expect_raw(runtime, result, b"")
    if runtime.name == "nodejs":
        assert result["data"] == ""


def test_binary_body_bytes_intact(echo, runtime):
    body = bytes(range(256)) + os.urandom(4096)
    result = echo_post(echo, body, "application/octet-stream")
    assert base64.b64decode(result["raw_b64"]) == body
    if runtime.name == "python":
        assert base64.b64decode(result["data"]) == body


def test_large_body_under_the_limit_intact(echo):
    body = os.urandom(900_000)  # under both default limits
    assert base64.b64decode(echo_post(echo, body, "application/octet-stream")["raw_b64"]) == body


def test_unicode_text_body(echo, runtime):
    body = "ünïcödé ✓ 你好 🚀".encode()
    expect_raw(runtime, echo_post(echo, body, "text/plain; charset=utf-8"), body)


# -- event headers -----------------------------------------------------------------------------------

def test_event_headers_are_mapped(echo):
    headers = {"event-id": "evt-123", "event-type": "com.example.thing", "event-time": "2020-01-02T03:04:05Z",
               "event-namespace": "orders"}
    result = echo_post(echo, b"{}", "application/json", **headers)
    assert result["event"] == headers


def test_event_defaults(echo):
    before = time.time()
    result = echo_post(echo, b"{}", "application/json")
    after = time.time()
    event = result["event"]
    assert UUID4.match(event["event-id"]), event["event-id"]
    assert event["event-type"] == "application/json"
    assert event["event-namespace"] == "http"
    assert RFC3339_MS_Z.match(event["event-time"]), event["event-time"]
    stamp = datetime.strptime(event["event-time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    assert before - 1.0 <= stamp.timestamp() <= after + 1.0


def test_event_type_without_content_type_is_empty(echo):
    assert echo_post(echo, b"", None)["event"]["event-type"] == ""


def test_event_ids_are_new_for_every_request(echo):
    ids = {echo_post(echo, b"", "text/plain")["event"]["event-id"] for _ in range(5)}
    assert len(ids) == 5


def test_event_keys_and_extensions(echo, runtime):
    result = echo_post(echo, b"", "text/plain")
    assert result["event_keys"] == sorted(["data", "event-id", "event-type", "event-time", "event-namespace",
                                           "extensions"])
    if runtime.name == "python":
        assert result["extension_keys"] == ["request"]
    else:
        assert {"request", "response"} <= set(result["extension_keys"])


# -- routing (§2) --------------------------------------------------------------------------------------

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", ["/", "/a/b/c", "/with/query?x=1&y=two"])
def test_every_method_and_path_reaches_the_function(serve, method, path):
    server = serve("basic", "echo", shared=True)
    response = server.request(method, path)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["method"] == method
    assert result["path"] == path.split("?")[0]


def test_head_reaches_the_function(serve):
    server = serve("basic", "echo", shared=True)
    before = calls(server, "HEAD")
    response = server.request("HEAD", "/head/path")
    assert response.status_code == 200
    assert response.content == b""
    assert calls(server, "HEAD") == before + 1


@pytest.mark.parametrize("path", ["/healthz", "/metrics"])
def test_post_to_probe_paths_reaches_the_function(serve, path):
    server = serve("basic", "echo", shared=True)
    response = server.post(path, content=b"hi")
    assert response.status_code == 200
    assert response.json()["path"] == path


@pytest.mark.smoke
def test_healthz_and_metrics_do_not_call_the_function(serve):
    server = serve("basic", "echo", shared=True)
    before = metrics(server)
    health = server.get("/healthz")
    assert (health.status_code, health.text) == (200, "OK")
    after = metrics(server)
    assert sample(after, "function_calls_total", method="GET") == sample(before, "function_calls_total", method="GET")


def test_query_string_reaches_the_request(serve, runtime):
    server = serve("basic", "echo", shared=True)
    token = uuid.uuid4().hex
    result = server.get(f"/q?token={token}&b=2").json()
    if runtime.name == "python":
        assert result["query"] == f"token={token}&b=2"
    else:
        assert result["query"] == {"token": token, "b": "2"}
