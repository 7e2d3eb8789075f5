"""Issue 11, FUNC_SIGNATURE=openfaas: OpenFaaS's Python (python3-http, classic python3-flask) and
Node.js (node22) templates' handlers, answered as those templates answer.

The binding spec is /work/wt/SHARED-DECISIONS-11.md "openfaas"; the platform's facts and its example
functions by id (O-py-1 …, O-js-1 …) are in /work/shared/foreign-signatures.md §4, which cites
`openfaas/python-flask-template@e01a882` (README.md, template/python3-http/index.py,
template/python3-flask/index.py) and `openfaas/templates@69ca16a` (template/node22/index.js). Each
case says which one it follows. Where the template's answer is surprising (Node.js sends an object as
a JSON *string* with Express's `text/html; charset=utf-8`; Python's `str(event.body)` of bytes is
`b'...'`), the case follows the template.

One place where the decisions file wins over the Node.js template: the template answers an error
(a throw, a rejection, `callback(err)`) with `res.status(context.status())`, which is still 200
unless the function set one; SHARED-DECISIONS-11 makes it "500 if still 200" (as `context.fail`
does), and counts a throw as a failure.
"""

from __future__ import annotations

import base64

import httpx
import pytest

from support import content_type

OPENFAAS = {"FUNC_SIGNATURE": "openfaas"}
JSON = "application/json"
HTML_UTF8 = "text/html; charset=utf-8"


def mime(response: httpx.Response) -> str:
    return content_type(response).split(";")[0]


@pytest.fixture
def function(serve):
    return serve("sig_openfaas", "handle", env={**OPENFAAS, "HOSTNAME": "of-host-7"}, shared=True)


# -- Python: python3-http, handle(event, context) ----------------------------------------------------

@pytest.mark.smoke
@pytest.mark.only("python")
def test_o_py_1_template(serve):
    # O-py-1, template/python3-http/function/handler.py: {"statusCode": 200, "body": "Hello from
    # OpenFaaS!"}; a string body goes to Flask as str → text/html; charset=utf-8 (README "Response
    # Bodies").
    server = serve("sig_openfaas_template", "handle", env=OPENFAAS, shared=True)
    response = server.get("/")
    assert response.status_code == 200
    assert content_type(response) == HTML_UTF8
    assert response.text == "Hello from OpenFaaS!"


@pytest.mark.only("python")
@pytest.mark.parametrize("case, status, body", [
    ("json_ct", 200, {"message": "Hello from OpenFaaS!"}),  # README "Return a JSON body with a Content-Type"
    ("json", 200, {"key": "value"}),                        # README "Custom status codes ...": JSON body
    ("bad", 400, {"error": "Bad request"}),                  # ... "Failure response status code and JSON error"
])
def test_o_py_2_dict_body_is_json(function, case, status, body):
    # README "Response Bodies": "returning a dict object type will automatically attach the header
    # Content-Type: application/json" (index.py format_body: a dict body → jsonify).
    response = function.get(f"/?case={case}")
    assert response.status_code == status
    assert content_type(response) == JSON
    assert response.json() == body


@pytest.mark.only("python")
def test_o_py_2_string_body_with_status(function):
    # README "Successful response status code and string response body".
    response = function.get("/?case=created")
    assert response.status_code == 201
    assert content_type(response) == HTML_UTF8
    assert response.text == "Object successfully created"


@pytest.mark.only("python")
def test_o_py_2_custom_response_headers(function):
    # README "Custom Response Headers": Location set, the dict body still JSON.
    response = function.get("/?case=location")
    assert response.status_code == 200
    assert response.headers["location"] == "https://www.example.com/"
    assert content_type(response) == JSON
    assert response.json() == {"key": "value"}


@pytest.mark.only("python")
def test_o_py_3_request_body(function):
    # README "Accessing request body": "You said: " + str(event.body). event.body is bytes
    # (index.py: request.get_data()), so the platform answers "You said: b'...'".
    response = function.post("/?case=said", content=b"hello there", headers={"content-type": "text/plain"})
    assert response.status_code == 200
    assert content_type(response) == HTML_UTF8
    assert response.text == "You said: b'hello there'"


