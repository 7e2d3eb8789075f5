"""Issue 11, FUNC_SIGNATURE=lambda (payload 2.0, Function URL) and lambda-v1 (REST API, payload 1.0).

The binding spec is /work/wt/SHARED-DECISIONS-11.md "lambda"; the platform's facts, and its example
functions by id (L-py-1 …, L-js-1 …), are in /work/shared/foreign-signatures.md §1, which cites the
Lambda developer guide (`awsdocs/aws-lambda-developer-guide@03f7fcb`, `doc_source/*.md`,
`sample-apps/nodejs-apig`). Each case says which doc it follows. Where the platform answers in a
surprising way (a returned string becomes the JSON string `"Hello, world!"` with
`application/json`), the case follows the platform.

What stays ours under every signature (the decisions' "Only the edge differs"): the 408 at the
deadline, the contract's 500 for an exception (a Function URL would answer 502), the metrics, and
the event id as the platform's request id.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timezone

import httpx
import pytest

from support import TIMEOUT_BODY, UUID4, assert_error, content_type, metrics, new_id, sample

LAMBDA = {"FUNC_SIGNATURE": "lambda"}
LAMBDA_V1 = {"FUNC_SIGNATURE": "lambda-v1"}
SIGNATURES = {"lambda": LAMBDA, "lambda-v1": LAMBDA_V1}
#: The runtime interface emulator's invoke endpoint (RIE README.md): the body is the event.
RIE = "/2015-03-31/functions/function/invocations"
#: The account id a real Function URL has and we cannot know (SHARED-DECISIONS-11: a fixed value).
ACCOUNT = "123456789012"
JSON = "application/json"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + bytes(range(256))
HELLO = {"message": "Hello, world!"}


def echoed(response: httpx.Response) -> tuple[dict, str]:
    """The event `echo` got and the context's request id."""
    assert response.status_code == 200, (response.status_code, response.text[:500])
    answer = json.loads(response.text)
    return answer["event"], answer["request_id"]


def lower_keys(mapping: dict | None) -> dict:
    """Payload 1.0 keeps header names as the client sent them: compare them case-insensitively."""
    return {key.lower(): value for key, value in (mapping or {}).items()}


def failures(server, method: str) -> float:
    return sample(metrics(server), "function_failures_total", method=method)


def calls(server, method: str) -> float:
    return sample(metrics(server), "function_calls_total", method=method)


# -- the event, payload 2.0 (urls-invocation.md "Request payload format") --------------------------

REQUEST_HEADERS = [
    ("content-type", "text/plain; charset=utf-8"),
    ("X-Custom", "Value"),
    ("x-dup", "one"),
    ("X-Dup", "two"),
    ("cookie", "c1=v1; c2=v2"),
    ("user-agent", "sig-tests/1.0"),
]


