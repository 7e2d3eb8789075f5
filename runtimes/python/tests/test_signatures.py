"""FUNC_SIGNATURE adapters (signatures/): the request → the function's arguments, the result → the answer.

Checked on the adapters themselves, without a server: the black-box cases are in
tests/conformance/test_signature_*.py.
"""

from __future__ import annotations

import base64
import json
import time
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from kubeless_runtime.call import BadJson
from kubeless_runtime.responses import ConversionError, Reply, Stream
from kubeless_runtime.settings import SettingsError, load_settings
from kubeless_runtime.signatures import FailedAnswer, Request, SignatureError, adapter_for, positional_arity
from kubeless_runtime.signatures.aws_lambda import INVOKE_PATH, memory_in_mb, request_time

EVENT_ID = "11111111-2222-4333-8444-555555555555"


def settings(signature: str, memory: str | None = None, function_name: str = "handler") -> Any:
    return SimpleNamespace(signature=signature, function_name=function_name, memory_limit=memory, timeout=10.0)


def request(
    method: str = "GET", path: str = "/", query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"", now: float = 1_584_040_238.5, timeout: float = 10.0,
) -> Request:
    header_list = [(b"host", b"abc123.lambda-url.us-east-1.on.aws"), *(headers or [])]
    scope = {
        "type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": query,
        "headers": header_list, "client": ("10.1.2.3", 5555), "server": ("127.0.0.1", 8080), "http_version": "1.1",
    }
    return Request(scope, dict(header_list), body, EVENT_ID, now, now + timeout, None)


def header(reply: Reply, name: bytes) -> list[bytes]:
    return [value for key, value in reply.headers if key == name]


def def_handler(event: Any, context: Any) -> None:
    return None


# -- the registry and the setting ----------------------------------------------------------------


def test_kubeless_has_no_adapter() -> None:
    assert adapter_for(settings("kubeless"), def_handler) is None


@pytest.mark.parametrize("value", ["lambda", "lambda-v1", "openwhisk", "openfaas", "kubeless", " Lambda "])
def test_the_setting_accepts_the_signatures(value: str) -> None:
    got = load_settings(["--from-file", "f.py", "--handler", "f.h"], {"FUNC_SIGNATURE": value})
    assert got.signature == value.strip().lower()


def test_the_setting_refuses_others_and_the_flag_wins() -> None:
    with pytest.raises(SettingsError, match=r"FUNC_SIGNATURE must be one of kubeless, lambda, lambda-v1, openwhisk, openfaas, got 'gcf'"):
        load_settings(["--from-file", "f.py", "--handler", "f.h"], {"FUNC_SIGNATURE": "gcf"})
    got = load_settings(["--from-file", "f.py", "--handler", "f.h", "--signature", "openwhisk"], {"FUNC_SIGNATURE": "gcf"})
    assert got.signature == "openwhisk"
    assert load_settings(["--from-file", "f.py", "--handler", "f.h"], {}).signature == "kubeless"


def test_positional_arity() -> None:
    assert positional_arity(lambda req: req) == 1
    assert positional_arity(def_handler) == 2
    assert positional_arity(lambda *args: args) is None
    assert positional_arity(lambda a, b=1, *, c: a) == 2


# -- Lambda: the events --------------------------------------------------------------------------


def test_lambda_v2_event() -> None:
    adapter = adapter_for(settings("lambda"), def_handler)
    req = request(
        "POST", "/a/b", b"x=1&x=2&y=",
        [(b"cookie", b"c1=v1; c2=v2"), (b"x-dup", b"one"), (b"x-dup", b"two"), (b"user-agent", b"ua/1"),
         (b"content-type", b"application/json")],
        b'{"k": "v"}',
    )
    event, context = adapter.invocation(req).args
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/a/b" and event["rawQueryString"] == "x=1&x=2&y="
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert "cookie" not in event["headers"] and event["headers"]["x-dup"] == "one,two"
    assert event["queryStringParameters"] == {"x": "1,2", "y": ""}
    assert event["body"] == '{"k": "v"}' and event["isBase64Encoded"] is False  # JSON stays text
    rc = event["requestContext"]
    assert rc["accountId"] == "123456789012"
    assert (rc["apiId"], rc["domainPrefix"], rc["domainName"]) == ("abc123", "abc123", "abc123.lambda-url.us-east-1.on.aws")
    assert rc["http"] == {"method": "POST", "path": "/a/b", "protocol": "HTTP/1.1", "sourceIp": "10.1.2.3", "userAgent": "ua/1"}
    assert rc["requestId"] == EVENT_ID and context.aws_request_id == EVENT_ID
    assert rc["time"] == "12/Mar/2020:19:10:38 +0000" and rc["timeEpoch"] == 1_584_040_238_500
    assert rc["stage"] == "$default" and rc["routeKey"] == "$default"


