"""Issue 11, FUNC_SIGNATURE=knative: Knative Functions, answered as Knative's own runtimes answer.

The binding spec is /work/wt/SHARED-DECISIONS-11b.md; the platform's facts and its example functions
by id (K-py-1 …, K-js-1 …) are in /work/shared/foreign-signatures.md §7, which cites
`knative/func@c18d604` (templates/python/{http,cloudevents}/function/func.py,
templates/node/{http,cloudevents}/index.js, pkg/k8s/deployer.go), `knative-extensions/func-python@e0720d5`
(src/func_python/http.py, cloudevent.py, cmd/fhttp/main.py) and `nodeshift/faas-js-runtime@53505e5`
(README.md, lib/context.js, lib/invoker.js, lib/invocation-handler.js, lib/health-check.js). Each
case says which one it follows.

Where this runtime answers otherwise, the contract wins and CONTRACT §11 `knative` says so: an
exception is the contract's 500 with the event id (func-python answers `500 Error: <e>`, faas-js
`err.code || 500` with the message; here an error whose `code` is an HTTP status 400–599 keeps it);
a false `alive()`/`ready()` is `503` (func-python: 500).
"""

from __future__ import annotations

import time

import httpx
import pytest

from harness import REPO_DIR
from support import TEXT_PLAIN, assert_error, content_type, counts, new_id

KNATIVE = {"FUNC_SIGNATURE": "knative"}
JSON_UTF8 = "application/json; charset=utf-8"
# The Python CloudEvent functions' own dependencies (cloudevents 2.x), installed by `make setup`
# from tests/functions/python/deps/knative.txt, mounted as the install phase's volume (CONTRACT §9).
PY_DEPS = REPO_DIR / ".cache" / "function-deps" / "python-knative"
PY_EVENTS = {"env": {**KNATIVE, "KUBELESS_INSTALL_VOLUME": "/deps"}, "volumes": {"/deps": PY_DEPS}}


def binary_event(event_id: str = "42") -> dict[str, str]:
    """A binary-mode CloudEvent request's headers, as func-python's cmd/fcloudevent/README.md sends one."""
    return {
        "ce-specversion": "1.0", "ce-type": "com.example.event.submit", "ce-source": "/applications/user-service",
        "ce-id": event_id, "content-type": "application/json",
    }


# -- Python: func-python, raw ASGI ----------------------------------------------------------------

@pytest.mark.smoke
@pytest.mark.only("python")
def test_k_py_1_http_template(serve):
    # K-py-1, knative/func templates/python/http/function/func.py: new() → Function whose handle
    # sends 200 with [b'content-type', b'text/plain'] and b'OK'; its alive()/ready() are true, so
    # func-python's probe paths answer 200 (src/func_python/http.py handle_liveness/readiness).
    server = serve("sig_knative", "new", env=KNATIVE, shared=True)
    response = server.post("/", content=b"anything")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain"
    assert response.text == "OK"
    for path in ("/health/liveness", "/health/readiness", "/healthz", "/readyz"):
        probe = server.get(path)
        assert (probe.status_code, probe.text) == (200, "OK"), path


@pytest.mark.only("python")
@pytest.mark.parametrize("handler, text", [("handle", "OK: static"), ("new", "OK: instanced")])
def test_k_py_2_static_and_instanced(serve, handler, text):
    # K-py-2, func-python cmd/fhttp/main.py: the module-level async handle answers "OK: static",
    # the instanced one (new()) "OK: instanced", both 200 text/plain; func-python's scaffolding
    # serves `new` when there is one, else `handle` (knative/func templates/python/scaffolding).
    server = serve("sig_knative_static", handler, env=KNATIVE, shared=True)
    response = server.get("/any/path?x=1")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain"
    assert response.text == text