@pytest.mark.smoke
def test_v2_event_of_a_text_request(serve):
    # urls-invocation.md "Request payload format": rawPath, rawQueryString, cookies, lower-case
    # headers with duplicates comma-joined, queryStringParameters with duplicates comma-joined,
    # requestContext.http, a text body as is.
    server = serve("sig_lambda", "echo", env=LAMBDA, shared=True)
    event_id = new_id()
    before = time.time()
    response = server.post("/some/path?a=1&b=2&a=3", content="héllo wörld".encode(),
                           headers=REQUEST_HEADERS + [("event-id", event_id)])
    after = time.time()
    event, request_id = echoed(response)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == "/some/path"
    assert event["rawQueryString"] == "a=1&b=2&a=3"
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    headers = event["headers"]
    assert all(name == name.lower() for name in headers), headers
    assert "cookie" not in headers  # the cookies are in `cookies`
    assert headers["x-custom"] == "Value"
    assert headers["x-dup"] == "one,two"  # the doc's "header2": "value1,value2"
    assert headers["user-agent"] == "sig-tests/1.0"
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert headers["host"] == f"127.0.0.1:{server.port}"
    assert event["queryStringParameters"] == {"a": "1,3", "b": "2"}
    assert event["body"] == "héllo wörld"
    assert event["isBase64Encoded"] is False
    assert event.get("pathParameters") is None and event.get("stageVariables") is None

    context = event["requestContext"]
    assert context["http"] == {"method": "POST", "path": "/some/path", "protocol": "HTTP/1.1",
                               "sourceIp": "127.0.0.1", "userAgent": "sig-tests/1.0"}
    assert context["requestId"] == event_id == request_id  # the event id is Lambda's request id
    assert context["accountId"] == ACCOUNT
    assert context["routeKey"] == "$default" and context["stage"] == "$default"
    assert context["domainName"] == f"127.0.0.1:{server.port}"  # the Host header
    epoch = context["timeEpoch"]
    assert isinstance(epoch, int) and before * 1000 - 1000 <= epoch <= after * 1000 + 1000, (before, epoch)
    # "time": "12/Mar/2020:19:03:58 +0000", the same instant as timeEpoch
    assert context["time"] == datetime.fromtimestamp(epoch / 1000, timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000")


def test_v2_event_of_a_binary_request(serve):
    # urls-invocation.md: "If the content type of the request is binary, the body is
    # base64-encoded"; no query → no queryStringParameters; no Cookie header → no cookies.
    server = serve("sig_lambda", "echo", env=LAMBDA, shared=True)
    response = server.post("/upload", content=PNG, headers={"content-type": "image/png"})
    event, _ = echoed(response)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == PNG
    assert event["rawPath"] == "/upload" and event["rawQueryString"] == ""
    assert "queryStringParameters" not in event
    assert "cookies" not in event


@pytest.mark.parametrize("ctype, body, text", [
    ("application/json", b'{"num1": "10", "num2": "10"}', True),
    ("application/vnd.api+json", b'{"a": 1}', True),
    ("application/xml", b"<a>1</a>", True),
    ("application/x-www-form-urlencoded", b"a=1&b=%C3%A9", True),
    ("application/javascript", b"let a = 1;", True),
    ("text/csv", "é,1".encode(), True),
    ("application/octet-stream", b"plain ascii, but a binary type", False),
    ("application/pdf", b"%PDF-1.4", False),
    (None, b"no content type", False),
    ("text/plain", b"\xff\xfe not UTF-8", False),
])
def test_v2_body_is_text_or_base64(serve, ctype, body, text):
    # SHARED-DECISIONS-11 (SAM CLI's rule, foreign-signatures.md §1 "Binary handling"): UTF-8 with a
    # text-ish content type is passed as is, anything else base64 with isBase64Encoded true. A JSON
    # body is passed as the text it was, not parsed (urls-invocation.md: `body` is a string).
    server = serve("sig_lambda", "echo", env=LAMBDA, shared=True)
    headers = {"content-type": ctype} if ctype else {}
    event, _ = echoed(server.post("/", content=body, headers=headers))
    assert event["isBase64Encoded"] is (not text)
    if text:
        assert event["body"] == body.decode("utf-8")
    else:
        assert base64.b64decode(event["body"]) == body


def test_v2_event_without_body_or_event_id(serve):
    # An empty body: no `body` key. No event-id header: a new UUID is the request id.
    server = serve("sig_lambda", "echo", env=LAMBDA, shared=True)
    event, request_id = echoed(server.get("/?only=1"))
    assert "body" not in event and event["isBase64Encoded"] is False
    assert event["requestContext"]["http"]["method"] == "GET"
    assert event["queryStringParameters"] == {"only": "1"}
    assert UUID4.match(request_id) and event["requestContext"]["requestId"] == request_id


def test_v2_domain_from_the_host(serve):
    # urls-invocation.md: domainName "<url-id>.lambda-url.us-west-2.on.aws", domainPrefix and
    # apiId "<url-id>": taken from the Host header (SHARED-DECISIONS-11).
    server = serve("sig_lambda", "echo", env=LAMBDA, shared=True)
    host = "abc123xyz.lambda-url.us-east-1.on.aws"
    event, _ = echoed(server.get("/", headers={"host": host}))
    context = event["requestContext"]
    assert (context["domainName"], context["domainPrefix"], context["apiId"]) == (host, "abc123xyz", "abc123xyz")
    assert event["headers"]["host"] == host


# -- the event, payload 1.0 (sample-apps/nodejs-apig/event.json) ----------------------------------

def test_v1_event_of_a_text_request(serve):
    # sample-apps/nodejs-apig/event.json: path, httpMethod, headers + multiValueHeaders,
    # queryStringParameters + multiValueQueryStringParameters, requestContext.identity.sourceIp.
    server = serve("sig_lambda", "echo", env=LAMBDA_V1, shared=True)
    event_id = new_id()
    response = server.post("/some/path?a=1&b=2&a=3", content="héllo wörld".encode(),
                           headers=REQUEST_HEADERS + [("event-id", event_id)])
    event, request_id = echoed(response)
    assert event["httpMethod"] == "POST"
    assert event["path"] == "/some/path"
    headers = lower_keys(event["headers"])
    assert headers["x-custom"] == "Value" and headers["user-agent"] == "sig-tests/1.0"
    assert headers["cookie"] == "c1=v1; c2=v2"  # 1.0 has no `cookies`: the header stays
    # Duplicates: multiValue* hold them all; which one the single-value map keeps is told
    # differently by AWS's pages (first / last), so either is accepted.
    assert lower_keys(event["multiValueHeaders"])["x-dup"] == ["one", "two"]
    assert headers["x-dup"] in ("one", "two")
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "3"], "b": ["2"]}
    assert event["queryStringParameters"]["b"] == "2" and event["queryStringParameters"]["a"] in ("1", "3")
    assert event["body"] == "héllo wörld" and event["isBase64Encoded"] is False
    assert "version" not in event or event["version"] == "1.0"
    context = event["requestContext"]
    assert context["requestId"] == event_id == request_id
    assert context["httpMethod"] == "POST"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["accountId"] == ACCOUNT