@pytest.mark.parametrize(
    ("content_type", "body", "text"),
    [
        (b"text/plain", "é".encode(), True),
        (b"application/xml", b"<a/>", True),
        (b"application/ld+json", b"{}", True),
        (b"application/x-www-form-urlencoded", b"a=1", True),
        (b"image/png", b"\x89PNG", False),
        (None, b"plain", False),
        (b"text/plain", b"\xff", False),
    ],
)
def test_lambda_body_text_or_base64(content_type: bytes | None, body: bytes, text: bool) -> None:
    adapter = adapter_for(settings("lambda"), def_handler)
    headers = [(b"content-type", content_type)] if content_type else []
    event = adapter.invocation(request("POST", body=body, headers=headers)).args[0]
    assert event["isBase64Encoded"] is (not text)
    assert event["body"] == (body.decode() if text else base64.b64encode(body).decode())


def test_lambda_v2_event_without_body_query_or_cookies() -> None:
    event = adapter_for(settings("lambda"), def_handler).invocation(request()).args[0]
    assert "body" not in event and "queryStringParameters" not in event and "cookies" not in event


def test_lambda_v1_event() -> None:
    adapter = adapter_for(settings("lambda-v1"), def_handler)
    req = request("PUT", "/items/7", b"a=1&a=2", [(b"x-dup", b"one"), (b"x-dup", b"two"), (b"cookie", b"c=1")], b"hi",)
    event, context = adapter.invocation(req).args
    assert event["httpMethod"] == "PUT" and event["path"] == "/items/7"
    assert event["resource"] == "/{proxy+}" and event["pathParameters"] == {"proxy": "items/7"}
    assert event["multiValueHeaders"]["x-dup"] == ["one", "two"] and event["headers"]["x-dup"] == "two"
    assert event["headers"]["cookie"] == "c=1"
    assert event["queryStringParameters"] == {"a": "2"} and event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert event["body"] == base64.b64encode(b"hi").decode() and event["isBase64Encoded"] is True  # no type: binary
    assert event["requestContext"]["identity"]["sourceIp"] == "10.1.2.3"
    assert event["requestContext"]["requestId"] == EVENT_ID
    empty = adapter.invocation(request()).args[0]
    assert empty["body"] is None and empty["queryStringParameters"] is None and empty["pathParameters"] is None


def test_lambda_context() -> None:
    adapter = adapter_for(settings("lambda", memory="1Gi", function_name="fn"), def_handler)
    now = time.time()
    context = adapter.invocation(request(now=now, timeout=5.0)).args[1]
    assert context.function_name == "fn" and context.function_version == "$LATEST"
    assert context.invoked_function_arn.startswith("arn:aws:lambda:") and context.invoked_function_arn.endswith(":123456789012:function:fn")
    assert context.memory_limit_in_mb == "1024"
    assert context.log_group_name == "/aws/lambda/fn" and "[$LATEST]" in context.log_stream_name
    assert context.client_context is None and context.tenant_id is None
    assert context.identity.cognito_identity_id is None
    assert 4000 < context.get_remaining_time_in_millis() <= 5000
    past = adapter.invocation(request(now=now - 60, timeout=5.0)).args[1]
    assert past.get_remaining_time_in_millis() == 0


@pytest.mark.parametrize(
    ("limit", "mb"), [(None, "128"), ("256Mi", "256"), ("1Gi", "1024"), ("268435456", "256"), ("500M", "476"), ("junk", "128")]
)
def test_memory_in_mb(limit: str | None, mb: str) -> None:
    assert memory_in_mb(limit) == mb


def test_request_time() -> None:
    assert request_time(1_583_813_038.0) == "10/Mar/2020:04:03:58 +0000"


# -- Lambda: the results -------------------------------------------------------------------------


def v2_answer(result: Any) -> Reply:
    return adapter_for(settings("lambda"), def_handler).invocation(request()).answer(result)


@pytest.mark.parametrize(("value", "body"), [("Hello", b'"Hello"'), (None, b"null"), ([1, "é"], '[1, "é"]'.encode()),
                                             ({"a": 1}, b'{"a": 1}'), (Decimal("1.5"), b"1.5")])