@pytest.mark.only("python")
def test_k_py_3_cloudevents_template_structured(serve):
    # K-py-3, knative/func templates/python/cloudevents/function/func.py: the request's event is
    # scope["event"]; `await send(response)` answers a *structured* CloudEvent
    # (func_python/cloudevent.py CloudEventSender.__call__ → structured → to_structured_event).
    server = serve("sig_knative_events", "new", shared=True, **PY_EVENTS)
    response = server.post("/", headers=binary_event("42"), content=b'{"message": "Hello CloudEvents"}')
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/cloudevents+json"
    event = response.json()
    assert {k: event[k] for k in ("specversion", "type", "source", "id", "data")} == {
        "specversion": "1.0", "type": "function.response", "source": "function", "id": "response-42",
        "data": {"message": "OK"},
    }


@pytest.mark.only("python")
def test_k_py_3_binary_send_and_structured_request(serve):
    # The template's docstring: "To send a binary encoded CloudEvent use send.binary(...)"
    # (to_binary_event: ce-* headers, the data as the body); a structured request
    # (application/cloudevents+json) is decoded too (from_http_event detects the mode).
    server = serve("sig_knative_events", "new", shared=True, **PY_EVENTS)
    request = {"specversion": "1.0", "type": "t.request", "source": "/s", "id": "7", "data": {"a": 1}}
    response = server.post("/binary", json=request, headers={"content-type": "application/cloudevents+json"})
    assert response.status_code == 200, response.text
    assert response.headers["ce-type"] == "function.response"
    assert response.headers["ce-source"] == "function"
    assert response.headers["ce-id"] == "response-7"
    assert response.headers["ce-specversion"] == "1.0"
    assert response.json() == {"message": "OK"}