def test_v1_event_without_body_or_query(serve):
    # event.json: "queryStringParameters": null, "multiValueQueryStringParameters": null, "body": null.
    server = serve("sig_lambda", "echo", env=LAMBDA_V1, shared=True)
    event, _ = echoed(server.get("/"))
    assert event["body"] is None and event["isBase64Encoded"] is False
    assert event["queryStringParameters"] is None and event["multiValueQueryStringParameters"] is None
    assert event["httpMethod"] == "GET" and event["path"] == "/"


def test_v1_binary_body_is_base64(serve):
    server = serve("sig_lambda", "echo", env=LAMBDA_V1, shared=True)
    event, _ = echoed(server.request("PUT", "/bin", content=PNG, headers={"content-type": "application/octet-stream"}))
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == PNG
    assert event["httpMethod"] == "PUT"


# -- the result, payload 2.0 (urls-invocation.md "Response payload format") ------------------------

@pytest.mark.smoke
def test_v2_a_returned_string_is_a_json_string(serve):
    # urls-invocation.md "Example output for a string response": "Hello, world!" reaches the
    # client as 200, content-type application/json, body "Hello, world!" *with* the quotes.
    server = serve("sig_lambda", "answer", env=LAMBDA, shared=True)
    response = server.get("/?case=string")
    assert response.status_code == 200
    assert content_type(response) == JSON
    assert response.text == '"Hello, world!"'


@pytest.mark.parametrize("case, value", [
    ("json", HELLO),        # urls-invocation.md "Example output for a JSON response"
    ("none", None),         # SHARED-DECISIONS-11: None/null → JSON null
    ("number", 42),
    ("list", [1, "two", None]),
])
def test_v2_a_value_without_status_code_is_json(serve, case, value):
    # urls-invocation.md: "If your function returns valid JSON and doesn't return a statusCode,
    # Lambda assumes ... statusCode 200, content-type application/json, body the function response".
    server = serve("sig_lambda", "answer", env=LAMBDA, shared=True)
    response = server.get(f"/?case={case}")
    assert response.status_code == 200
    assert content_type(response) == JSON
    assert json.loads(response.text) == value


def test_v2_custom_response(serve):
    # urls-invocation.md "Example output for a custom response": 201, its headers, its body.
    server = serve("sig_lambda", "answer", env=LAMBDA, shared=True)
    response = server.get("/?case=custom")
    assert response.status_code == 201
    assert content_type(response) == JSON
    assert response.headers["my-custom-header"] == "Custom Value"
    assert response.json() == HELLO


def test_v2_cookies_become_set_cookie_headers(serve):
    # urls-invocation.md "Cookies": each entry of `cookies` is a set-cookie header.
    server = serve("sig_lambda", "answer", env=LAMBDA, shared=True)
    response = server.get("/?case=cookies")
    assert response.status_code == 201
    assert response.headers.get_list("set-cookie") == ["Cookie_1=Value1; Expires=21 Oct 2021 07:48 GMT",
                                                       "Cookie_2=Value2; Max-Age=78000"]
    assert response.headers["my-custom-header"] == "Custom Value"
    assert response.json() == HELLO