def test_lambda_v2_values_are_json(value: Any, body: bytes) -> None:
    reply = v2_answer(value)
    assert (reply.status, reply.headers, reply.body) == (200, [(b"content-type", b"application/json")], body)


def test_lambda_v2_http_answer() -> None:
    reply = v2_answer({"statusCode": 201, "headers": {"X-A": "b", "Content-Type": "text/plain", "Content-Length": "99"},
                       "cookies": ["a=1", "b=2"], "body": "hi"})
    assert reply.status == 201 and reply.body == b"hi"
    assert header(reply, b"x-a") == [b"b"] and header(reply, b"content-type") == [b"text/plain"]
    assert header(reply, b"set-cookie") == [b"a=1", b"b=2"] and header(reply, b"content-length") == []
    binary = v2_answer({"statusCode": 200, "body": base64.b64encode(b"\x00\xff").decode(), "isBase64Encoded": True})
    assert binary.body == b"\x00\xff"
    assert v2_answer({"statusCode": 204}).body == b""


@pytest.mark.parametrize("bad", [{"statusCode": 99}, {"statusCode": 200, "body": {"a": 1}},
                                 {"statusCode": 200, "body": "%%%", "isBase64Encoded": True},
                                 {"statusCode": 200, "headers": {"x": {"no": 1}}}, object()])
def test_lambda_v2_unsendable(bad: Any) -> None:
    with pytest.raises(ConversionError):
        v2_answer(bad)


def v1_answer(result: Any) -> Reply:
    return adapter_for(settings("lambda-v1"), def_handler).invocation(request()).answer(result)


def test_lambda_v1_proxy_response() -> None:
    reply = v1_answer({"statusCode": 202, "headers": {"A": "1", "B": "x"}, "multiValueHeaders": {"B": ["y", "z"]},
                       "body": "ok", "isBase64Encoded": False})
    assert reply.status == 202 and reply.body == b"ok"
    assert header(reply, b"a") == [b"1"] and header(reply, b"b") == [b"y", b"z"]
    assert v1_answer({"statusCode": 200, "body": None}).body == b""


@pytest.mark.parametrize("bad", ["str", None, 1, [], {"body": "x"}, {"statusCode": "200"}, {"statusCode": 200, "body": {}},
                                 {"statusCode": 200, "isBase64Encoded": "yes"}, {"statusCode": 200, "extra": 1},
                                 {"statusCode": 200, "multiValueHeaders": {"a": "b"}}])
def test_lambda_v1_malformed_is_502(bad: Any) -> None:
    with pytest.raises(FailedAnswer) as caught:
        v1_answer(bad)
    assert caught.value.reply.status == 502
    assert caught.value.reply.body == f"Bad Gateway: malformed Lambda proxy response (event-id: {EVENT_ID})".encode()
    assert caught.value.line.startswith(f"error: event-id={EVENT_ID}: malformed Lambda proxy response: ")


@pytest.mark.parametrize("signature", ["lambda", "lambda-v1"])
def test_lambda_invoke_endpoint(signature: str) -> None:
    adapter = adapter_for(settings(signature), def_handler)
    invocation = adapter.invocation(request("POST", INVOKE_PATH, body=b'{"first_name": "John"}'))
    assert invocation.args[0] == {"first_name": "John"}
    reply = invocation.answer({"statusCode": 201, "body": "x"})  # not mapped: the JSON of the result
    assert (reply.status, json.loads(reply.body)) == (200, {"statusCode": 201, "body": "x"})
    assert adapter.invocation(request("POST", INVOKE_PATH)).args[0] == {}
    with pytest.raises(BadJson):
        adapter.invocation(request("POST", INVOKE_PATH, body=b"{nope"))
    try:
        {}["first_name"]
    except KeyError as exc:
        error = invocation.error(exc)
    assert error is not None and error.status == 200
    assert header(error, b"x-amz-function-error") == [b"Unhandled"]
    body = json.loads(error.body)
    assert (body["errorType"], body["errorMessage"]) == ("KeyError", "'first_name'")
    assert isinstance(body["stackTrace"], list) and body["stackTrace"]
    # a GET to the same path is an ordinary HTTP event
    event = adapter.invocation(request("GET", INVOKE_PATH)).args[0]
    assert event["rawPath" if signature == "lambda" else "path"] == INVOKE_PATH


def test_lambda_http_exception_is_the_contracts_500() -> None:
    invocation = adapter_for(settings("lambda"), def_handler).invocation(request())
    assert invocation.error(ValueError("x")) is None
