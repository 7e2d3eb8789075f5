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
from support import content_type, counts, new_id

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


# The machinery under the signature (calls, access log, 408, 413, the 500 logged and counted, JSON
# logs, the setting and its flag) is test_signature_machinery.py's, with a row for this signature.


# --- Node.js examples ---
# functions-framework-nodejs@f39924d (5.0.5: src/server.ts, function_wrappers.ts, invoker.ts,
# logger.ts, cloud_events.ts, testing.ts) and GoogleCloudPlatform/nodejs-docs-samples
# (functions/helloworld/index.js, functions/http/httpContent, functions/http/httpMethods), re-created
# in tests/functions/nodejs/sig_gcf_*. The framework is the function's dependency: this folder's
# package.json installs @google-cloud/functions-framework 5.0.5 (and escape-html, which the samples
# import), so in place the functions get the real package; copied into a folder of their own they get
# the runtime's shim. Where the framework answers an exception (its crash response: 500, the error's
# message), the contract's 500 wins, with the framework's `X-Google-Status: crash` header. The
# reference case at the end runs the real framework (its own CLI and Express app) on the same files and
# compares status, content type and body.

import base64 as _b64
import json as _json
import os as _os
import shutil as _shutil
import subprocess as _subprocess
import time as _time

import httpx as _httpx
import pytest as _pytest

from harness import TESTS_DIR as _TESTS_DIR
from harness import free_port as _free_port
from harness import port_open as _port_open
from support import TIMEOUT_BODY as _TIMEOUT_BODY
from support import assert_error as _assert_error
from support import content_type as _content_type
from support import counts as _node_counts

_NODE_GCF = {"FUNC_SIGNATURE": "gcf"}
_NODE_FUNCTIONS = _TESTS_DIR / "functions" / "nodejs"
_NODE_HTML = "text/html; charset=utf-8"
_NODE_JSON = "application/json; charset=utf-8"
_NODE_TEXT = "text/plain; charset=utf-8"


def _node_alone(tmp_path, *names: str):
    """The functions copied into a folder of their own: @google-cloud/functions-framework does not
    resolve there (no node_modules beside or above), so the runtime's shim is what they import."""
    folder = tmp_path / "alone"
    folder.mkdir()
    for name in names:
        _shutil.copy(_NODE_FUNCTIONS / name, folder / name)
    return folder


@_pytest.mark.smoke
@_pytest.mark.only("nodejs")
def test_nodejs_g_js_1_hello_get(serve):
    # G-js-1, helloworld/index.js functions_helloworld_get: functions.http('helloGET', …) sends a
    # string: Express's res.send labels it text/html; charset=utf-8.
    server = serve("sig_gcf_helloworld", "helloGET", env=_NODE_GCF, shared=True)
    response = server.get("/")
    assert (response.status_code, _content_type(response), response.text) == (200, _NODE_HTML, "Hello World!")


@_pytest.mark.only("nodejs")
@_pytest.mark.parametrize("request_kwargs, text", [
    ({"params": {"name": "<b>Jo</b>"}}, "Hello &lt;b&gt;Jo&lt;/b&gt;!"),  # req.query.name, escaped
    ({"content": b'{"name": "John"}', "headers": {"content-type": "application/json"}}, "Hello John!"),
    ({"content": b"name=Jane+Doe", "headers": {"content-type": "application/x-www-form-urlencoded"}},
     "Hello Jane Doe!"),
    ({"content": b'{"other": 1}', "headers": {"content-type": "application/json"}}, "Hello World!"),
])
def test_nodejs_g_js_2_hello_http(serve, request_kwargs, text):
    # G-js-2, functions_helloworld_http: the name from the query, else from the body as FF's parsers
    # left it (JSON, urlencoded), else World; escape-html'd.
    server = serve("sig_gcf_helloworld", "helloHttp", env=_NODE_GCF, shared=True)
    method = "POST" if "content" in request_kwargs else "GET"
    response = server.request(method, "/", **request_kwargs)
    assert (response.status_code, _content_type(response), response.text) == (200, _NODE_HTML, text)