@pytest.mark.parametrize("signature", sorted(SIGNATURES))
def test_base64_body_is_decoded(serve, signature):
    # urls-invocation.md / payload 1.0: `isBase64Encoded: true` → the body is base64-decoded.
    server = serve("sig_lambda", "answer", env=SIGNATURES[signature], shared=True)
    response = server.get("/?case=base64")
    assert response.status_code == 200
    assert content_type(response) == "image/png"
    assert response.content == PNG


# -- the result, payload 1.0 --------------------------------------------------------------------

def test_v1_proxy_response(serve):
    # The REST API's proxy response (foreign-signatures.md §1 "v1 / REST"): statusCode, headers,
    # multiValueHeaders (repeated headers), body.
    server = serve("sig_lambda", "answer", env=LAMBDA_V1, shared=True)
    response = server.get("/?case=custom")
    assert response.status_code == 201 and content_type(response) == JSON
    assert response.headers["my-custom-header"] == "Custom Value"
    assert response.json() == HELLO
    response = server.get("/?case=multi")
    assert response.status_code == 202
    assert content_type(response) == "text/plain"
    assert response.headers.get_list("x-multi") == ["first", "second"]
    assert response.text == "multi"


@pytest.mark.parametrize("case", ["string", "json", "none", "number", "list", "status_string", "body_object",
                                  "no_status"])
def test_v1_malformed_result_is_502(serve, case):
    # knowledge-center "malformed-502-api-gateway" (foreign-signatures.md §1): anything but
    # {statusCode: int, headers, multiValueHeaders, body: string, isBase64Encoded} is
    # 502 "Malformed Lambda proxy response"; SHARED-DECISIONS-11 words it as the contract's errors.
    server = serve("sig_lambda", "answer", env=LAMBDA_V1, shared=True)
    event_id = new_id()
    before = failures(server, "GET")
    mark = len(server.stderr())
    response = server.get(f"/?case={case}", headers={"event-id": event_id})
    assert_error(response, 502, body=f"Bad Gateway: malformed Lambda proxy response (event-id: {event_id})")
    server.wait_for_output(rf"^error: event-id={event_id}: ", "stderr", since=mark)
    assert failures(server, "GET") == before + 1


# -- the Lambda guide's own Python examples ----------------------------------------------------

@pytest.mark.only("python")
@pytest.mark.parametrize("signature", sorted(SIGNATURES))
def test_l_py_2_region_response(serve, signature):
    # L-py-2, python-handler.md "Parsing a response": a proxy response with a JSON body whose key
    # has a trailing space; valid for both payload versions.
    server = serve("sig_lambda_region", "lambda_handler", env={**SIGNATURES[signature], "AWS_REGION": "eu-west-3"},
                   shared=True)
    response = server.get("/")
    assert response.status_code == 200
    assert content_type(response) == JSON
    assert response.text == '{"Region ": "eu-west-3"}'


@pytest.mark.only("python")
def test_l_py_1_through_a_function_url(serve):
    # L-py-1, python-handler.md "Returning a message", behind a Function URL: the event is the
    # HTTP event, which has no first_name: the function raises KeyError → the contract's 500.
    server = serve("sig_lambda", "lambda_handler", env=LAMBDA, shared=True)
    event_id = new_id()
    response = server.get("/", headers={"event-id": event_id})
    assert_error(response, 500, body=f"Internal Server Error (event-id: {event_id})")


@pytest.mark.only("python")
def test_l_py_3_context(serve):
    # L-py-3, python-context.md: ARN, log stream/group, request id, memory limit (a string), and
    # get_remaining_time_in_millis() after the doc's 1 s sleep.
    env = {**LAMBDA, "FUNC_TIMEOUT": "5", "FUNC_MEMORY_LIMIT": "256Mi", "AWS_REGION": "eu-central-1"}
    server = serve("sig_lambda_context", "lambda_handler", env=env)
    event_id = new_id()
    response = server.get("/", headers={"event-id": event_id})
    assert response.status_code == 200 and content_type(response) == JSON
    values = response.json()
    assert values["invoked_function_arn"] == f"arn:aws:lambda:eu-central-1:{ACCOUNT}:function:lambda_handler"
    assert values["log_group_name"] == "/aws/lambda/lambda_handler"
    assert isinstance(values["log_stream_name"], str) and values["log_stream_name"]
    assert values["aws_request_id"] == event_id
    assert values["memory_limit_in_mb"] == "256"
    assert 0 < values["remaining"] <= 4000, values  # 5 s minus the 1 s it slept
    server.wait_for_output(rf"^Lambda Request ID: {event_id}$")
    server.wait_for_output(r"^Lambda function memory limits in MB: 256$")