@pytest.mark.only("python")
@pytest.mark.parametrize("method, status, text", [("GET", 200, "GET request"), ("POST", 405, "Method not allowed"),
                                                  ("DELETE", 405, "Method not allowed")])
def test_o_py_3_request_method(function, method, status, text):
    # README "Accessing request method".
    response = function.request(method, "/?case=method")
    assert response.status_code == status
    assert content_type(response) == HTML_UTF8
    assert response.text == text


@pytest.mark.only("python")
def test_o_py_3_query_and_headers(function):
    # README "Accessing request query string arguments" / "Accessing request headers":
    # event.query['name'] and event.headers.get('Content-Type') (case-insensitive).
    response = function.get("/?case=query&name=Jane")
    assert (response.status_code, content_type(response), response.json()) == (200, JSON, {"name": "Jane"})
    response = function.post("/?case=headers", content=b"{}", headers={"content-type": "application/json"})
    assert response.json() == {"content-type-received": "application/json"}
    response = function.get("/?case=headers")  # no Content-Type: get gives None → null
    assert response.json() == {"content-type-received": None}


@pytest.mark.only("python")
def test_python_event_and_context(function):
    # index.py Event: body = request.get_data() (bytes, for every content type), headers (werkzeug
    # EnvironHeaders: case-insensitive), method, query = request.args (query['a'] and .get('a')
    # give the first value), path; Context: hostname from HOSTNAME.
    body = b'{"not": "parsed"}'
    response = function.post("/some/path?case=event&a=1&a=2", content=body,
                             headers={"content-type": "application/json", "X-Custom": "Value"})
    assert response.status_code == 200 and content_type(response) == JSON
    seen = response.json()
    assert seen["method"] == "POST"
    assert seen["path"] == "/some/path"
    assert seen["query_item"] == "1" and seen["query_get"] == "1" and seen["query_missing"] is None
    assert seen["body_type"] == "bytes"
    assert base64.b64decode(seen["body_b64"]) == body
    assert seen["header_get_lower"] == seen["header_get_upper"] == seen["header_item"] == "Value"
    assert seen["header_missing"] is None
    assert seen["hostname"] == "of-host-7"


@pytest.mark.only("python")
def test_python_binary_body_is_bytes(function):
    data = bytes(range(256))
    seen = function.post("/?case=event&a=x", content=data, headers={"content-type": "application/octet-stream",
                                                                     "x-custom": "v"}).json()
    assert seen["body_type"] == "bytes" and base64.b64decode(seen["body_b64"]) == data


@pytest.mark.only("python")
@pytest.mark.parametrize("case, status, ctype, body", [
    ("none", 200, None, b""),                       # format_response: None → ('', 200)
    ("status_only", 202, HTML_UTF8, b""),           # format_body: no body → ""
    ("list_body", 200, HTML_UTF8, b"[1, 'two']"),   # format_body: not a dict → str(body), Python's repr
    ("string", 200, HTML_UTF8, b"plain string"),    # a non-dict result goes to Flask as is
    ("tuple", 201, HTML_UTF8, b"made"),             # Flask: (body, status)
    ("tuple_headers", 202, HTML_UTF8, b"with a header"),  # Flask: (body, status, headers)
])
def test_python_result_mapping(function, case, status, ctype, body):
    # template/python3-http/index.py format_response, then Flask's make_response.
    response = function.get(f"/?case={case}")
    assert response.status_code == status
    if ctype is not None:
        assert content_type(response) == ctype
    assert response.content == body
    if case == "tuple_headers":
        assert response.headers["x-extra"] == "yes"


@pytest.mark.only("python")
def test_python_list_result_is_json(function):
    # Flask's make_response: a list is jsonified.
    response = function.get("/?case=list")
    assert (response.status_code, content_type(response), response.json()) == (200, JSON, [1, "two"])