@_pytest.mark.only("nodejs")
def test_nodejs_g_js_2_without_a_body_is_a_crash(serve):
    # G-js-2 on a GET without ?name: Express 5 leaves req.body undefined when no parser ran, so
    # `req.body.name` throws; the framework answers its crash response (500, X-Google-Status: crash).
    # The contract's 500 here, with that header; counted as a failure.
    server = serve("sig_gcf_helloworld", "helloHttp", env=_NODE_GCF, shared=True)
    before = _node_counts(server, "function_failures_total", "GET")
    mark = len(server.stderr())
    response = server.get("/", headers={"event-id": "evt-gjs2-crash"})
    _assert_error(response, 500, body="Internal Server Error (event-id: evt-gjs2-crash)")
    assert response.headers["x-google-status"] == "crash"
    server.wait_for_output(r"^error: event-id=evt-gjs2-crash: TypeError: .*'name'", "stderr", since=mark)
    assert _node_counts(server, "function_failures_total", "GET") == before + 1


@_pytest.mark.only("nodejs")
def test_nodejs_an_error_the_function_answers_is_not_a_failure(serve):
    # helloworld/index.js helloError4: res.status(500).send('I failed you') is the function's answer.
    server = serve("sig_gcf_helloworld", "helloError4", env=_NODE_GCF, shared=True)
    before = _node_counts(server, "function_failures_total", "GET")
    response = server.get("/")
    assert (response.status_code, _content_type(response), response.text) == (500, _NODE_HTML, "I failed you")
    assert "x-google-status" not in response.headers
    assert _node_counts(server, "function_failures_total", "GET") == before


@_pytest.mark.only("nodejs")
def test_nodejs_g_js_3_exported_function(serve):
    # G-js-3, the framework's README: exports.helloWorld, --target=helloWorld (here FUNC_HANDLER).
    server = serve("sig_gcf_content", "helloWorld", env=_NODE_GCF, shared=True)
    response = server.get("/")
    assert (response.status_code, _content_type(response), response.text) == (200, _NODE_HTML, "Hello, World")


@_pytest.mark.only("nodejs")
@_pytest.mark.parametrize("ctype, body, text", [
    ("application/json", b'{"name": "John"}', "Hello John!"),
    ("application/octet-stream", b"John", "Hello John!"),     # raw: a Buffer
    ("text/plain", b"John", "Hello John!"),                   # text: a string
    ("application/x-www-form-urlencoded", b"name=John", "Hello John!"),
    ("text/csv", b"John", "Hello World!"),                    # no case for it
])
def test_nodejs_http_content(serve, ctype, body, text):
    # functions/http/httpContent/index.js (functions_http_content): req.body by Content-Type.
    server = serve("sig_gcf_content", "helloContent", env=_NODE_GCF, shared=True)
    response = server.post("/", content=body, headers={"content-type": ctype})
    assert (response.status_code, _content_type(response), response.text) == (200, _NODE_HTML, text)


def _node_check_methods(server) -> None:
    # functions/http/httpMethods/index.js (functions_http_method): GET 200, PUT 403, others 405 with
    # an object sent as JSON.
    response = server.get("/")
    assert (response.status_code, _content_type(response), response.text) == (200, _NODE_HTML, "Hello World!")
    response = server.request("PUT", "/", content=b"x")
    assert (response.status_code, _content_type(response), response.text) == (403, _NODE_HTML, "Forbidden!")
    response = server.post("/", content=b"{}", headers={"content-type": "application/json"})
    assert (response.status_code, _content_type(response)) == (405, _NODE_JSON)
    assert response.json() == {"error": "Something blew up!"}


@_pytest.mark.only("nodejs")
def test_nodejs_http_methods_esm_real_package(serve):
    # An ES module importing the framework: the real package beside it.
    _node_check_methods(serve("sig_gcf_methods", "helloHttp", env=_NODE_GCF, shared=True))


@_pytest.mark.only("nodejs")
def test_nodejs_http_methods_esm_shim(serve, tmp_path):
    # The same module where the package does not resolve: `import` gets the runtime's shim.
    folder = _node_alone(tmp_path, "sig_gcf_methods.mjs")
    _node_check_methods(serve("sig_gcf_methods", "helloHttp", env=_NODE_GCF, func_dir=folder))