@pytest.mark.only("python")
def test_python_async_def_is_awaited(serve):
    # SHARED-DECISIONS-11: `async def` is allowed (an extension: Lambda's Python runtime is sync only).
    server = serve("sig_lambda", "echo_async", env=LAMBDA, shared=True)
    event_id = new_id()
    response = server.get("/", headers={"event-id": event_id})
    assert response.status_code == 200 and content_type(response) == JSON
    assert response.json() == {"async": True, "request_id": event_id}


# -- the Lambda guide's own Node.js examples ---------------------------------------------------

@pytest.mark.only("nodejs")
def test_l_js_1_log_stream_name(serve):
    # L-js-1, nodejs-handler.md: returns context.logStreamName, a string → a JSON string
    # (urls-invocation.md "Example output for a string response"); it logs the event.
    server = serve("sig_lambda", "handler", env=LAMBDA, shared=True)
    mark = len(server.stdout())
    response = server.get("/l-js-1")
    assert response.status_code == 200 and content_type(response) == JSON
    stream = json.loads(response.text)
    assert isinstance(stream, str) and stream
    server.wait_for_output(r'^  "rawPath": "/l-js-1",$', since=mark)
    assert "EVENT: " in server.stdout()[mark:]


@pytest.mark.only("nodejs")
def test_l_js_2_product_through_a_function_url(serve):
    # L-js-2, urls-tutorial.md "Test the function URL endpoint": the tutorial's curl, and its output
    # "The product of 10 and 10 is 100". (The doc shows no content type for a statusCode answer
    # without headers, so none is asserted.)
    server = serve("sig_lambda_product", "handler", env=LAMBDA, shared=True)
    response = server.post("/", content=b'{"num1": "10", "num2": "10"}', headers={"content-type": JSON})
    assert response.status_code == 200
    assert response.text == "The product of 10 and 10 is 100"


@pytest.mark.only("nodejs")
def test_l_js_3_rest_api_sample(serve):
    # L-js-3, sample-apps/nodejs-apig/function/index.mjs (an ES module, REST API payload 1.0):
    # application/json, X-Custom-Header twice from multiValueHeaders, the pretty-printed body.
    server = serve("sig_lambda_apig", "handler", env=LAMBDA_V1, shared=True)
    response = server.get("/")
    assert response.status_code == 200
    assert content_type(response) == JSON
    assert response.headers.get_list("x-custom-header") == ["My value", "My other value"]
    assert response.text == '{\n  "TotalCodeSize": 1234,\n  "FunctionCount": 1\n}'


@pytest.mark.only("nodejs")
def test_l_js_4_callback_handler(serve):
    # L-js-4, nodejs-handler.md "Non-async handlers": callback(null, res.statusCode) → the number
    # as JSON (urls-invocation.md: a value without statusCode is the JSON body).
    server = serve("sig_lambda_callback", "handler", env=LAMBDA, shared=True)
    response = server.get("/")
    assert response.status_code == 200 and content_type(response) == JSON
    assert response.text == "200"


@pytest.mark.only("nodejs")
@pytest.mark.parametrize("case, value", [
    ("callback", "from callback"),
    ("succeed", "from succeed"),
    ("done", "from done"),
    ("first_wins", "first"),   # CallbackContext.js: only the first call counts
    ("later", "later"),        # a non-async handler that returns undefined is answered when it calls back
])
def test_nodejs_callback_succeed_done(serve, case, value):
    server = serve("sig_lambda", "callbacks", env=LAMBDA, shared=True)
    response = server.get(f"/?case={case}")
    assert response.status_code == 200 and content_type(response) == JSON
    assert json.loads(response.text) == value


@pytest.mark.only("nodejs")
@pytest.mark.parametrize("case, message", [("callback_error", "callback error from sig_lambda"),
                                           ("fail", "fail from sig_lambda"),
                                           ("done_error", "done error from sig_lambda")])
