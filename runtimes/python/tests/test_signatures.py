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
    return SimpleNamespace(signature=signature, function_name=function_name, memory_limit=memory, timeout=10.0,
                           module_name="handler_module")


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


@pytest.mark.parametrize("value", ["lambda", "lambda-v1", "openwhisk", "openfaas", "knative", "gcf", "fission", "kubeless", " Lambda "])
def test_the_setting_accepts_the_signatures(value: str) -> None:
    got = load_settings(["--from-file", "f.py", "--handler", "f.h"], {"FUNC_SIGNATURE": value})
    assert got.signature == value.strip().lower()


def test_the_setting_refuses_others_and_the_flag_wins() -> None:
    with pytest.raises(SettingsError, match=r"FUNC_SIGNATURE must be one of kubeless, lambda, lambda-v1, openwhisk, openfaas, knative, gcf, fission, got 'faas'"):
        load_settings(["--from-file", "f.py", "--handler", "f.h"], {"FUNC_SIGNATURE": "faas"})
    got = load_settings(["--from-file", "f.py", "--handler", "f.h", "--signature", "openwhisk"], {"FUNC_SIGNATURE": "faas"})
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


# -- OpenFaaS ------------------------------------------------------------------------------------

from kubeless_runtime.signatures.openfaas import Headers, Query, flask_response, http_template_response  # noqa: E402

HTML = (b"content-type", b"text/html; charset=utf-8")
JSON_TYPE = (b"content-type", b"application/json")