@_pytest.mark.only("nodejs")
def test_nodejs_framework_is_the_real_package_or_the_shim(serve, tmp_path):
    # SHARED-DECISIONS-11b: the real package when the function's deps install it (its testing module
    # has getTestServer), else the shim (registration and testing.getFunction only), for `require`.
    real = serve("sig_gcf_get", "framework", env=_NODE_GCF)
    assert real.get("/").json() == {"real": True, "registered": True}
    assert real.get("/").headers["content-type"] == _NODE_JSON
    folder = _node_alone(tmp_path, "sig_gcf_get.js")
    shim = serve("sig_gcf_get", "framework", env=_NODE_GCF, func_dir=folder)
    assert shim.get("/").json() == {"real": False, "registered": True}
    hello = serve("sig_gcf_get", "helloGET", env=_NODE_GCF, func_dir=folder)
    response = hello.get("/")
    assert (response.status_code, _content_type(response), response.text) == (200, _NODE_HTML, "Hello World!")


@_pytest.mark.only("nodejs")
def test_nodejs_the_shim_is_only_there_under_gcf(start_fails, tmp_path):
    # Under another signature the framework's name does not resolve where it is not installed: the
    # module's own load error, as for any missing package.
    folder = _node_alone(tmp_path, "sig_gcf_get.js")
    result = start_fails("sig_gcf_get", "helloGET", env={"FUNC_SIGNATURE": "openfaas"}, func_dir=folder, timeout=15)
    assert result.code == 1 and not result.listened, result.stderr
    assert "@google-cloud/functions-framework" in result.stderr


@_pytest.mark.only("nodejs")
@_pytest.mark.parametrize("handler, words", [
    ("missing", ["missing", "functions.http('missing'"]),   # neither registered nor exported
    ("notRegistered", ["notRegistered", "not a function"]),  # exported, but not a function
])
def test_nodejs_no_such_function_is_a_start_up_error(start_fails, handler, words):
    result = start_fails("sig_gcf_get", handler, env=_NODE_GCF, timeout=15)
    assert result.code == 1 and not result.listened, result.stderr
    lines = result.error_lines()
    assert len(lines) == 1 and all(word in lines[0] for word in words), result.stderr


def _node_kind_b64(value: str) -> bytes:
    return _b64.b64decode(value)


@_pytest.mark.only("nodejs")
@_pytest.mark.parametrize("ctype, body, kind, value, raw", [
    # server.ts: JSON (and application/cloudevents+json), text/plain, urlencoded (extended: qs),
    # then raw for */*; req.rawBody is the bytes a parser read.
    ("application/json", b'{"a": [1, 2]}', "object", {"a": [1, 2]}, True),
    ("application/cloudevents+json", b'{"id": "1"}', "object", {"id": "1"}, True),
    ("application/json", b"", "object", {}, True),                      # an empty JSON body is {}
    ("text/plain", "héllo".encode(), "string", "héllo", True),
    ("text/plain; charset=iso-8859-1", "é".encode("latin-1"), "string", "é", True),
    ("application/x-www-form-urlencoded", b"a[b]=1&c[]=2&c[]=3&n=x+y", "object",
     {"a": {"b": "1"}, "c": ["2", "3"], "n": "x y"}, True),
    ("text/csv", b"a,b", "buffer", _b64.b64encode(b"a,b").decode(), True),  # only text/plain is text
    ("application/octet-stream", bytes([0, 255]), "buffer", _b64.b64encode(bytes([0, 255])).decode(), True),
    (None, b"no type", "undefined", None, False),                       # no parser takes it
])
def test_nodejs_request_body_by_content_type(serve, ctype, body, kind, value, raw):
    server = serve("sig_gcf_request", "echo", env=_NODE_GCF, shared=True)
    headers = {"content-type": ctype} if ctype else {}
    response = server.post("/", content=body, headers=headers)
    assert response.status_code == 200, response.text
    seen = response.json()
    assert seen["bodyKind"] == kind
    assert seen.get("body") == value
    assert (_node_kind_b64(seen["rawBody"]) if seen["rawBody"] is not None else None) == (body if raw else None)