def test_nodejs_callback_fail_is_500(serve, case, message):
    # callback(err) / context.fail(err) / context.done(err): an error → the contract's 500, a failure.
    server = serve("sig_lambda", "callbacks", env=LAMBDA, shared=True)
    event_id = new_id()
    before = failures(server, "GET")
    mark = len(server.stderr())
    response = server.get(f"/?case={case}", headers={"event-id": event_id})
    assert_error(response, 500, body=f"Internal Server Error (event-id: {event_id})")
    server.wait_for_output(rf"^error: event-id={event_id}:", "stderr", since=mark)
    server.wait_for_output(message, "stderr", since=mark)  # the function's own error, not a TypeError
    assert failures(server, "GET") == before + 1


@pytest.mark.only("nodejs")
def test_nodejs_callback_answers_at_once(serve):
    # SHARED-DECISIONS-11: "the callback answers at once; it does not wait for an empty event loop"
    # (Lambda would wait for the 2 s timer unless callbackWaitsForEmptyEventLoop is false).
    server = serve("sig_lambda", "callbacks", env=LAMBDA, shared=True)
    started = time.monotonic()
    response = server.get("/?case=pending_timer")
    assert time.monotonic() - started < 1.5
    assert response.status_code == 200 and response.text == '"at once"'


# -- the context -----------------------------------------------------------------------------

