"""Issue 11, FUNC_SIGNATURE=openwhisk: a web action served as OpenWhisk's controller serves `.http`.

The binding spec is /work/wt/SHARED-DECISIONS-11.md "openwhisk"; the platform's facts and its
example actions by id (W-py-1 …, W-js-1 …) are in /work/shared/foreign-signatures.md §6, which cites
`apache/openwhisk@1fae641` `docs/webactions.md`, `docs/actions-python.md`, `docs/actions-nodejs.md`
(and the controller that implements them, `core/controller/.../WebActions.scala`). Each case says
which doc it follows.

**Where this file follows the platform against the decisions file**: SHARED-DECISIONS-11 says a
result with none of `statusCode`, `headers`, `body` (W-py-1's `{"greeting": …}`) is answered
`200 application/json` with the whole result. webactions.md says otherwise for `.http`:
"`statusCode`: … default is 200 OK if body is not empty otherwise 204 No Content" and "`body`: …
(default is empty response)", and the controller's `resultAsHttp` does exactly that (no `body` →
`respondWithEmptyEntity(NoContent)`). The whole result as JSON is what `.json` gives, not `.http`.
So these cases expect `204` with an empty body for such results (W-py-1, W-py-2, W-js-4), as the
decisions already do for `None`/`undefined`.
"""

from __future__ import annotations

import base64
import time

import httpx
import pytest

from support import assert_error, content_type, counts, new_id

OPENWHISK = {"FUNC_SIGNATURE": "openwhisk"}
JSON = "application/json"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
HTML = "<html><body><h3>hello</h3></body></html>"


def mime(response: httpx.Response) -> str:
    """The media type without parameters (OpenWhisk's text/html comes with `charset=UTF-8`)."""
    return content_type(response).split(";")[0]


def args_of(response: httpx.Response) -> dict:
    """The args the suite's action got: it answers W-js-3's `{statusCode: 200, headers:
    {'Content-Type': 'application/json'}, body: params}`."""
    assert response.status_code == 200, (response.status_code, response.text[:500])
    assert content_type(response) == JSON
    return response.json()


@pytest.fixture
def action(serve):
    return serve("sig_openwhisk", "main", env=OPENWHISK, shared=True)


# -- the args (webactions.md "HTTP Context", "Additional features") --------------------------------

@pytest.mark.smoke
def test_query_and_json_body_are_merged_into_args(action):
    # webactions.md "Query and body parameters as input": query, then body parameters, "each of
    # these overriding any previous values"; plus __ow_method (lower-case, as the doc's "post"),
    # __ow_headers (lower-case names), __ow_path; no __ow_body for a JSON object body.
    response = action.post("/some/path?name=query&x=1", json={"name": "body", "y": 2},
                           headers={"X-Custom": "Value"})
    args = args_of(response)
    assert args["name"] == "body"  # the body wins
    assert args["x"] == "1" and args["y"] == 2
    assert args["__ow_method"] == "post"
    assert args["__ow_path"] == "/some/path"
    headers = args["__ow_headers"]
    assert all(name == name.lower() for name in headers), headers
    assert headers["x-custom"] == "Value"
    assert headers["content-type"] == JSON
    assert headers["host"] == f"127.0.0.1:{action.port}"
    assert "__ow_body" not in args


def test_get_without_body(action):
    # webactions.md's `hello.json` outputs: "__ow_method": "get", "__ow_path": "" for the action
    # itself; no body, no __ow_body.
    args = args_of(action.get("/?name=Jane"))
    assert args["name"] == "Jane"
    assert args["__ow_method"] == "get"
    assert args["__ow_path"] == ""
    assert "__ow_body" not in args