@_pytest.mark.only("nodejs")
def test_nodejs_request_shape(serve):
    # Express's req (query: Express 5's simple parser; get(); is()), the '/{*splat}' route's
    # params, FF's executionId (the function-execution-id header, else here the event id) and spanId
    # (X-Cloud-Trace-Context), a GET without a body: req.body and req.rawBody undefined.
    server = serve("sig_gcf_request", "echo", env=_NODE_GCF, shared=True)
    response = server.get("/a/b%20c?x=1&x=2&y=z", headers={
        "X-Custom": "V", "X-Cloud-Trace-Context": "105445aa7843bc8bf206b120001000/123;o=1", "event-id": "evt-shape"})
    seen = response.json()
    assert seen == {
        "bodyKind": "undefined", "rawBody": None, "method": "GET", "path": "/a/b%20c",
        "originalUrl": "/a/b%20c?x=1&x=2&y=z", "query": {"x": ["1", "2"], "y": "z"},
        "params": {"splat": ["a", "b c"]}, "header": "V", "isJson": None, "executionId": "evt-shape",
        "spanId": "123", "abortable": True, "ip": "127.0.0.1", "ips": [], "protocol": "http", "secure": False,
        "hostname": "127.0.0.1",
    }
    seen = server.get("/", headers={"function-execution-id": "exec-1"}).json()
    assert (seen["executionId"], seen["params"], seen["spanId"]) == ("exec-1", {}, None)


@_pytest.mark.only("nodejs")
def test_nodejs_the_proxy_is_trusted(serve):
    # server.ts app.enable('trust proxy'): req.ip / ips from X-Forwarded-For (leftmost first),
    # req.protocol (and secure) from X-Forwarded-Proto, req.hostname from X-Forwarded-Host.
    server = serve("sig_gcf_request", "echo", env=_NODE_GCF, shared=True)
    seen = server.get("/", headers={"x-forwarded-for": "203.0.113.7, 10.0.0.1", "x-forwarded-proto": "https, http",
                                    "x-forwarded-host": "fn.example.com:8443, other"}).json()
    assert (seen["ip"], seen["ips"], seen["protocol"], seen["secure"], seen["hostname"]) == (
        "203.0.113.7", ["203.0.113.7", "10.0.0.1"], "https", True, "fn.example.com")


@_pytest.mark.only("nodejs")
@_pytest.mark.parametrize("path", ["/favicon.ico", "/robots.txt", "/ROBOTS.TXT?x=1", "/favicon.ico/more"])
def test_nodejs_robots_and_favicon_are_404(serve, path):
    # server.ts: app.use(['/favicon.ico', '/robots.txt'], …) answers 404 with send(null) before an
    # HTTP function runs (Express matches the prefix, case-insensitively).
    server = serve("sig_gcf_helloworld", "helloGET", env=_NODE_GCF, shared=True)
    response = server.get(path)
    assert (response.status_code, response.headers.get("content-type"), response.content) == (404, None, b"")
    assert server.get("/favicon.icon").text == "Hello World!"


@_pytest.mark.only("nodejs")
@_pytest.mark.parametrize("ctype, body, status, start", [
    ("application/json", b"{bad", 400, "Bad Request: malformed JSON body: "),
    ("application/json", b'"a string"', 400, "Bad Request: malformed JSON body: "),  # strict: object/array
    ("application/json; charset=latin1", b"{}", 415, 'Unsupported Media Type: unsupported charset "LATIN1"'),
])
def test_nodejs_a_body_the_parsers_refuse(serve, ctype, body, status, start):
    # body-parser refuses these (400, 415); the framework's Express answers its HTML error page, here
    # one line; the function is not called (nor counted as failed).
    server = serve("sig_gcf_request", "echo", env=_NODE_GCF, shared=True)
    before = _node_counts(server, "function_failures_total", "POST")
    response = server.post("/", content=body, headers={"content-type": ctype})
    assert response.status_code == status
    assert _content_type(response) == _NODE_TEXT
    assert response.text.startswith(start) and "\n" not in response.text
    assert _node_counts(server, "function_failures_total", "POST") == before


_NODE_ANSWERS = [
    # (case, status, content type, body, headers): Express 5's res.send/json/… as the framework's app
    # answers them (ETag off: server.ts app.set('etag', false)).
    ("object", 200, _NODE_JSON, b'{"a":1}', {}),
    ("number", 200, _NODE_JSON, b"42", {}),
    ("buffer", 200, "application/octet-stream", bytes([0, 1, 2, 255]), {}),
    ("typed", 200, "application/xml; charset=utf-8", b"<a/>", {}),
    ("type_ext", 200, _NODE_TEXT, b"plain", {}),
    ("no_content", 204, None, b"", {}),
    ("send_status", 404, _NODE_TEXT, b"Not Found", {}),
    ("null_body", 201, None, b"", {}),
    ("location", 303, None, b"", {"location": "/a%20b?q=%41"}),
    ("end", 202, None, b"raw end", {}),
]