def test_context_defaults(serve, runtime):
    # python-context.md / nodejs-context.md (InvokeContext.js), with SHARED-DECISIONS-11's values:
    # version $LATEST, ARN arn:aws:lambda:us-east-1:123456789012:function:NAME (no AWS_REGION),
    # memory "128" (no FUNC_MEMORY_LIMIT), log group /aws/lambda/NAME, remaining time from our
    # deadline. NAME: the handler's function, as the contract's context["function-name"].
    server = serve("sig_lambda", "context_info", env={**LAMBDA, "FUNC_TIMEOUT": "7"}, shared=True)
    event_id = new_id()
    response = server.get("/", headers={"event-id": event_id})
    assert response.status_code == 200 and content_type(response) == JSON
    info = response.json()
    assert info["aws_request_id"] == event_id
    assert info["function_name"] == "context_info"
    assert info["function_version"] == "$LATEST"
    assert info["invoked_function_arn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:context_info"
    assert str(info["memory_limit_in_mb"]) == "128"
    assert info["log_group_name"] == "/aws/lambda/context_info"
    assert isinstance(info["log_stream_name"], str) and info["log_stream_name"]
    assert info["has_identity"] is True
    assert 5000 < info["remaining"] <= 7000, info  # within (0, FUNC_TIMEOUT*1000], and barely used
    if runtime.name == "python":
        assert info["memory_limit_in_mb"] == "128"  # a string, as LambdaContext's
        assert info["client_context"] is None and info["tenant_id"] is None
    else:
        assert info["callback_waits"] is True  # the RIC's default
        assert info["has_succeed_fail_done"] is True


def test_context_region_and_memory(serve):
    server = serve("sig_lambda", "context_info",
                   env={**LAMBDA, "AWS_REGION": "eu-west-3", "FUNC_MEMORY_LIMIT": "256Mi"}, shared=True)
    info = server.get("/").json()
    assert info["invoked_function_arn"] == f"arn:aws:lambda:eu-west-3:{ACCOUNT}:function:context_info"
    assert str(info["memory_limit_in_mb"]) == "256"
    assert 0 < info["remaining"] <= 180_000  # the contract's default FUNC_TIMEOUT


# -- the runtime interface emulator's endpoint (RIE README.md) ----------------------------------

@pytest.mark.only("python")
@pytest.mark.parametrize("signature", sorted(SIGNATURES))
def test_rie_invoke_l_py_1(serve, signature):
    # L-py-1 as python-handler.md invokes it: event {"first_name":"John","last_name":"Smith"},
    # response {"message": "Hello John Smith!"}; the body *is* the event, the answer the JSON of
    # the return (no HTTP mapping).
    server = serve("sig_lambda", "lambda_handler", env=SIGNATURES[signature], shared=True)
    response = server.post(RIE, content=b'{"first_name": "John", "last_name": "Smith"}')
    assert response.status_code == 200
    assert content_type(response) == JSON
    assert response.json() == {"message": "Hello John Smith!"}


@pytest.mark.only("python")
def test_rie_exception_of_l_py_1(serve):
    # RIE: an exception is 200 {"errorMessage", "errorType", "stackTrace"} with
    # X-Amz-Function-Error: Unhandled (Lambda's own answer for KeyError('first_name')).
    server = serve("sig_lambda", "lambda_handler", env=LAMBDA, shared=True)
    response = server.post(RIE, content=b'{"last_name": "Smith"}')
    assert response.status_code == 200 and content_type(response) == JSON
    assert response.headers["x-amz-function-error"] == "Unhandled"
    error = response.json()
    assert error["errorType"] == "KeyError"
    assert error["errorMessage"] == "'first_name'"
    assert isinstance(error["stackTrace"], list)


@pytest.mark.parametrize("signature", sorted(SIGNATURES))
def test_rie_returns_the_result_unmapped(serve, signature):
    # RIE README.md: the answer is the function's return as JSON, whatever it is: a proxy response
    # is not turned into HTTP (200, not its 201), and a string is not malformed under lambda-v1.
    server = serve("sig_lambda", "answer", env=SIGNATURES[signature], shared=True)
    before = calls(server, "POST")
    response = server.post(RIE, json={"case": "custom"})
    assert response.status_code == 200 and content_type(response) == JSON
    proxy = response.json()
    assert json.loads(proxy.pop("body")) == HELLO
    assert proxy == {"statusCode": 201,
                     "headers": {"Content-Type": "application/json", "My-Custom-Header": "Custom Value"},
                     "isBase64Encoded": False}
    assert "my-custom-header" not in response.headers
    response = server.post(RIE, json={"case": "string"})
    assert (response.status_code, response.text) == (200, '"Hello, world!"')
    response = server.post(RIE, json={"case": "none"})
    assert (response.status_code, response.text) == (200, "null")
    assert calls(server, "POST") == before + 3


@pytest.mark.parametrize("signature", sorted(SIGNATURES))
def test_rie_empty_body_is_an_empty_event(serve, signature):
    # SHARED-DECISIONS-11: the body is the event; an empty body is `{}`. The event id is the
    # request id there too.
    server = serve("sig_lambda", "echo", env=SIGNATURES[signature], shared=True)
    event_id = new_id()
    response = server.post(RIE, headers={"event-id": event_id})
    assert response.status_code == 200 and content_type(response) == JSON
    proxy = response.json()
    assert proxy["statusCode"] == 200
    assert json.loads(proxy["body"]) == {"event": {}, "request_id": event_id}


@pytest.mark.parametrize("signature", sorted(SIGNATURES))
def test_rie_exception_is_an_unhandled_error(serve, runtime, signature):
    # RIE: 200, {"errorMessage", "errorType", "stackTrace"}, X-Amz-Function-Error: Unhandled;
    # SHARED-DECISIONS-11: counted as a failure and logged.
    server = serve("sig_lambda", "answer", env=SIGNATURES[signature], shared=True)
    event_id = new_id()
    before = failures(server, "POST")
    mark = len(server.stderr())
    response = server.post(RIE, json={"case": "raise"}, headers={"event-id": event_id})
    assert response.status_code == 200 and content_type(response) == JSON
    assert response.headers["x-amz-function-error"] == "Unhandled"
    error = response.json()
    assert error["errorMessage"] == "boom from sig_lambda"
    assert error["errorType"] == ("ValueError" if runtime.name == "python" else "Error")
    assert isinstance(error["stackTrace"], list)
    server.wait_for_output(rf"^error: event-id={event_id}:", "stderr", since=mark)
    assert "boom from sig_lambda" in server.stderr()[mark:]
    assert failures(server, "POST") == before + 1


def test_rie_request_id_in_the_context(serve):
    server = serve("sig_lambda", "context_info", env={**LAMBDA, "FUNC_TIMEOUT": "7"}, shared=True)
    event_id = new_id()
    response = server.post(RIE, content=b"{}", headers={"event-id": event_id})
    assert response.status_code == 200
    assert response.json()["aws_request_id"] == event_id


# -- the machinery holds under the signature -----------------------------------------------------

@pytest.mark.only("nodejs")
def test_nodejs_handler_that_never_calls_back_times_out(serve):
    # SHARED-DECISIONS-11: a non-async handler that returns undefined and never calls back is
    # answered at the deadline.
    server = serve("sig_lambda", "callbacks", env={**LAMBDA, "FUNC_TIMEOUT": "1"})
    with httpx.Client(timeout=30) as client:
        response = client.get(server.url + "/?case=never")
    assert_error(response, 408, body=TIMEOUT_BODY)