def test_form_body_is_merged(action):
    # webactions.md "You may use form data as input": `-d name=Jane` gives "name": "Jane".
    args = args_of(action.post("/?name=query&other=q", data={"name": "Jane"}))
    assert args["name"] == "Jane" and args["other"] == "q"
    assert args["__ow_headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert "__ow_body" not in args


def test_text_body_is_ow_body(action):
    # webactions.md: `-H 'Content-Type: text/plain' -d "Jane"` gives "__ow_body": "Jane" and no name.
    args = args_of(action.post("/", content=b"Jane", headers={"content-type": "text/plain"}))
    assert args["__ow_body"] == "Jane"
    assert "name" not in args


@pytest.mark.parametrize("ctype, body", [
    ("application/octet-stream", bytes(range(256))),
    ("image/png", PNG),
    ("text/plain", b"\xff\xfe not UTF-8"),
])
def test_binary_body_is_base64_ow_body(action, ctype, body):
    # webactions.md "HTTP Context": __ow_body is "a base64 encoded string when content is binary";
    # SHARED-DECISIONS-11: also when it is not UTF-8.
    args = args_of(action.post("/", content=body, headers={"content-type": ctype}))
    assert base64.b64decode(args["__ow_body"]) == body


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_ow_method_is_lower_case(action, method):
    # webactions.md "Activation via multiple HTTP verbs"; __ow_method lower-case (controller metadata:
    # method.value.toLowerCase).
    args = args_of(action.request(method, "/x?name=Jane"))
    assert args["__ow_method"] == method.lower()
    assert args["__ow_path"] == "/x"


# -- the result (webactions.md "Handling HTTP requests with actions") -----------------------------

@pytest.mark.smoke
def test_a_string_body_is_text_html(action):
    # "If a content-type header is not declared ... the body is interpreted as application/json
    # for non-string values, and text/html otherwise."
    response = action.get("/?case=string_body")
    assert response.status_code == 200
    assert mime(response) == "text/html"
    assert response.text == "plain words"


@pytest.mark.parametrize("case, value", [("object_body", {"a": 1, "b": [True, None]}), ("array_body", [1, "two"])])
def test_a_non_string_body_is_json(action, case, value):
    response = action.get(f"/?case={case}")
    assert response.status_code == 200
    assert content_type(response) == JSON
    assert response.json() == value


def test_the_status_code_is_kept(action):
    response = action.get("/?case=created")
    assert (response.status_code, mime(response), response.text) == (201, "text/html", "made")
    response = action.get("/?case=status_only")  # a status and no body: that status, empty
    assert (response.status_code, response.content) == (200, b"")


@pytest.mark.parametrize("case", ["empty_body", "none", "no_keys"])
def test_no_body_is_204(action, case):
    # "statusCode: ... default is 200 OK if body is not empty otherwise 204 No Content"; "The body
    # is considered empty if it is null, the empty string "" or undefined". `none`: undefined/None
    # is {} (runner.js). `no_keys`: a result with none of the HTTP keys has no body either (the
    # controller's resultAsHttp; see the module docstring: this follows the platform, not the
    # decisions file's 200 JSON).
    response = action.get(f"/?case={case}")
    assert response.status_code == 204
    assert response.content == b""


def test_headers_without_body_are_204_with_the_headers(action):
    response = action.get("/?case=headers_only")
    assert response.status_code == 204
    assert response.headers["x-only"] == "yes"


def test_sets_a_cookie(action):
    # webactions.md "Or sets a cookie".
    response = action.get("/?case=cookie")
    assert response.status_code == 200
    assert mime(response) == "text/html"
    assert response.headers.get_list("set-cookie") == ["UserID=Jane; Max-Age=3600; Version="]
    assert response.text == HTML


def test_sets_multiple_cookies(action):
    # webactions.md "Or sets multiple cookies": "To send multiple values for a single header, the
    # header's value should be a JSON array of values."
    response = action.get("/?case=cookies")
    assert response.status_code == 200
    assert mime(response) == "text/html"
    assert response.headers.get_list("set-cookie") == ["UserID=Jane; Max-Age=3600; Version=",
                                                       "SessionID=asdfgh123456; Path = /"]
    assert response.text == HTML


def test_header_values_of_other_types(action):
    # webactions.md: header values are "string, number, or boolean values", or an array of them.
    response = action.get("/?case=header_types")
    assert response.status_code == 200
    assert response.headers["x-num"] == "42"
    assert response.headers["x-bool"] == "true"
    assert response.headers.get_list("x-list") == ["a", "b"]
    assert response.text == "typed"


def test_returns_an_image_png(action):
    # webactions.md "Or returns an image/png": with a binary content type the string body is
    # base64-decoded.
    response = action.get("/?case=png")
    assert response.status_code == 200
    assert content_type(response) == "image/png"
    assert response.content == PNG


def test_redirect(action):
    # W-js-2 (webactions.md "an HTTP redirect"), the same result from the suite's action.
    response = action.get("/?case=redirect")
    assert response.status_code == 302
    assert response.headers["location"] == "http://openwhisk.org"


@pytest.mark.parametrize("case, status, body", [("error_status", 400, b""), ("error_body", 404, b"not here")])
def test_error_result_is_projected(action, case, status, body):
    # webactions.md "Error Handling": "The controller projects an error property from the response
    # object" and applies the .http handling to it: `{error: {statusCode: 400}}`.
    response = action.get(f"/?case={case}")
    assert response.status_code == status
    assert response.content == body
    if body:
        assert mime(response) == "text/html"


# -- the platform's own example actions -------------------------------------------------------------

@pytest.mark.only("nodejs")
@pytest.mark.parametrize("query, message", [("?name=Jane", "hello Jane!"), ("", "you did not tell me who you are.")])
def test_w_js_1_hello(serve, query, message):
    # W-js-1, webactions.md `hello.js` (a non-exported `function main({name})`), opened as the doc
    # says: `hello.http?name=Jane`; a string body → text/html.
    server = serve("sig_openwhisk_hello", "main", env=OPENWHISK, shared=True)
    response = server.get("/" + query)
    assert response.status_code == 200
    assert mime(response) == "text/html"
    assert response.text == f"<html><body><h3>{message}</h3></body></html>"


@pytest.mark.only("nodejs")
def test_w_js_2_redirect(serve):
    server = serve("sig_openwhisk_redirect", "main", env=OPENWHISK, shared=True)
    response = server.get("/")
    assert response.status_code == 302
    assert response.headers["location"] == "http://openwhisk.org"
    assert response.content == b""


@pytest.mark.only("nodejs")
def test_w_js_4_promise_is_awaited(serve):
    # W-js-4, actions-nodejs.md `asyncAction.js`: the Promise resolves {done: true} after 2 s. Through
    # .http that result has no body → 204 (see the module docstring).
    server = serve("sig_openwhisk_promise", "main", env=OPENWHISK, shared=True)
    started = time.monotonic()
    response = server.get("/")
    assert time.monotonic() - started >= 1.9
    assert response.status_code == 204 and response.content == b""


@pytest.mark.only("nodejs")
def test_nodejs_exported_main_works_too(serve):
    # runner.js falls back to module.exports.main.
    server = serve("sig_openwhisk_exported", "main", env=OPENWHISK, shared=True)
    response = server.get("/?name=Jane")
    assert (response.status_code, mime(response), response.text) == (200, "text/html", "exported Jane")


@pytest.mark.only("python")
def test_w_py_1_hello(serve):
    # W-py-1, actions-python.md `hello.py`: returns {"greeting": ...} and prints it. Through .http a
    # result without body is 204 (see the module docstring); the print reaches stdout.
    server = serve("sig_openwhisk_hello", "main", env=OPENWHISK, shared=True)
    mark = len(server.stdout())
    response = server.get("/?name=Jane")
    assert response.status_code == 204 and response.content == b""
    server.wait_for_output(r"^Hello Jane!$", since=mark)


@pytest.mark.only("python")
def test_w_py_2_identity(serve):
    # W-py-2, actions-python.md `main(args): return args`: its args are its result, so parameters
    # named like the HTTP keys make the answer: JSON body {"statusCode": 201, "body": "hi"} → 201
    # text/html "hi"; without them there is no body → 204.
    server = serve("sig_openwhisk_identity", "main", env=OPENWHISK, shared=True)
    response = server.post("/", json={"statusCode": 201, "body": "hi"})
    assert (response.status_code, mime(response), response.text) == (201, "text/html", "hi")
    response = server.get("/?name=Jane")
    assert response.status_code == 204 and response.content == b""


def test_decode_binary_body_example(serve):
    # webactions.md "Decoding binary body content from Base64" (Node.js as shown; Python is W-py-3,
    # adapted to Python 3): a binary body arrives base64 in __ow_body, the action decodes it, and
    # the doc's `{body: "Decoded body"}` is a text/html answer through .http.
    server = serve("sig_openwhisk_decode", "main", env=OPENWHISK, shared=True)
    response = server.post("/", content=b"Decoded body", headers={"content-type": "application/octet-stream"})
    assert response.status_code == 200
    assert mime(response) == "text/html"
    assert response.text == "Decoded body"


@pytest.mark.only("python")
def test_python_async_main(serve):
    # SHARED-DECISIONS-11: Python `main(args)` may be `async def`.
    server = serve("sig_openwhisk", "main_async", env=OPENWHISK, shared=True)
    response = server.get("/?name=Jane")
    assert (response.status_code, mime(response), response.text) == (200, "text/html", "async Jane")


# -- the machinery holds under the signature --------------------------------------------------------

@pytest.mark.only("nodejs")
def test_a_rejection_is_the_contracts_500(action):
    assert_failed_call(action, "reject")


def assert_failed_call(action, case: str) -> None:
    event_id = new_id()
    before_calls, before_failures = counts(action, "function_calls_total", "GET"), counts(action, "function_failures_total", "GET")
    mark = len(action.stderr())
    response = action.get(f"/?case={case}", headers={"event-id": event_id})
    assert_error(response, 500, body=f"Internal Server Error (event-id: {event_id})")
    action.wait_for_output(rf"^error: event-id={event_id}:", "stderr", since=mark)
    action.wait_for_output("(boom from|rejected by) sig_openwhisk", "stderr", since=mark)
    assert counts(action, "function_failures_total", "GET") == before_failures + 1
    assert counts(action, "function_calls_total", "GET") == before_calls + 1