@_pytest.mark.only("nodejs")
@_pytest.mark.parametrize("case, status, ctype, body, headers", _NODE_ANSWERS)
def test_nodejs_express_answers(serve, case, status, ctype, body, headers):
    server = serve("sig_gcf_request", "answer", env=_NODE_GCF, shared=True)
    response = server.get(f"/?case={case}")
    assert response.status_code == status
    assert response.headers.get("content-type") == ctype
    assert response.content == body
    assert "etag" not in response.headers
    for name, value in headers.items():
        assert response.headers[name] == value


@_pytest.mark.only("nodejs")
def test_nodejs_res_append_repeats_a_header(serve):
    server = serve("sig_gcf_request", "answer", env=_NODE_GCF, shared=True)
    response = server.get("/?case=append")
    assert response.headers.get_list("x-multi") == ["one", "two"]
    assert response.text == "ok"


@_pytest.mark.only("nodejs")
def test_nodejs_a_response_written_in_pieces(serve):
    server = serve("sig_gcf_request", "stream", env=_NODE_GCF, shared=True)
    before = _node_counts(server, "function_calls_total", "GET")
    response = server.get("/")
    assert (response.status_code, _content_type(response), response.text) == (200, _NODE_TEXT, "one two three")
    assert _node_counts(server, "function_calls_total", "GET") == before + 1


@_pytest.mark.only("nodejs")
def test_nodejs_a_rejection_is_a_crash(serve):
    # function_wrappers.ts: a rejected promise is the crash response; the Content-Type the function set
    # before does not survive it.
    server = serve("sig_gcf_request", "rejects", env=_NODE_GCF, shared=True)
    before = _node_counts(server, "function_failures_total", "GET")
    mark = len(server.stderr())
    response = server.get("/", headers={"event-id": "evt-rejects"})
    _assert_error(response, 500, body="Internal Server Error (event-id: evt-rejects)")
    assert response.headers["x-google-status"] == "crash"
    server.wait_for_output(r"^error: event-id=evt-rejects: Error: rejected from sig_gcf_request", "stderr", since=mark)
    assert _node_counts(server, "function_failures_total", "GET") == before + 1


@_pytest.mark.only("nodejs")
def test_nodejs_the_return_value_is_not_the_answer(serve):
    # FF ignores what an HTTP function returns: one that never writes its response times out.
    server = serve("sig_gcf_request", "returnsOnly", env={**_NODE_GCF, "FUNC_TIMEOUT": "1"})
    with _httpx.Client(timeout=30) as client:
        response = client.get(server.url + "/")
    _assert_error(response, 408, body=_TIMEOUT_BODY)


# -- CloudEvent functions ---------------------------------------------------------------------------

_NODE_BINARY = {"content-type": "application/json", "ce-id": "1234", "ce-specversion": "1.0",
                "ce-type": "com.example.greet", "ce-source": "//example/src", "ce-subject": "sub",
                "ce-time": "2026-01-01T00:00:00Z"}
_NODE_STRUCTURED = {"specversion": "1.0", "id": "5678", "type": "com.example.greet", "source": "//example/src",
                    "datacontenttype": "application/json", "data": {"name": "john"}}


@_pytest.mark.only("nodejs")
def test_nodejs_g_js_4_cloud_event(serve):
    # G-js-4, the framework's README: functions.cloudEvent('helloCloudEvents', …) logs the event's
    # attributes and returns nothing: invoker.ts sendResponse answers 204.
    server = serve("sig_gcf_events", "helloCloudEvents", env=_NODE_GCF, shared=True)
    mark = len(server.stdout())
    response = server.post("/", content=b'{"name": "john"}', headers=_NODE_BINARY)
    assert (response.status_code, response.content) == (204, b"")
    server.wait_for_output(r"^com\.example\.greet$", since=mark)
    server.wait_for_output(r"^2026-01-01T00:00:00Z$", since=mark)
    response = server.post("/", content=_json.dumps(_NODE_STRUCTURED).encode(),
                           headers={"content-type": "application/cloudevents+json"})
    assert response.status_code == 204
    server.wait_for_output(r"^5678$", since=mark)