@pytest.mark.only("python")
def test_o_py_4_classic_echo(serve):
    # O-py-4, template/python3-flask: handle(req) with req = request.get_data(as_text=True); the
    # result goes to Flask: a str → text/html; charset=utf-8.
    server = serve("sig_openfaas_classic", "handle", env=OPENFAAS, shared=True)
    response = server.post("/", content="héllo wörld".encode(), headers={"content-type": "text/plain"})
    assert response.status_code == 200
    assert content_type(response) == HTML_UTF8
    assert response.text == "héllo wörld"
    response = server.get("/")
    assert (response.status_code, response.content) == (200, b"")


@pytest.mark.only("python")
def test_o_py_4_classic_raw_body(serve):
    # template/python3-flask/index.py: RAW_BODY=true → req is bytes; returned bytes as Flask sends them.
    server = serve("sig_openfaas_classic", "handle", env={**OPENFAAS, "RAW_BODY": "true"}, shared=True)
    data = bytes(range(256))
    response = server.post("/", content=data, headers={"content-type": "application/octet-stream"})
    assert response.status_code == 200
    assert response.content == data


# -- Node.js: node22, module.exports = async (event, context[, callback]) -------------------------

@pytest.mark.smoke
@pytest.mark.only("nodejs")
def test_o_js_1_template(serve):
    # O-js-1, template/node22/function/handler.js: succeed({body: JSON.stringify(event.body),
    # 'content-type': ...}); index.js sends an object as res.send(JSON.stringify(v)): a string, so
    # Express labels it text/html; charset=utf-8.
    server = serve("sig_openfaas_template", "handle", env=OPENFAAS, shared=True)
    response = server.post("/", content=b'{"a": 1}', headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert content_type(response) == HTML_UTF8
    assert response.text == '{"body":"{\\"a\\":1}","content-type":"application/json"}'
    response = server.post("/", content=b"hello", headers={"content-type": "text/plain"})
    assert response.text == '{"body":"\\"hello\\"","content-type":"text/plain"}'


@pytest.mark.only("nodejs")
def test_o_js_1_is_found_whatever_the_handler_says(serve):
    # SHARED-DECISIONS-11: a module whose module.exports is itself a function is that function,
    # whatever FUNC_HANDLER says (OpenFaaS's Node templates export the function itself).
    server = serve("sig_openfaas_template", "anything", env=OPENFAAS, shared=True)
    response = server.post("/", content=b"[1]", headers={"content-type": "application/json"})
    assert (response.status_code, response.text) == (200, '{"body":"[1]","content-type":"application/json"}')


@pytest.mark.only("nodejs")
def test_o_js_2_redirect(function):
    # O-js-2: context.headers({'Location': ...}).status(307).succeed('Page has moved.').
    response = function.get("/?case=moved")
    assert response.status_code == 307
    assert response.headers["location"] == "https://www.google.com/"
    assert content_type(response) == HTML_UTF8
    assert response.text == "Page has moved."


@pytest.mark.only("nodejs")
def test_o_js_2_not_found_object(function):
    # O-js-2: context.status(404).succeed({...}): the JSON text as text/html.
    response = function.get("/?case=not_found")
    assert response.status_code == 404
    assert content_type(response) == HTML_UTF8
    assert response.text == '{"message":"The record requested was not found."}'


@pytest.mark.only("nodejs")
def test_o_js_3_fail(function):
    # O-js-3: context.fail("Unable to process this event.") → 500 (index.js FunctionContext.fail:
    # 500 if the status is still 200), the message as text.
    response = function.get("/?case=fail")
    assert response.status_code == 500
    assert mime(response) == "text/html"
    assert response.text == "Unable to process this event."


@pytest.mark.only("nodejs")
def test_o_js_3_callback(serve):
    # O-js-3: (event, context, callback) => callback(undefined, {"result": "message received"}).
    server = serve("sig_openfaas_callback", "handle", env=OPENFAAS, shared=True)
    response = server.get("/")
    assert response.status_code == 200
    assert content_type(response) == HTML_UTF8
    assert response.text == '{"result":"message received"}'


@pytest.mark.only("nodejs")
def test_nodejs_callback_error(serve):
    # callback(err): err.toString(), 500 (SHARED-DECISIONS-11: "500 if still 200").
    server = serve("sig_openfaas_callback", "handle", env=OPENFAAS, shared=True)
    response = server.get("/?case=error")
    assert response.status_code == 500
    assert response.text == "Error: callback error from sig_openfaas"


@pytest.mark.only("nodejs")
@pytest.mark.parametrize("ctype, body, kind, value", [
    ("application/json", b'{"a": [1, 2]}', "object", {"a": [1, 2]}),
    ("text/plain", "héllo".encode(), "string", "héllo"),
    ("text/csv", b"a,b", "string", "a,b"),
    ("application/x-www-form-urlencoded", b"name=Jane&n=1", "object", {"name": "Jane", "n": "1"}),
    ("application/octet-stream", bytes([0, 1, 2, 255]), "buffer", base64.b64encode(bytes([0, 1, 2, 255])).decode()),
    (None, b"no type", "string", "no type"),
])
def test_nodejs_event_body_by_content_type(function, ctype, body, kind, value):
    # index.js: bodyParser.text({type: "text/*"}), .json(), .urlencoded(); a missing content type
    # is treated as text/plain; SHARED-DECISIONS-11: any other type → a Buffer.
    headers = {"content-type": ctype} if ctype else {}
    response = function.post("/?case=event", content=body, headers=headers)
    assert response.status_code == 200, response.text
    seen = response.json()  # sent as text/html, but it is JSON text
    assert seen["body_kind"] == kind
    assert seen["body"] == value


@pytest.mark.only("nodejs")
def test_nodejs_event_and_context(function):
    # index.js FunctionEvent {body, headers, method, query, path}; FunctionContext status() → 200 and
    # headers() → {} as getters.
    response = function.request("PUT", "/some/path?case=event&a=1&b=x", headers={"X-Custom": "Value"})
    seen = response.json()
    assert seen["method"] == "PUT"
    assert seen["path"] == "/some/path"
    assert seen["query"] == {"case": "event", "a": "1", "b": "x"}
    assert seen["header"] == "Value"
    assert seen["status"] == 200 and seen["headers"] == {}


@pytest.mark.only("nodejs")
@pytest.mark.parametrize("case, status, ctype, body", [
    ("object", 200, HTML_UTF8, b'{"a":1,"b":[true,null]}'),   # JSON.stringify → res.send(string)
    ("array", 200, HTML_UTF8, b'[1,"two"]'),
    ("string", 200, HTML_UTF8, b"plain string"),
    ("buffer", 200, "application/octet-stream", bytes([0, 1, 2, 255])),  # res.send(Buffer)
    ("undefined", 200, None, b""),
    ("status_object", 201, HTML_UTF8, b'{"made":true}'),
])
def test_nodejs_result_mapping(function, case, status, ctype, body):
    response = function.get(f"/?case={case}")
    assert response.status_code == status
    if ctype is not None:
        assert content_type(response) == ctype
    assert response.content == body
    if case == "status_object":
        assert response.headers["x-extra"] == "yes"


@pytest.mark.only("nodejs")
def test_nodejs_content_type_set_by_the_function(function):
    # "text/html; charset=utf-8 unless a content type was set": context.headers({'Content-Type': ...}).
    response = function.get("/?case=typed")
    assert response.status_code == 200
    assert mime(response) == JSON
    assert response.text == '{"a":1}'


@pytest.mark.only("nodejs")
def test_nodejs_throw_keeps_a_status_the_function_set(function):
    # index.js: an error is answered res.status(context.status()): the 503 the function set.
    response = function.get("/?case=status_then_raise")
    assert response.status_code == 503
    assert response.text == "Error: unavailable from sig_openfaas"


# The machinery under the signature (deadline, failures, counters, the setting): test_signature_machinery.py