def test_openfaas_http_event_and_context(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSTNAME", "fn-pod-1")
    adapter = adapter_for(settings("openfaas"), def_handler)
    req = request("POST", "/p/q", b"name=a&name=b&x=", [(b"content-type", b"text/plain"), (b"x-dup", b"1"), (b"x-dup", b"2")], b"\xffbody")
    event, context = adapter.invocation(req).args
    assert event.body == b"\xffbody" and event.method == "POST" and event.path == "/p/q"
    assert event.headers["CONTENT-TYPE"] == "text/plain" and event.headers.get("content-type") == "text/plain"
    assert event.headers.get("missing") is None and "X-Dup" in event.headers and 42 not in event.headers
    assert event.headers["x-dup"] == "1" and event.headers.getlist("X-DUP") == ["1", "2"]
    assert list(event.headers) == ["Host", "Content-Type", "X-Dup"]
    assert event.query["name"] == "a" and event.query.get("name") == "a" and event.query.getlist("name") == ["a", "b"]
    assert event.query["x"] == "" and event.query.get("nope") is None and dict(event.query) == {"name": "a", "x": ""}
    with pytest.raises(KeyError):
        event.query["nope"]
    assert context.hostname == "fn-pod-1"


def test_openfaas_classic_gets_the_body(monkeypatch: pytest.MonkeyPatch) -> None:
    def classic(req: Any) -> Any:
        return req

    monkeypatch.delenv("RAW_BODY", raising=False)
    text = adapter_for(settings("openfaas"), classic).invocation(request(body="é".encode()))
    assert text.args == ("é",)
    monkeypatch.setenv("RAW_BODY", "true")
    raw = adapter_for(settings("openfaas"), classic).invocation(request(body=b"\xff"))
    assert raw.args == (b"\xff",)
    assert raw.answer("x").headers == [HTML]  # the result goes to Flask as is


def test_openfaas_refuses_other_arities() -> None:
    with pytest.raises(SignatureError, match="takes 3 arguments"):
        adapter_for(settings("openfaas"), lambda a, b, c: None)
    with pytest.raises(SignatureError):
        adapter_for(settings("openfaas"), lambda: None)


@pytest.mark.parametrize(
    ("result", "status", "headers", "body"),
    [
        (None, 200, [HTML], b""),
        ({"statusCode": 200, "body": "Hello from OpenFaaS!"}, 200, [HTML], b"Hello from OpenFaaS!"),
        ({"statusCode": 201, "body": {"key": "value", "a": "é"}}, 201, [JSON_TYPE], b'{"a":"\\u00e9","key":"value"}\n'),
        ({"statusCode": 400, "body": {"error": "Bad request"}}, 400, [JSON_TYPE], b'{"error":"Bad request"}\n'),
        ({"body": {"k": 1}, "headers": {"Location": "https://www.example.com/"}}, 200,
         [JSON_TYPE, (b"location", b"https://www.example.com/")], b'{"k":1}\n'),
        ({"statusCode": 202}, 202, [HTML], b""),
        ({"body": [1, 2]}, 200, [HTML], b"[1, 2]"),  # str(body): a list's repr, as the template does
        ({"body": "x", "headers": {"Content-Type": "text/plain"}}, 200, [(b"content-type", b"text/plain")], b"x"),
        ({"body": b"\x00", "headers": {"Content-type": "application/octet-stream"}}, 200,
         [(b"content-type", b"application/octet-stream")], b"\x00"),
        ("You said: hi", 200, [HTML], b"You said: hi"),
        (("Method not allowed", 405), 405, [HTML], b"Method not allowed"),
        ({"name": "x"}, 200, [HTML], b""),  # any dict is the template's response shape: no body → ""
    ],
)
def test_openfaas_http_template_results(result: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    reply = http_template_response(result)
    assert (reply.status, reply.headers, reply.body) == (status, headers, body)


@pytest.mark.parametrize(
    ("rv", "status", "headers", "body"),
    [
        ("héllo", 200, [HTML], "héllo".encode()),
        (b"\x00", 200, [HTML], b"\x00"),
        ({"b": 1, "a": [1]}, 200, [JSON_TYPE], b'{"a":[1],"b":1}\n'),
        ([1, "x"], 200, [JSON_TYPE], b'[1,"x"]\n'),
        (("x", 201), 201, [HTML], b"x"),
        (("x", "404 NOT FOUND"), 404, [HTML], b"x"),
        (("x", {"X-A": "1"}), 200, [HTML, (b"x-a", b"1")], b"x"),
        (("x", 202, [("Content-Type", "text/plain")]), 202, [(b"content-type", b"text/plain")], b"x"),
    ],
)
def test_flask_make_response(rv: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    reply = flask_response(rv)
    assert isinstance(reply, Reply)
    assert (reply.status, reply.headers, reply.body) == (status, headers, body)


def test_flask_streams_an_iterator() -> None:
    answer = flask_response(iter(["a", b"b"]))
    assert isinstance(answer, Stream) and answer.headers == [HTML]
    assert list(answer.iterator) == [b"a", b"b"]


@pytest.mark.parametrize("rv", [None, 42, 1.5, ("x",), ("x", 1, {}, 4), ("x", 99), object()])
def test_flask_refuses_what_flask_refuses(rv: Any) -> None:
    with pytest.raises(ConversionError):
        flask_response(rv)


def test_case_insensitive_mappings() -> None:
    headers = Headers([("Content-Type", "a"), ("X-A", "1"), ("x-a", "2")])
    assert len(headers) == 2 and headers["content-type"] == "a" and headers.getlist("X-a") == ["1", "2"]
    query = Query([("k", "1"), ("k", "2")])
    assert query["k"] == "1" and query.to_dict() == {"k": "1"} and query.to_dict(flat=False) == {"k": ["1", "2"]}


# -- OpenWhisk -----------------------------------------------------------------------------------

from kubeless_runtime.signatures.openwhisk import web_answer  # noqa: E402


def ow_args(method: str = "GET", path: str = "/", query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None,
            body: bytes = b"") -> dict[str, Any]:
    invocation = adapter_for(settings("openwhisk"), lambda args: args).invocation(request(method, path, query, headers, body))
    (args,) = invocation.args
    return args


def test_openwhisk_args_merge_query_and_json_body() -> None:
    args = ow_args("POST", "/a/b", b"name=q&x=1", [(b"content-type", b"application/json"), (b"X-Dup", b"1"), (b"x-dup", b"2")],
                   b'{"name": "body", "n": 2}')
    assert args["name"] == "body" and args["x"] == "1" and args["n"] == 2  # the body wins
    assert args["__ow_method"] == "post" and args["__ow_path"] == "/a/b"
    assert args["__ow_headers"]["x-dup"] == "1,2" and args["__ow_headers"]["content-type"] == "application/json"
    assert "__ow_body" not in args


def test_openwhisk_args_form_text_binary() -> None:
    form = ow_args("POST", headers=[(b"content-type", b"application/x-www-form-urlencoded")], body=b"a=1&b=%C3%A9")
    assert (form["a"], form["b"], form["__ow_path"]) == ("1", "é", "")
    text = ow_args("POST", headers=[(b"content-type", b"text/plain")], body="héllo".encode())
    assert text["__ow_body"] == "héllo"
    untyped = ow_args("POST", body=b"plain")
    assert untyped["__ow_body"] == "plain"
    binary = ow_args("POST", headers=[(b"content-type", b"image/png")], body=b"\x89PNG")
    assert base64.b64decode(binary["__ow_body"]) == b"\x89PNG"
    not_utf8 = ow_args("POST", headers=[(b"content-type", b"text/plain")], body=b"\xff")
    assert base64.b64decode(not_utf8["__ow_body"]) == b"\xff"
    array = ow_args("POST", headers=[(b"content-type", b"application/json")], body=b"[1, 2]")
    assert array["__ow_body"] == "[1, 2]"
    assert "__ow_body" not in ow_args("GET")
    with pytest.raises(BadJson):
        ow_args("POST", headers=[(b"content-type", b"application/json")], body=b"{bad")


@pytest.mark.parametrize(
    ("result", "status", "headers", "body"),
    [
        ({"greeting": "Hello stranger!"}, 204, [], b""),  # .http: no body, 204 (webactions.md)
        (None, 204, [], b""),
        ({}, 204, [], b""),
        ({"body": "<html/>"}, 200, [HTML], b"<html/>"),
        ({"headers": {"location": "http://openwhisk.org"}, "statusCode": 302}, 302, [(b"location", b"http://openwhisk.org")], b""),
        ({"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": {"a": 1}}, 200,
         [(b"content-type", b"application/json")], b'{"a": 1}'),
        ({"body": {"a": 1}}, 200, [JSON_TYPE], b'{"a": 1}'),
        ({"headers": {"Set-Cookie": ["a=1", "b=2"]}, "body": "x"}, 200, [(b"set-cookie", b"a=1"), (b"set-cookie", b"b=2"), HTML], b"x"),
        ({"headers": {"Content-Type": "image/png"}, "body": base64.b64encode(b"\x89PNG").decode()}, 200,
         [(b"content-type", b"image/png")], b"\x89PNG"),
        ({"error": {"statusCode": 400}}, 400, [], b""),
        ({"error": "oops"}, 400, [JSON_TYPE], b"{\"error\":\"Response is not valid 'message/http'.\"}"),
        ([1, 2], 400, [JSON_TYPE], b"{\"error\":\"Response is not valid 'message/http'.\"}"),
        ({"error": {"statusCode": 404, "body": "gone"}, "other": 1}, 404, [HTML], b"gone"),
        ({"statusCode": "201", "body": "x"}, 201, [HTML], b"x"),
    ],
)
def test_openwhisk_results(result: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    reply = web_answer(result)
    assert (reply.status, reply.headers, reply.body) == (status, headers, body)


@pytest.mark.parametrize("bad", [{"statusCode": 700}, {"headers": "x"}, {"headers": {"a": {"b": 1}}},
                                 {"headers": {"Content-Type": "image/png"}, "body": "%%"}, {"body": {1, 2}}])
def test_openwhisk_unsendable(bad: Any) -> None:
    with pytest.raises(ConversionError):
        web_answer(bad)


def test_the_registry_has_every_signature_the_setting_accepts() -> None:
    from kubeless_runtime.settings import SIGNATURES
    from kubeless_runtime.signatures import REGISTRY

    assert set(REGISTRY) == set(SIGNATURES) - {"kubeless"}
    async def asgi_handle(scope: Any, receive: Any, send: Any) -> None:  # what knative takes
        return None

    for name in REGISTRY:
        if name in ("gcf", "fission"):  # Flask is the function's dependency: there, or a start-up line
            try:
                import flask  # noqa: F401
            except ImportError:
                with pytest.raises(SignatureError, match=rf"^FUNC_SIGNATURE={name} needs Flask: add flask"):
                    adapter_for(settings(name), lambda *args: None)
                continue
        assert hasattr(adapter_for(settings(name), asgi_handle if name == "knative" else lambda *args: None), "invocation")


def test_bind_keeps_the_kind_of_function() -> None:
    import asyncio
    import inspect

    from kubeless_runtime.signatures import bind

    def one(args: Any) -> Any:
        return ("sync", args)

    async def two(event: Any, context: Any) -> Any:
        return ("async", event, context)

    invocation = SimpleNamespace(args=("a",))
    sync = bind(one, False)
    assert not inspect.iscoroutinefunction(sync) and sync(invocation, None) == ("sync", "a")
    coro = bind(two, True)
    assert inspect.iscoroutinefunction(coro)
    assert asyncio.run(coro(SimpleNamespace(args=("e", "c")), None)) == ("async", "e", "c")