@_pytest.mark.only("nodejs")
def test_nodejs_cloud_event_binary_and_structured(serve):
    # function_wrappers.ts parseCloudEventRequest: binary mode → the ce-* attributes and data = the
    # parsed body; structured → the body; traceparent added from its header. An object result is sent
    # as JSON.
    server = serve("sig_gcf_events", "echoEvent", env=_NODE_GCF, shared=True)
    response = server.post("/", content=b'{"name": "john"}', headers={**_NODE_BINARY, "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"})
    assert (response.status_code, _content_type(response)) == (200, _NODE_JSON)
    assert response.json() == {"id": "1234", "specversion": "1.0", "type": "com.example.greet",
                               "source": "//example/src", "subject": "sub", "time": "2026-01-01T00:00:00Z",
                               "data": {"name": "john"},
                               "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    response = server.post("/", content=_json.dumps(_NODE_STRUCTURED).encode(),
                           headers={"content-type": "application/cloudevents+json"})
    assert (response.status_code, response.json()) == (200, _NODE_STRUCTURED)


@_pytest.mark.only("nodejs")
def test_nodejs_cloud_event_callback_exported_and_failing(serve):
    server = serve("sig_gcf_events", "callbackEvent", env=_NODE_GCF, shared=True)
    response = server.post("/", content=b"{}", headers=_NODE_BINARY)
    assert (response.status_code, _content_type(response), response.text) == (200, _NODE_JSON, "7")
    server = serve("sig_gcf_events", "exportedEvent", env={**_NODE_GCF, "FUNCTION_SIGNATURE_TYPE": "cloudevent"})
    response = server.post("/", content=b"{}", headers=_NODE_BINARY)
    assert (response.status_code, _content_type(response), response.text) == (200, _NODE_HTML, "id 1234")
    # An error: the framework's 500 with X-Google-Status: error (the contract's 500 body here).
    server = serve("sig_gcf_events", "failingEvent", env=_NODE_GCF, shared=True)
    before = _node_counts(server, "function_failures_total", "POST")
    response = server.post("/", content=b"{}", headers={**_NODE_BINARY, "event-id": "evt-ce-fails"})
    _assert_error(response, 500, body="Internal Server Error (event-id: evt-ce-fails)")
    assert response.headers["x-google-status"] == "error"
    assert _node_counts(server, "function_failures_total", "POST") == before + 1
    # POST only (server.ts app.post): another method is 404.
    response = server.get("/")
    assert response.status_code == 404 and "POST" in response.text


@_pytest.mark.only("nodejs")
def test_nodejs_cloud_event_with_the_shim(serve, tmp_path):
    # Registered with the runtime's shim (the package not installed): still a CloudEvent function.
    folder = _node_alone(tmp_path, "sig_gcf_events.js")
    server = serve("sig_gcf_events", "echoEvent", env=_NODE_GCF, func_dir=folder)
    response = server.post("/", content=_json.dumps(_NODE_STRUCTURED).encode(),
                           headers={"content-type": "application/cloudevents+json"})
    assert (response.status_code, _content_type(response), response.json()) == (200, _NODE_JSON, _NODE_STRUCTURED)


@_pytest.mark.only("nodejs")
@_pytest.mark.parametrize("kind", ["event", "typed", "cloud-event"])
def test_nodejs_an_unsupported_signature_type_is_a_start_up_error(start_fails, kind):
    # FF's FUNCTION_SIGNATURE_TYPE for an exported function: http and cloudevent are served; legacy
    # background (`event`) and `typed` functions are not done (CONTRACT §11): one line saying so.
    result = start_fails("sig_gcf_events", "exportedEvent", env={**_NODE_GCF, "FUNCTION_SIGNATURE_TYPE": kind}, timeout=15)
    assert result.code == 1 and not result.listened, result.stderr
    lines = result.error_lines()
    assert len(lines) == 1 and f"FUNCTION_SIGNATURE_TYPE={kind}" in lines[0], result.stderr


# -- the real framework as the reference -------------------------------------------------------------

