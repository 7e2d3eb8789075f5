"""Issue 11, FUNC_SIGNATURE=gcf: Google Cloud Functions' Functions Framework functions, answered as the
framework answers them.

The binding spec is /work/wt/SHARED-DECISIONS-11b.md; the platform's facts and example ids (G-py-1 …)
are /work/shared/foreign-signatures.md §2, from `GoogleCloudPlatform/functions-framework-python@d13d9aa`
(3.10.2: `src/functions_framework/__init__.py`, `aio/__init__.py`, `examples/`) and
`GoogleCloudPlatform/python-docs-samples: functions/helloworld/main.py`. Flask, functions-framework
and cloudevents are the function's dependencies, never the image's: the cases install them as a
function's install phase does (`tests/functions/python/deps/{gcf,flask}.txt`, installed by `make
setup` into `.cache/function-deps/python-SET`, given as KUBELESS_INSTALL_VOLUME). `gcf` is the real
functions-framework; `flask` is Flask alone, so `import functions_framework` resolves to the
runtime's shim. Where the platform answers an exception differently (its crash page), the case
says so: the contract's 500 wins, with the framework's `X-Google-Status: crash` header.

Besides the examples, a reference case runs the real framework's own app in process
(gcf_reference.py) and compares its answers, status, content type and body, with the runtime's.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest

from harness import REPO_DIR, TESTS_DIR
from signature_machinery import (check_body_limit, check_exception, check_hello, check_json_logs, check_timeout, counts,
                                 new_id)
from support import content_type

GCF = {"FUNC_SIGNATURE": "gcf"}
HTML_UTF8 = "text/html; charset=utf-8"
JSON = "application/json"
DEPS_DIR = REPO_DIR / ".cache" / "function-deps"
FUNCTIONS = TESTS_DIR / "functions" / "python"
CRASH = "500 Internal Server Error: The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application."


def deps(name: str) -> dict:
    """`serve` arguments giving the function the deps set `name` as its install volume."""
    folder = DEPS_DIR / f"python-{name}"
    assert (folder / ".installed").exists(), f"{folder} is missing: run `make setup`"
    return {"env": {**GCF, "KUBELESS_INSTALL_VOLUME": "/deps"}, "volumes": {"/deps": folder}}


def with_env(start: dict, **env: str) -> dict:
    return {**start, "env": {**start["env"], **env}}


# -- G-py-1, G-py-2: HTTP functions, undecorated and decorated, real package and shim -------------

@pytest.mark.smoke
@pytest.mark.only("python")
def test_g_py_1_undecorated_http(serve):
    # G-py-1, examples/cloud_run_http/main.py: return "Hello world!" → Flask make_response: a str is
    # text/html; charset=utf-8.
    server = serve("sig_gcf_http", "hello", shared=True, **deps("flask"))
    response = server.get("/")
    assert (response.status_code, content_type(response), response.text) == (200, HTML_UTF8, "Hello world!")
    response = server.post("/any/path?x=1", content=b"ignored")  # __init__.py: "/" and "/<path:path>", every method
    assert (response.status_code, response.text) == (200, "Hello world!")
    response = server.request("HEAD", "/")  # Flask answers HEAD as GET without the body: the GET's length
    assert (response.status_code, response.headers["content-length"], response.content) == (200, "12", b"")


@pytest.mark.only("python")
@pytest.mark.parametrize("deps_set", ["gcf", "flask"])
def test_g_py_2_decorated_http(serve, deps_set):
    # G-py-2, examples/cloud_run_decorator/main.py: @functions_framework.http hello_http. With the
    # real package installed (gcf) and without it (flask: the runtime's shim), the same answer.
    server = serve("sig_gcf_decorator", "hello_http", shared=True, **deps(deps_set))
    response = server.get("/")
    assert (response.status_code, content_type(response), response.text) == (200, HTML_UTF8, "Hello world!")


@pytest.mark.only("python")
@pytest.mark.parametrize("deps_set", ["gcf", "flask"])
def test_functions_framework_resolves_to_the_real_package_or_the_shim(serve, deps_set):
    # SHARED-DECISIONS-11b: the real package when installed, else the runtime's shim (only under gcf).
    server = serve("sig_gcf_decorator", "which", shared=True, **deps(deps_set))
    source = server.get("/").json()["file"]
    assert source.endswith("functions_framework/__init__.py"), source
    shim = "kubeless_runtime/signatures/shims/functions_framework/" in source
    assert shim == (deps_set == "flask"), source


@pytest.mark.only("python")
def test_the_shim_is_only_there_under_gcf(start_fails):
    # Under another signature, `import functions_framework` without the package fails as any import.
    exit = start_fails("sig_gcf_decorator", "hello_http", env={"FUNC_SIGNATURE": "openfaas"})
    assert exit.code == 1 and not exit.listened
    assert "No module named 'functions_framework'" in exit.stderr


@pytest.mark.only("python")
@pytest.mark.parametrize("deps_set", ["gcf", "flask"])
def test_errorhandler(serve, deps_set):
    # README.md "Quickstart: Error handling": @functions_framework.errorhandler(ZeroDivisionError)
    # answers "I'm a teapot", 418 (a str: text/html); the exception was handled: not a failure.
    server = serve("sig_gcf_errors", "function", shared=True, **deps(deps_set))
    before = counts(server, "function_failures_total", "GET")
    response = server.get("/")
    assert (response.status_code, content_type(response), response.text) == (418, HTML_UTF8, "I'm a teapot")
    assert counts(server, "function_failures_total", "GET") == before


# -- G-py-3: python-docs-samples functions/helloworld/main.py ----------------------------------------

@pytest.mark.only("python")
def test_g_py_3_hello_get(serve):
    server = serve("sig_gcf_helloworld", "hello_get", shared=True, **deps("flask"))
    response = server.get("/")
    assert (response.status_code, content_type(response), response.text) == (200, HTML_UTF8, "Hello, World!")


@pytest.mark.only("python")
def test_g_py_3_hello_http(serve):
    # hello_http reads request.get_json(): a JSON body's "message", else "World".
    server = serve("sig_gcf_helloworld", "hello_http", shared=True, **deps("gcf"))
    response = server.post("/", json={"message": "Earth"})
    assert (response.status_code, content_type(response), response.text) == (200, HTML_UTF8, "Hello, Earth!")
    response = server.post("/", json={"other": 1})
    assert (response.status_code, response.text) == (200, "Hello, World!")
    # The sample predates Flask 2.1: get_json() on a body that is not JSON is werkzeug's 415 page
    # (Request.on_json_loading_failed), which is what the framework (Flask 3) answers today.
    response = server.post("/", content=b"hi", headers={"content-type": "text/plain"})
    assert (response.status_code, content_type(response)) == (415, HTML_UTF8)
    assert "<title>415 Unsupported Media Type</title>" in response.text


@pytest.mark.only("python")
@pytest.mark.parametrize("ctype, body, text", [
    ("application/json", b'{"name": "Ada"}', "Hello, Ada!"),
    ("application/octet-stream", b"Ada", "Hello, b'Ada'!"),    # request.data is bytes: '{}'.format → b'…'
    ("text/plain", b"Ada", "Hello, b'Ada'!"),
    ("application/x-www-form-urlencoded", b"name=Ada", "Hello, Ada!"),
])
def test_g_py_3_hello_content(serve, ctype, body, text):
    server = serve("sig_gcf_helloworld", "hello_content", shared=True, **deps("flask"))
    response = server.post("/", content=body, headers={"content-type": ctype})
    assert (response.status_code, content_type(response), response.text) == (200, HTML_UTF8, text)


@pytest.mark.only("python")
def test_g_py_3_hello_content_unknown_type_is_a_crash(serve):
    # hello_content raises ValueError for another type: the framework's crash (500, X-Google-Status:
    # crash); here the contract's 500 body with the same header, logged with the event id, counted.
    server = serve("sig_gcf_helloworld", "hello_content", shared=True, **deps("flask"))
    event_id = new_id()
    mark = len(server.stderr())
    response = server.post("/", content=b"<x/>", headers={"content-type": "application/xml", "event-id": event_id})
    assert response.status_code == 500
    assert response.text == f"Internal Server Error (event-id: {event_id})"
    assert response.headers["x-google-status"] == "crash"
    server.wait_for_output(rf"^error: event-id={event_id}: .*ValueError: Unknown content type: application/xml",
                           "stderr", since=mark)


@pytest.mark.only("python")
@pytest.mark.parametrize("method, status, title", [
    ("GET", 200, None), ("PUT", 403, "403 Forbidden"), ("POST", 405, "405 Method Not Allowed"),
    ("DELETE", 405, "405 Method Not Allowed"),
])
def test_g_py_3_hello_method(serve, method, status, title):
    # abort(403) / abort(405): werkzeug's HTTPException pages, as Flask answers them.
    server = serve("sig_gcf_helloworld", "hello_method", shared=True, **deps("flask"))
    response = server.request(method, "/")
    assert (response.status_code, content_type(response)) == (status, HTML_UTF8)
    if title is None:
        assert response.text == "Hello, World!"
    else:
        assert f"<title>{title}</title>" in response.text


@pytest.mark.only("python")
def test_g_py_3_hello_error_1_raises(serve):
    # raise RuntimeError('I failed you'): a crash; the contract's 500 + X-Google-Status: crash, counted.
    server = serve("sig_gcf_helloworld", "hello_error_1", shared=True, **deps("flask"))
    before = counts(server, "function_failures_total", "GET")
    mark = len(server.stderr())
    response = server.get("/")
    assert response.status_code == 500 and response.headers["x-google-status"] == "crash"
    assert response.text.startswith("Internal Server Error (event-id: ")
    server.wait_for_output(r"RuntimeError: I failed you$", "stderr", since=mark)
    # The traceback starts at the function's own frame (not Flask's dispatching frames).
    traceback = server.stderr()[mark:]
    assert "flask/app.py" not in traceback and "sig_gcf_helloworld.py" in traceback, traceback
    assert counts(server, "function_failures_total", "GET") == before + 1


@pytest.mark.only("python")
def test_g_py_3_hello_error_2_abort_500(serve):
    # abort(500) is answered by the framework's crash_handler (__init__.py: str(e), 500,
    # X-Google-Status: crash), as Flask labels a str: text/html. Not an exception of the function's.
    server = serve("sig_gcf_helloworld", "hello_error_2", shared=True, **deps("gcf"))
    mark = len(server.stdout())
    response = server.get("/")
    assert (response.status_code, content_type(response), response.text) == (500, HTML_UTF8, CRASH)
    assert response.headers["x-google-status"] == "crash"
    server.wait_for_output(r"^I failed you \(print to stdout\)$", since=mark)


# -- CloudEvent functions (G-py-2's hello_cloud_event, examples/cloud_run_cloud_events) ----------

BINARY = {"ce-id": "1234", "ce-source": "from-galaxy-far-far-away", "ce-type": "cloudevent.greet.you",
          "ce-specversion": "1.0", "content-type": "application/json"}
STRUCTURED = {"specversion": "1.0", "id": "5678", "source": "from-galaxy-far-far-away",
              "type": "cloudevent.greet.you", "datacontenttype": "application/json", "data": {"name": "john"}}


@pytest.mark.only("python")
def test_cloud_event_binary_and_structured(serve):
    # examples/cloud_run_cloud_events: hello(cloud_event) prints the id and data, served with
    # FUNCTION_SIGNATURE_TYPE=cloudevent; __init__.py _cloud_event_view_func_wrapper: from_http(headers,
    # body), then "OK" (a str: text/html; charset=utf-8). send_cloud_event.py posts a structured event.
    start = with_env(deps("gcf"), FUNCTION_SIGNATURE_TYPE="cloudevent")
    server = serve("sig_gcf_events", "hello", shared=True, **start)
    mark = len(server.stdout())
    response = server.post("/", content=b'{"name": "john"}', headers=BINARY)
    assert (response.status_code, content_type(response), response.text) == (200, HTML_UTF8, "OK")
    server.wait_for_output(r"^Received event with ID: 1234 and data \{'name': 'john'\}$", since=mark)
    response = server.post("/", content=json.dumps(STRUCTURED).encode(),
                           headers={"content-type": "application/cloudevents+json"})
    assert (response.status_code, response.text) == (200, "OK")
    server.wait_for_output(r"^Received event with ID: 5678 and data \{'name': 'john'\}$", since=mark)


@pytest.mark.only("python")
def test_cloud_event_decorated_and_its_result_ignored(serve):
    # G-py-2: @functions_framework.cloud_event hello_cloud_event returns a string: ignored, "OK".
    server = serve("sig_gcf_decorator", "hello_cloud_event", shared=True, **deps("gcf"))
    response = server.post("/", content=b'{"a": 1}', headers=BINARY)
    assert (response.status_code, content_type(response), response.text) == (200, HTML_UTF8, "OK")


@pytest.mark.only("python")
def test_cloud_event_not_an_event_and_not_post(serve):
    # Not a CloudEvent: 400 (the framework first tries a legacy background event: not here, see
    # CONTRACT §11); the routes are POST only: another method is Flask's 405.
    server = serve("sig_gcf_decorator", "hello_cloud_event", shared=True, **deps("gcf"))
    response = server.post("/", content=b"plain", headers={"content-type": "text/plain"})
    assert (response.status_code, content_type(response)) == (400, HTML_UTF8)
    assert "parsing CloudEvent failed" in response.text
    response = server.get("/")
    assert (response.status_code, response.headers["allow"]) == (405, "POST")


@pytest.mark.only("python")
@pytest.mark.parametrize("module, function, deps_set", [
    ("sig_gcf_decorator", "hello_cloud_event", "flask"),       # Flask, no SDK
    ("sig_gcf_async", "hello_async_cloudevent", None),         # aio, nothing installed (the shim)
])
def test_cloud_event_needs_the_sdk(start_fails, module, function, deps_set):
    # A CloudEvent function without the cloudevents SDK: one start-up line saying what to add.
    start = deps(deps_set) if deps_set else {"env": GCF}
    exit = start_fails(module, function, timeout=15, **start)
    assert exit.code == 1 and not exit.listened, exit.stderr
    lines = exit.error_lines()
    assert len(lines) == 1 and "add cloudevents" in lines[0] and "requirements.txt" in lines[0], exit.stderr


# -- aio: Starlette functions (G-py-4, examples/cloud_run_async) -------------------------------------

@pytest.mark.only("python")
@pytest.mark.parametrize("deps_set", ["gcf", None])
def test_g_py_4_async_http(serve, deps_set):
    # @functions_framework.aio.http async hello_async_http: a str → Starlette Response(str): no
    # Content-Type at all (foreign-signatures §8; aio/__init__.py _http_func_wrapper). Without any
    # dependency (None) the shim serves it: Starlette is the runtime's own, Flask is not needed.
    start = deps(deps_set) if deps_set else {"env": GCF}
    server = serve("sig_gcf_async", "hello_async_http", shared=True, **start)
    response = server.get("/")
    assert response.status_code == 200
    assert "content-type" not in response.headers
    assert response.text == "Hello, async world!"


@pytest.mark.only("python")
@pytest.mark.parametrize("case, status, ctype, body", [
    ("dict", 200, JSON, b'{"message":"hi","n":1}'),               # dict → JSONResponse
    ("tuple_str", 201, None, b"created"),                          # (content, status): Response
    ("tuple_dict", 400, JSON, b'{"error":"bad"}'),                 # (dict, status): JSONResponse
    ("none", 500, "text/plain; charset=utf-8", b"No response returned"),  # HTTPException(500, ...)
    ("response", 202, HTML_UTF8, b"<b>x</b>"),                     # a Starlette Response as it is
    ("plain", 200, None, b"plain"),
])
def test_aio_result_mapping(serve, case, status, ctype, body):
    server = serve("sig_gcf_async", "cases", shared=True, **deps("gcf"))
    response = server.get(f"/?case={case}")
    assert response.status_code == status
    assert response.headers.get("content-type") == ctype
    assert response.content == body
    if case == "response":
        assert response.headers["x-extra"] == "yes"


@pytest.mark.only("python")
def test_aio_request_is_starlette(serve):
    server = serve("sig_gcf_async", "cases", shared=True, **deps("gcf"))
    response = server.post("/x/y?case=echo&q=1", json={"a": 1}, headers={"x-custom": "v"})
    assert response.json() == {"method": "POST", "path": "/x/y", "query": {"case": "echo", "q": "1"},
                               "header": "v", "body": '{"a":1}', "json": {"a": 1}}
    server = serve("sig_gcf_async", "sync_echo", shared=True, **deps("gcf"))  # a def: run in a thread
    response = server.request("PUT", "/?k=v")
    assert (response.status_code, json.loads(response.text)) == (200, {"method": "PUT", "query": {"k": "v"}})


@pytest.mark.only("python")
def test_aio_exception_is_a_crash(serve):
    # aio ExceptionHandlerMiddleware: 500 + X-Google-Status: crash; here the contract's body.
    server = serve("sig_gcf_async", "cases", shared=True, **deps("gcf"))
    event_id = new_id()
    response = server.get("/?case=raise", headers={"event-id": event_id})
    assert (response.status_code, response.text) == (500, f"Internal Server Error (event-id: {event_id})")
    assert response.headers["x-google-status"] == "crash"


@pytest.mark.only("python")
def test_aio_cloud_event(serve):
    # examples/cloud_run_async hello_async_cloudevent: the event printed, Response("OK") (no type);
    # not an event: 400 "Bad Request: Got CloudEvent exception: …" (text/plain).
    server = serve("sig_gcf_async", "hello_async_cloudevent", shared=True, **deps("gcf"))
    mark = len(server.stdout())
    response = server.post("/", content=b'{"name": "john"}', headers=BINARY)
    assert (response.status_code, response.headers.get("content-type"), response.text) == (200, None, "OK")
    server.wait_for_output(r"^Received event with ID: 1234 and data \{'name': 'john'\}$", since=mark)
    response = server.post("/", content=b"plain", headers={"content-type": "text/plain"})
    assert (response.status_code, content_type(response)) == (400, "text/plain; charset=utf-8")
    assert response.text.startswith("Bad Request: Got CloudEvent exception: MissingRequiredFields(")


# -- streaming (examples/cloud_run_streaming_http) ---------------------------------------------------

@pytest.mark.only("python")
@pytest.mark.parametrize("target, ctype", [("hello_stream", "text/html"), ("hello_stream_async", HTML_UTF8)])
def test_streaming(serve, target, ctype):
    # A Flask generator with {'Content-Type': 'text/html'} and an aio StreamingResponse(media_type=
    # 'text/html'): streamed (chunked), items as the generator yields them.
    server = serve("sig_gcf_stream", target, shared=True, **deps("gcf"))
    response = server.get("/")
    assert (response.status_code, content_type(response)) == (200, ctype)
    assert response.headers.get("transfer-encoding") == "chunked"
    items = "".join(f"<li>{n}</li>" for n in range(1, 6))
    assert response.text == f"<html><body><ul>{items}</ul></body></html>"


# -- Flask's answers to a view's return values, and the request -------------------------------------

@pytest.mark.only("python")
@pytest.mark.parametrize("case, status, ctype, body", [
    ("jsonify", 200, JSON, b'{"items":[1,2],"message":"hi"}\n'),  # jsonify: compact, sorted, newline
    ("dict", 200, JSON, b'{"a":"\\u00e9","b":1}\n'),
    ("list", 200, JSON, b'[1,"two"]\n'),
    ("bytes", 200, HTML_UTF8, b"\x00\x01raw"),
    ("tuple", 201, HTML_UTF8, b"made"),
    ("headers_only", 200, "text/plain", b"typed"),
    ("escape", 200, HTML_UTF8, b"Hello &lt;b&gt;!"),                   # markupsafe.escape
    ("template", 200, HTML_UTF8, b"<p>Hello, &lt;b&gt;!</p>"),          # render_template, autoescaped
])
def test_flask_result_mapping(serve, case, status, ctype, body):
    server = serve("sig_gcf", "cases", shared=True, **deps("flask"))
    response = server.get(f"/?case={case}&name=<b>")
    assert (response.status_code, content_type(response), response.content) == (status, ctype, body)


@pytest.mark.only("python")
def test_flask_make_response_redirect_and_abort(serve):
    server = serve("sig_gcf", "cases", shared=True, **deps("flask"))
    response = server.get("/?case=make_response")
    assert (response.status_code, response.text) == (200, "cookie set")
    assert response.headers["set-cookie"] == "session=abc; Path=/" and response.headers["x-made"] == "1"
    response = server.get("/?case=redirect", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (302, "/elsewhere")
    response = server.get("/?case=abort_404")
    assert (response.status_code, content_type(response)) == (404, HTML_UTF8)
    assert "<title>404 Not Found</title>" in response.text


@pytest.mark.only("python")
@pytest.mark.parametrize("path", ["/robots.txt", "/favicon.ico"])
def test_robots_and_favicon_are_404(serve, path):
    # __init__.py _configure_app: /robots.txt and /favicon.ico → abort(404, description="Not Found").
    server = serve("sig_gcf", "cases", shared=True, **deps("flask"))
    response = server.get(path)
    assert (response.status_code, content_type(response)) == (404, HTML_UTF8)
    assert "<p>Not Found</p>" in response.text


@pytest.mark.only("python")
def test_the_request_is_flasks(serve):
    # The function's argument is flask.request itself (`request._get_current_object()`), a full
    # werkzeug Request: args (repeated), form, cookies, headers, body, url.
    server = serve("sig_gcf", "cases", shared=True, **deps("flask"))
    assert server.get("/p?case=proxy").json() == {"same": True, "path": "/p"}
    response = server.post("/some/path?case=echo&a=1&a=2", content=b"x=1&y=%C3%A9",
                           headers={"content-type": "application/x-www-form-urlencoded", "X-Custom": "v",
                                    "cookie": "k=v"})
    seen = response.json()
    assert seen["method"] == "POST" and seen["path"] == "/some/path"
    assert seen["full_path"] == "/some/path?case=echo&a=1&a=2"
    assert seen["args"] == {"case": ["echo"], "a": ["1", "2"]}
    assert seen["form"] == {"x": "1", "y": "é"} and seen["data"] == "x=1&y=%C3%A9"
    assert seen["cookies"] == {"k": "v"} and seen["header"] == "v" and seen["content_length"] == 12
    assert seen["remote_addr"] == "127.0.0.1" and seen["url"].endswith("/some/path?case=echo&a=1&a=2")
    assert server.get("/?case=silent_json").json() == {"got": None}


# -- the real framework as the reference ------------------------------------------------------------

def _reference(source: str, target: str, kind: str, requests: list[dict]) -> list[dict]:
    payload = [{"method": r["method"], "path": r["path"], "headers": r["headers"],
                "body_b64": base64.b64encode(r.get("body", b"")).decode()} for r in requests]
    result = subprocess.run(
        [sys.executable, str(TESTS_DIR / "conformance" / "gcf_reference.py"), str(DEPS_DIR / "python-gcf"),
         str(FUNCTIONS / f"{source}.py"), target, kind],
        input=json.dumps(payload), capture_output=True, text=True, timeout=60, cwd=str(FUNCTIONS),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


REFERENCE_CASES = [
    ("sig_gcf", "cases", "flask", [
        {"method": "GET", "path": f"/?case={case}&name=<i>", "headers": {}}
        for case in ("jsonify", "dict", "list", "bytes", "tuple", "tuple_headers", "headers_only", "make_response",
                     "escape", "template", "abort_404", "redirect", "silent_json", "plain")
    ] + [
        {"method": "GET", "path": "/robots.txt", "headers": {}},
        {"method": "OPTIONS", "path": "/x", "headers": {}},
        {"method": "POST", "path": "/?case=silent_json", "headers": {"content-type": "application/json"},
         "body": b'{"a": [1]}'},
    ]),
    ("sig_gcf_helloworld", "hello_method", "flask", [
        {"method": m, "path": "/", "headers": {}} for m in ("GET", "PUT", "POST", "PATCH")
    ]),
    ("sig_gcf_helloworld", "hello_http", "flask", [
        {"method": "POST", "path": "/", "headers": {"content-type": "application/json"}, "body": b'{"message": "x"}'},
        {"method": "POST", "path": "/", "headers": {"content-type": "text/plain"}, "body": b"x"},
        {"method": "POST", "path": "/", "headers": {"content-type": "application/json"}, "body": b"{bad"},
    ]),
    ("sig_gcf_helloworld", "hello_error_2", "flask", [{"method": "GET", "path": "/", "headers": {}}]),
    ("sig_gcf_errors", "function", "flask", [{"method": "GET", "path": "/", "headers": {}}]),
    ("sig_gcf_decorator", "hello_cloud_event", "flask", [
        {"method": "POST", "path": "/", "headers": BINARY, "body": b'{"a": 1}'},
        {"method": "POST", "path": "/", "headers": {"content-type": "application/cloudevents+json"},
         "body": json.dumps(STRUCTURED).encode()},
        {"method": "GET", "path": "/", "headers": {}},
    ]),
    ("sig_gcf_async", "hello_async_cloudevent", "aio", [
        {"method": "POST", "path": "/", "headers": BINARY, "body": b'{"a": 1}'},
        {"method": "GET", "path": "/", "headers": {}},
    ]),
    ("sig_gcf_async", "cases", "aio", [
        {"method": "GET", "path": f"/?case={case}", "headers": {}}
        for case in ("dict", "tuple_str", "tuple_dict", "none", "response", "plain")
    ] + [{"method": "GET", "path": "/robots.txt", "headers": {}}]),
]


@pytest.mark.only("python")
@pytest.mark.parametrize("source, target, kind, requests", REFERENCE_CASES, ids=[f"{c[0]}.{c[1]}" for c in REFERENCE_CASES])
def test_answers_match_the_real_framework(serve, source, target, kind, requests):
    # Each request to the runtime and to the framework's own app (gcf_reference.py): the same status,
    # Content-Type, X-Google-Status and body.
    expected = _reference(source, target, kind, requests)
    server = serve(source, target, shared=True, **deps("gcf"))
    for request, want in zip(requests, expected):
        response = server.request(request["method"], request["path"], headers=request["headers"],
                                  content=request.get("body", b""), follow_redirects=False)
        got = {"status": response.status_code, "content_type": response.headers.get("content-type"),
               "google_status": response.headers.get("x-google-status"),
               "body_b64": base64.b64encode(response.content).decode()}
        assert got == want, (request, base64.b64decode(got["body_b64"])[:300], base64.b64decode(want["body_b64"])[:300])


# -- start-up errors -------------------------------------------------------------------------------

@pytest.mark.smoke
@pytest.mark.only("python")
@pytest.mark.parametrize("module, function", [("sig_gcf_http", "hello"), ("sig_gcf", "cases")])
def test_without_flask_one_line_says_what_to_add(start_fails, module, function):
    # SHARED-DECISIONS-11b: a function that does not import Flask (sig_gcf_http) and one that does
    # (sig_gcf: `import flask` fails while the module loads): the same single line.
    exit = start_fails(module, function, env=GCF, timeout=15)
    assert exit.code == 1 and not exit.listened, exit.stderr
    lines = exit.error_lines()
    assert len(lines) == 1, exit.stderr
    assert lines[0].endswith(
        ": FUNC_SIGNATURE=gcf needs Flask: add flask (or functions-framework) to the function's requirements.txt"
    ), lines[0]
    assert "Traceback" not in exit.stderr


@pytest.mark.only("python")
def test_an_undecorated_async_def_is_refused(start_fails):
    exit = start_fails("sig_gcf", "async_view", timeout=15, **deps("flask"))
    assert exit.code == 1 and not exit.listened
    lines = exit.error_lines()
    assert len(lines) == 1 and "cannot be an async def" in lines[0] and "functions_framework.aio.http" in lines[0]


@pytest.mark.only("python")
def test_an_unsupported_signature_type_is_refused(start_fails):
    exit = start_fails("sig_gcf_http", "hello", timeout=15, **with_env(deps("flask"), FUNCTION_SIGNATURE_TYPE="event"))
    assert exit.code == 1 and not exit.listened
    lines = exit.error_lines()
    assert len(lines) == 1 and "http and cloudevent" in lines[0] and "'event'" in lines[0]


# -- the machinery holds under the signature (both runtimes: sig_gcf_machinery.py / .js) ------------

@pytest.fixture
def machinery_start(runtime):
    """How the machinery module starts: Python with Flask (its functions_framework is the shim)."""
    return deps("flask") if runtime.name == "python" else {"env": dict(GCF)}


@pytest.fixture
def machinery(serve, machinery_start):
    return serve("sig_gcf_machinery", "hello", shared=True, **machinery_start)


@pytest.mark.smoke
def test_machinery_hello(machinery):
    check_hello(machinery, HTML_UTF8)


def test_machinery_exception_is_500_counted_and_logged(serve, machinery_start):
    # The contract's 500 with the framework's crash header (functions-framework-python __init__.py
    # crash_handler; functions-framework-nodejs sends it too).
    server = serve("sig_gcf_machinery", "boom", shared=True, **machinery_start)
    check_exception(server, {"x-google-status": "crash"})


def test_machinery_timeout_is_408(serve, machinery_start):
    check_timeout(serve, "sig_gcf_machinery", machinery_start["env"], volumes=machinery_start.get("volumes"))


def test_machinery_body_limit_is_413(serve, machinery_start):
    check_body_limit(serve, "sig_gcf_machinery", machinery_start["env"], volumes=machinery_start.get("volumes"))


def test_machinery_json_logs_carry_the_event_and_trace_ids(serve, machinery_start):
    check_json_logs(serve, "sig_gcf_machinery", machinery_start["env"], volumes=machinery_start.get("volumes"))


@pytest.mark.cli_only
def test_the_signature_flag(serve, machinery_start):
    env = {k: v for k, v in machinery_start["env"].items() if k != "FUNC_SIGNATURE"}
    server = serve("sig_gcf_machinery", "hello", env=env, volumes=machinery_start.get("volumes"),
                   args=["--signature", "gcf"])
    response = server.get("/")
    assert (response.status_code, response.text) == (200, "hello")