@pytest.mark.only("python")
def test_asgi_scope_and_receive(serve):
    # func-python hands handle the server's ASGI scope and receive (http.py __call__): the
    # request as ASGI 3 describes it; receive() gives the body whole here (more_body False).
    server = serve("sig_knative_asgi", "echo", env=KNATIVE, shared=True)
    response = server.post("/some/where?q=1&q=2", content=b"hello body", headers={"x-test": "yes"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "type": "http", "method": "POST", "path": "/some/where", "query_string": "q=1&q=2", "asgi": "3.0",
        "x-test": ["yes"], "message": "http.request", "body": "hello body", "more_body": False, "event": False,
    }


@pytest.mark.only("python")
def test_asgi_more_body_streams(serve):
    # ASGI 3 http.response.body with more_body: the chunks leave as the function sends them.
    server = serve("sig_knative_asgi", "stream", env=KNATIVE, shared=True)
    arrivals = []
    with httpx.Client(timeout=10) as client, client.stream("GET", server.url + "/") as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/plain"
        assert response.headers.get("transfer-encoding") == "chunked"
        started = time.monotonic()
        for chunk in response.iter_raw():
            arrivals.append((time.monotonic() - started, chunk))
    assert b"".join(chunk for _, chunk in arrivals) == b"one two three"
    assert arrivals[0][0] < 0.25 and arrivals[-1][0] > 0.45, arrivals  # not buffered to the end


@pytest.mark.only("python")
@pytest.mark.parametrize("handler, line", [
    ("silent", "the function's result cannot be sent: the function returned without sending http.response.start"),
    ("bad_status", "the function's result cannot be sent: the response status must be from 100 to 599"),
    ("body_first", "the function raised: RuntimeError: Expected ASGI message 'http.response.start'"),
])
def test_asgi_answers_that_cannot_be_sent_are_500(serve, handler, line):
    # An ASGI app that sends nothing, or what HTTP cannot carry: the contract's 500 with the event
    # id, one stderr line saying why (CONTRACT §5), counted as a failure.
    server = serve("sig_knative_asgi", handler, env=KNATIVE, shared=True)
    event_id = new_id()
    mark = len(server.stderr())
    response = server.get("/", headers={"event-id": event_id})
    assert_error(response, 500, body=f"Internal Server Error (event-id: {event_id})")
    server.wait_for_output(f"error: event-id={event_id}: {line}", "stderr", since=mark)
    assert counts(server, "function_failures_total", "GET") == 1


@pytest.mark.only("python")
def test_a_handler_that_is_not_knative_is_a_start_up_error(start_fails):
    result = start_fails("sig_knative_asgi", "not_asgi", env=KNATIVE, timeout=15)
    assert result.code == 1 and not result.listened, result.stderr
    lines = result.error_lines()
    assert len(lines) == 1 and "FUNC_SIGNATURE=knative" in lines[0], result.stderr


# -- Node.js: faas-js-runtime -----------------------------------------------------------------------

@pytest.mark.smoke
@pytest.mark.only("nodejs")
def test_k_js_1_http_template(serve):
    # K-js-1, knative/func templates/node/http/index.js: { body: "OK", headers: {'content-type':
    # 'text/plain'} }; faas-js lower-cases and merges the headers over its defaults (lib/invoker.js).
    server = serve("sig_knative", "handle", env=KNATIVE, shared=True)
    response = server.post("/?name=world", json={"hello": "world"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain"
    assert response.text == "OK"
    for path in ("/health/liveness", "/health/readiness"):
        assert server.get(path).status_code == 200, path


@pytest.mark.only("nodejs")
def test_k_js_2_cloudevents_template(serve):
    # K-js-2, knative/func templates/node/cloudevents/index.js: a CloudEvent request calls
    # handle(context, event); the returned CloudEvent is sent in binary mode (lib/invoker.js
    # HTTP.binary: ce-* headers, the data as the body).
    server = serve("sig_knative_events", "handle", env=KNATIVE, shared=True)
    response = server.post("/", headers=binary_event("42"), content=b'{"message": "Hello CloudEvents"}')
    assert response.status_code == 200, response.text
    assert response.headers["ce-type"] == "function.response"
    assert response.headers["ce-source"] == "function"
    assert response.headers["ce-specversion"] == "1.0"
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"message": "OK"}


@pytest.mark.only("nodejs")
def test_k_js_3_module_is_the_function(serve):
    # K-js-3, faas-js README "CLI": module.exports = handle returning {statusCode: 200, statusMessage:
    # 'OK'}: an object without body is answered as its JSON, application/json; charset=utf-8.
    server = serve("sig_knative_readme", "handle", env=KNATIVE, shared=True)
    response = server.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_UTF8
    assert response.json() == {"statusCode": 200, "statusMessage": "OK"}


@pytest.mark.only("nodejs")
@pytest.mark.parametrize("case, status, ctype, body", [
    ("nothing", 204, None, ""),                               # falsy → 204 (invoker.js "Return 204 No Content")
    ("empty", 204, None, ""),
    ("text", 200, "text/plain; charset=utf-8", "plain text"),  # a string → text/plain; charset=utf-8
    ("object", 200, JSON_UTF8, '{"greeting":"hi","list":[1,2]}'),  # an object without body → JSON
    ("array", 200, JSON_UTF8, '[1,"two"]'),
    ("created", 201, JSON_UTF8, '{"id":7}'),                   # statusCode, headers, body (an object → JSON)
    ("typed", 200, "text/html", "<p>hi</p>"),                  # the function's content type wins
    ("bodytext", 200, JSON_UTF8, "no type given"),             # the default content type stays JSON
    ("number", 200, JSON_UTF8, ""),                            # neither string nor object: nothing sent
])
def test_result_mapping(serve, case, status, ctype, body):
    # nodeshift/faas-js-runtime lib/invoker.js, the mapping after the call.
    server = serve("sig_knative_results", "handle", env=KNATIVE, shared=True)
    response = server.get(f"/?case={case}")
    assert response.status_code == status, response.text
    if ctype is not None:
        assert response.headers["content-type"] == ctype
    assert response.text == body
    if case == "created":
        assert response.headers["x-made-by"] == "knative"  # header names lower-cased, values kept


@pytest.mark.only("nodejs")
@pytest.mark.parametrize("request_kwargs, body_type, body", [
    ({"json": {"a": 1}}, "object", {"a": 1}),                                     # Fastify's JSON parser
    ({"content": b"a=1&a=2", "headers": {"content-type": "application/x-www-form-urlencoded"}},
     "object", {"a": ["1", "2"]}),                                                  # qs.parse
    ({"content": b"just text", "headers": {"content-type": "text/plain"}}, "string", "just text"),
    ({"content": b"xyz", "headers": {"content-type": "application/octet-stream"}}, "buffer", "eHl6"),  # '*' → Buffer
    ({}, "undefined", None),
])
def test_context_and_body(serve, request_kwargs, body_type, body):
    # lib/context.js: method, query (and its parameters spread onto the context), headers,
    # httpVersion, contentType; the body as index.js's content-type parsers leave it.
    server = serve("sig_knative_results", "handle", env=KNATIVE, shared=True)
    response = server.post("/?case=echo&color=red", **request_kwargs)
    assert response.status_code == 200, response.text
    seen = response.json()
    assert (seen["bodyType"], seen["body"]) == (body_type, body)
    assert seen["method"] == "POST" and seen["httpVersion"] == "1.1"
    assert seen["query"] == {"case": "echo", "color": "red"} and seen["spread"] == "red"
    assert seen["rawBody"] is None and seen["cloudevent"] is None


@pytest.mark.only("nodejs")
def test_raw_body_with_func_include_raw(serve):
    # faas-js bin/cli.js: FUNC_INCLUDE_RAW set → context.rawBody (fastify-raw-body, utf8).
    server = serve("sig_knative_results", "handle", env={**KNATIVE, "FUNC_INCLUDE_RAW": "true"}, shared=True)
    response = server.post("/?case=echo", json={"a": 1})
    assert response.json()["rawBody"] == '{"a":1}'


@pytest.mark.only("nodejs")
def test_an_error_with_an_http_code_keeps_it(serve):
    # faas-js lib/invoker.js handleError: `err.code ? err.code : 500` with err.message. Kept for an
    # HTTP status (here 418); counted as a failure and logged with the event id.
    server = serve("sig_knative_results", "handle", env=KNATIVE)
    event_id = new_id()
    mark = len(server.stderr())
    response = server.get("/?case=teapot", headers={"event-id": event_id})
    assert response.status_code == 418
    assert content_type(response) == TEXT_PLAIN
    assert response.text == "short and stout"
    server.wait_for_output(rf"^error: event-id={event_id}:", "stderr", since=mark)
    assert counts(server, "function_failures_total", "GET") == 1
    # any other code (ENOENT): the contract's 500, not faas-js's 500 with the message
    response = server.get("/?case=named", headers={"event-id": event_id})
    assert_error(response, 500, body=f"Internal Server Error (event-id: {event_id})")


# -- both runtimes -----------------------------------------------------------------------------------

@pytest.fixture
def events_server(serve, runtime):
    if runtime.name == "python":
        return serve("sig_knative_events", "new", shared=True, **PY_EVENTS)
    return serve("sig_knative_events", "handle", env=KNATIVE, shared=True)


def test_a_malformed_cloudevent_is_400(events_server):
    # A ce-specversion without the required attributes: func-python answers 400 ("This endpoint
    # expects CloudEvent requests"), faas-js an error; here the contract's one-line 400, and the
    # function is not called (not counted).
    response = events_server.post("/", headers={"ce-specversion": "1.0", "content-type": "text/plain"}, content=b"x")
    assert_error(response, 400, prefix="Bad Request: malformed CloudEvent: ")


# What holds under every signature (a failure's 500 logged and counted, the 408, calls counted, the
# setting and its flag) is test_signature_machinery.py's, with a `knative` row; here what it does
# not check.

def test_machinery_hello(serve, runtime):
    # SHARED-DECISIONS-11b machinery: `hello` answers 200 `hello` as the platform answers text:
    # func-python's examples send text/plain; faas-js answers a string text/plain; charset=utf-8.
    server = serve("sig_knative_machinery", "hello", env=KNATIVE, shared=True)
    event_id = new_id()
    before = counts(server, "function_calls_total", "GET")
    response = server.get("/", headers={"event-id": event_id})
    assert response.status_code == 200
    assert response.headers["content-type"] == ("text/plain" if runtime.name == "python" else TEXT_PLAIN)
    assert response.text == "hello"
    assert counts(server, "function_calls_total", "GET") == before + 1
    server.wait_for_output(r'"GET / HTTP/1.1" 200 5 ', "stdout")  # the access log


def test_machinery_body_limit_is_413(serve):
    server = serve("sig_knative_machinery", "hello", env={**KNATIVE, "FUNC_MEMFILE_MAX": "100"}, shared=True)
    response = server.post("/", content=b"x" * 200)
    assert_error(response, 413, body="Request body too large: the limit is 100 bytes")


def test_hooks_start_and_stop(serve, runtime):
    # func-python: start(cfg) with a copy of the environment at start-up, stop() at shutdown;
    # faas-js: init() before the server starts, shutdown() when it stops. Here in the process that
    # runs the calls (each executor in call isolation), before it takes one.
    module, handler = ("sig_knative_hooks", "new" if runtime.name == "python" else "handle")
    server = serve(module, handler, env={**KNATIVE, "KNATIVE_GREETING": "hi"})
    response = server.get("/")
    assert response.status_code == 200
    text = response.text
    # Python: what start(cfg) read, then the environment (untouched by start's change to its copy)
    assert text.startswith("hi hi pid=" if runtime.name == "python" else "1 hi pid="), text
    pid = text.rsplit("=", 1)[1]
    server.wait_for_output(f"knative-hooks: start pid={pid}", "stdout")
    assert server.stop(timeout=10) == 0
    assert f"knative-hooks: stop pid={pid}" in server.stdout(), server.stdout()


def test_hooks_decide_the_probes(serve, runtime, isolation):
    # alive()/ready() (func-python) and liveness/readiness (faas-js) decide /healthz and /readyz,
    # and func-python's / faas-js's own paths /health/liveness and /health/readiness (the paths
    # `func deploy` gives the Knative Service's probes: knative/func pkg/k8s/deployer.go). Not ok
    # is 503 with the hook's message. In call isolation the worker runs no function code: the
    # probes stay the runtime's.
    module, handler = ("sig_knative_hooks", "new" if runtime.name == "python" else "handle")
    server = serve(module, handler, env=KNATIVE)
    busy, sick = ("/busy", "/sick") if runtime.name == "python" else ("/?busy", "/?sick")
    assert server.get("/readyz").status_code == 200
    assert server.post(busy).status_code == 200
    hooks = isolation != "call"
    for path in ("/readyz", "/health/readiness"):
        response = server.get(path)
        if hooks:
            assert_error(response, 503, body="Not Ready: warming the cache")
        else:
            assert (response.status_code, response.text) == (200, "OK")
    assert server.post(sick).status_code == 200
    for path in ("/healthz", "/health/liveness"):
        response = server.get(path)
        if hooks:
            assert_error(response, 503, prefix="Not Alive: ")
        else:
            assert (response.status_code, response.text) == (200, "OK")
    assert counts(server, "function_calls_total", "POST") == 2  # the probes are not calls


def test_a_failing_start_hook_is_a_start_up_failure(start_fails, runtime):
    # func-python: start() raising fails the lifespan startup ("function startup failed"); faas-js
    # awaits init() before it listens. Here the process that would run the calls fails its start:
    # the runtime exits 1 (after the contract's start-up retries), saying why.
    handler = "new" if runtime.name == "python" else "handle"
    result = start_fails("sig_knative_badstart", handler, env=KNATIVE, timeout=30)
    assert result.code == 1, result.stderr
    reason = "start(cfg) raised KeyError: 'DATABASE_URL'" if runtime.name == "python" else "init() failed: DATABASE_URL is not set"
    assert any(reason in line for line in result.error_lines()), result.stderr