_NODE_REFERENCE = [
    ("sig_gcf_helloworld.js", "helloHttp", [("GET", "/?name=Jo", None, b""), ("GET", "/", None, b""),
                                            ("POST", "/", "application/json", b'{"name": "<i>"}'),
                                            ("GET", "/robots.txt", None, b""), ("GET", "/Favicon.ico/x", None, b"")]),
    ("sig_gcf_content.js", "helloContent", [("POST", "/", "text/plain", b"Ann"),
                                            ("POST", "/", "application/octet-stream", b"Bob")]),
    ("sig_gcf_request.js", "answer", [("GET", f"/?case={case[0]}", None, b"") for case in _NODE_ANSWERS]
     + [("GET", "/?case=append", None, b"")]),
    ("sig_gcf_request.js", "echo", [
        ("POST", "/p/q?x=1", "application/json", b'{"a": 1}'),
        ("POST", "/", "application/x-www-form-urlencoded", b"a[b][c]=1&d=2&d=3"),
        ("POST", "/", "text/plain", b"plain"), ("POST", "/", "image/png", b"\x89PNG"),
        ("GET", "/x/y", None, b"")]),
    ("sig_gcf_events.js", "echoEvent", [("POST", "/", "application/json", b'{"n": 1}')]),
]


def _node_answer(client: _httpx.Client, url: str, method: str, path: str, ctype, body: bytes, headers: dict):
    sent = {**headers, **({"content-type": ctype} if ctype else {})}
    response = client.request(method, url + path, content=body or None, headers=sent)
    return response


@_pytest.mark.only("nodejs")
@_pytest.mark.parametrize("source, target, requests", _NODE_REFERENCE,
                          ids=[f"{source}:{target}" for source, target, _ in _NODE_REFERENCE])
def test_nodejs_answers_match_the_real_framework(serve, tmp_path, source, target, requests):
    # The framework's own CLI (node_modules/.bin/functions-framework) serves the same file; each request
    # gets the same status, content type and body from both, but for the crash responses (the contract's
    # 500 here) and the fields only the runtime has (abortController).
    node = _shutil.which("node")
    cli = _NODE_FUNCTIONS / "node_modules" / "@google-cloud" / "functions-framework" / "build" / "src" / "main.js"
    if node is None or not cli.exists():
        _pytest.skip("needs node and tests/functions/nodejs/node_modules (make setup)")
    port = _free_port()
    log = (tmp_path / "framework.log").open("wb")
    proc = _subprocess.Popen([node, str(cli), f"--target={target}", f"--source={_NODE_FUNCTIONS / source}",
                              f"--port={port}"], cwd=_NODE_FUNCTIONS, stdout=log, stderr=_subprocess.STDOUT,
                             env={**_os.environ, "NODE_ENV": "test"})
    try:
        deadline = _time.monotonic() + 20
        while not _port_open(port):
            assert proc.poll() is None and _time.monotonic() < deadline, (tmp_path / "framework.log").read_text()
            _time.sleep(0.1)
        server = serve(source.rsplit(".", 1)[0], target, env=_NODE_GCF, shared=True)
        headers = ({"ce-id": "9", "ce-specversion": "1.0", "ce-type": "t", "ce-source": "s"} if "Event" in target
                   else {"x-forwarded-for": "203.0.113.7, 10.0.0.1", "x-forwarded-proto": "https",
                         "x-forwarded-host": "fn.example.com"})
        with _httpx.Client(timeout=10) as client:
            for method, path, ctype, body in requests:
                ours = _node_answer(client, server.url, method, path, ctype, body, headers)
                theirs = _node_answer(client, f"http://127.0.0.1:{port}", method, path, ctype, body, headers)
                assert ours.status_code == theirs.status_code, (method, path)
                if theirs.headers.get("x-google-status") == "crash":
                    assert ours.headers.get("x-google-status") == "crash"
                    continue
                assert ours.headers.get("content-type") == theirs.headers.get("content-type"), (method, path)
                if target == "echo":
                    mine, reference = ours.json(), theirs.json()
                    mine.pop("abortable"), reference.pop("abortable")
                    mine.pop("executionId"), reference.pop("executionId")
                    assert mine == reference, (method, path)
                else:
                    assert ours.content == theirs.content, (method, path)
                assert ours.headers.get_list("x-multi") == theirs.headers.get_list("x-multi")
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
