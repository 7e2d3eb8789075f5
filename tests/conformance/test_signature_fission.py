"""Issue 11, FUNC_SIGNATURE=fission: Fission environment functions, answered as Fission's environment
answers them.

The binding spec is /work/wt/SHARED-DECISIONS-11b.md; the platform's facts and example ids (F-py-1 …)
are /work/shared/foreign-signatures.md §5, from `fission/environments@45815b4` (`python/server.py`:
the function is the view of a Flask app, `/` and `/<path:path>` for GET, POST, PUT, HEAD, OPTIONS,
DELETE, called `userfunc()` with no arguments; `python/tests/`) and `fission/examples`
(`python/stateful_counter.py`). Flask is the function's dependency (`tests/functions/python/deps/
flask.txt`, installed by `make setup`, given as KUBELESS_INSTALL_VOLUME). Where Fission answers an
exception (Flask's own 500 page), the contract's 500 wins: the case says so.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from harness import REPO_DIR
from support import assert_error, content_type, counts, new_id

FISSION = {"FUNC_SIGNATURE": "fission"}
HTML_UTF8 = "text/html; charset=utf-8"
JSON = "application/json"
FLASK_DEPS = REPO_DIR / ".cache" / "function-deps" / "python-flask"


def deps(**env: str) -> dict:
    """`serve` arguments giving the function Flask (the `flask` deps set) as its install volume."""
    assert (FLASK_DEPS / ".installed").exists(), f"{FLASK_DEPS} is missing: run `make setup`"
    return {"env": {**FISSION, "KUBELESS_INSTALL_VOLUME": "/deps", **env}, "volumes": {"/deps": FLASK_DEPS}}


@pytest.fixture
def function(serve):
    return serve("sig_fission", "main", shared=True, **deps())


# -- F-py-1, F-py-2: the environment's own test functions ---------------------------------------

@pytest.mark.smoke
@pytest.mark.only("python")
def test_f_py_1_hello(serve):
    # F-py-1, python/tests/fixtures/hello.py: main() returns "Hello, world!\n"; Flask: text/html.
    server = serve("sig_fission_hello", "main", shared=True, **deps())
    response = server.get("/")
    assert (response.status_code, content_type(response), response.text) == (200, HTML_UTF8, "Hello, world!\n")
    response = server.post("/some/path", content=b"ignored")  # server.py: "/" and "/<path:path>"
    assert (response.status_code, response.text) == (200, "Hello, world!\n")
    response = server.request("HEAD", "/")  # HEAD: Flask's answer to GET without the body, its length kept
    assert (response.status_code, response.headers["content-length"], response.content) == (200, "14", b"")


@pytest.mark.only("python")
@pytest.mark.parametrize("handler, text", [("main", "THIS_IS_MAIN_MAIN"), ("func", "THIS_IS_MAIN_FUNC")])
def test_f_py_2_entrypoints(serve, handler, text):
    # F-py-2, python/tests/src/main.py: entrypoint "" (main.main) and "main.func" (test_python_env.sh).
    server = serve("sig_fission_main", handler, shared=True, **deps())
    response = server.get("/")
    assert (response.status_code, content_type(response), response.text) == (200, HTML_UTF8, text)


# -- F-py-3: fission/examples python/stateful_counter.py, with a stand-in of the state API ------

class StateApi(BaseHTTPRequestHandler):
    """Fission's function state API as the example uses it: GET / PUT /v1/state/KEY, the version in
    X-Fission-State-Version, compare-and-swap by If-Match (204, or 412 on a conflict). Keys in
    `contended` always conflict."""

    store: dict[str, tuple[str, int]] = {}
    contended: set[str] = set()
    token = "t0ken"

    def log_message(self, *args) -> None:
        pass

    def _authorised(self) -> bool:
        ok = (self.headers.get("authorization") == f"Bearer {self.token}"
              and self.headers.get("x-fission-state-namespace") == "ns"
              and self.headers.get("x-fission-state-keyspace") == "counter")
        if not ok:
            self._reply(401)
        return ok

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if not self._authorised():
            return
        key = self.path.rsplit("/", 1)[1]
        if key not in self.store:
            self._reply(404)
        else:
            value, version = self.store[key]
            self._reply(200, value.encode(), {"X-Fission-State-Version": str(version)})

    def do_PUT(self) -> None:
        if not self._authorised():
            return
        key = self.path.rsplit("/", 1)[1]
        value = self.rfile.read(int(self.headers["content-length"])).decode()
        current = self.store.get(key, ("", 0))[1]
        if key in self.contended or int(self.headers["if-match"]) != current:
            self._reply(412)
            return
        self.store[key] = (value, current + 1)
        self._reply(204)


@pytest.fixture
def state_api(tmp_path):
    StateApi.store, StateApi.contended = {}, {"contended"}
    server = ThreadingHTTPServer(("127.0.0.1", 0), StateApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    (tmp_path / "token.json").write_text(json.dumps({"namespace": "ns", "keyspace": "counter", "token": StateApi.token}))
    yield {"env": {"FISSION_STATE_URL": f"http://127.0.0.1:{server.server_address[1]}",
                   "FISSION_STATE_TOKEN_PATH": "/state/token.json"},
           "volumes": {"/state": tmp_path}}
    server.shutdown()
    server.server_close()


@pytest.mark.only("python")
def test_f_py_3_stateful_counter(serve, state_api):
    # F-py-3: request.args.get("user", "anon"); f"{user}: {n}\n" (a str: text/html), or
    # ("too much contention\n", 500) after 10 conflicts.
    start = deps(**state_api["env"])
    server = serve("sig_fission_counter", "main", volumes={**start["volumes"], **state_api["volumes"]}, env=start["env"])
    answers = [server.get(path) for path in ("/?user=alice", "/?user=alice", "/?user=bob", "/")]
    assert [(r.status_code, content_type(r), r.text) for r in answers] == [
        (200, HTML_UTF8, "alice: 1\n"), (200, HTML_UTF8, "alice: 2\n"), (200, HTML_UTF8, "bob: 1\n"),
        (200, HTML_UTF8, "anon: 1\n"),
    ]
    response = server.get("/?user=contended")
    assert (response.status_code, content_type(response), response.text) == (500, HTML_UTF8, "too much contention\n")


# -- Flask's request global and return values ---------------------------------------------------

@pytest.mark.only("python")
def test_main_reads_the_request_global(function):
    response = function.post("/a/b?case=echo&x=1&x=2", json={"k": [1]}, headers={"X-Custom": "v"})
    assert (response.status_code, content_type(response)) == (200, JSON)
    assert response.json() == {"method": "POST", "path": "/a/b", "args": {"case": ["echo"], "x": ["1", "2"]},
                               "header": "v", "data": '{"k":[1]}', "json": {"k": [1]}, "form": {}}
    response = function.request("PUT", "/?case=echo", content=b"n=1&m=%C3%A9",
                                headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.json()["form"] == {"n": "1", "m": "é"} and response.json()["method"] == "PUT"


@pytest.mark.only("python")
@pytest.mark.parametrize("case, status, ctype, body", [
    ("tuple", 500, HTML_UTF8, b"too much contention\n"),   # (body, status): an answer, not a failure
    ("dict", 200, JSON, b'{"ok":true}\n'),
    ("response", 418, HTML_UTF8, b"<p>teapot</p>"),
    ("plain", 200, HTML_UTF8, b"plain\n"),
])
def test_flask_return_values(function, case, status, ctype, body):
    before = counts(function, "function_failures_total", "GET")
    response = function.get(f"/?case={case}")
    assert (response.status_code, content_type(response), response.content) == (status, ctype, body)
    if case == "response":
        assert response.headers["x-extra"] == "yes"
    assert counts(function, "function_failures_total", "GET") == before


@pytest.mark.only("python")
def test_concurrent_calls_each_read_their_own_request(function):
    # The request global is per call: 8 calls at once, each pausing between two reads.
    def call(n: int) -> str:
        with httpx.Client(timeout=30) as client:
            return client.get(f"{function.url}/?case=slow_echo&n={n}", headers={"x-n": str(n)}).text

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(call, range(8)))
    assert answers == [f"{n} {n} {n}" for n in range(8)]
    assert time.monotonic() - started < 2.0  # they overlapped (one after another: 2.4 s)


@pytest.mark.only("python")
def test_abort_is_werkzeugs_page(function):
    response = function.get("/?case=abort")
    assert (response.status_code, content_type(response)) == (401, HTML_UTF8)
    assert "<title>401 Unauthorized</title>" in response.text


@pytest.mark.only("python")
def test_a_streamed_response(function):
    response = function.get("/?case=stream")
    assert (response.status_code, content_type(response), response.text) == (200, "text/plain; charset=utf-8", "0\n1\n2\n")
    assert response.headers.get("transfer-encoding") == "chunked"


@pytest.mark.only("python")
@pytest.mark.parametrize("method, status", [("GET", 200), ("POST", 200), ("PUT", 200), ("DELETE", 200),
                                            ("OPTIONS", 200), ("HEAD", 200), ("PATCH", 405)])
def test_the_methods_fission_routes(function, method, status):
    # server.py: methods=['GET', 'POST', 'PUT', 'HEAD', 'OPTIONS', 'DELETE']; another is Flask's 405.
    response = function.request(method, "/")
    assert response.status_code == status
    if status == 405:
        assert content_type(response) == HTML_UTF8 and "<title>405 Method Not Allowed</title>" in response.text
    elif method != "HEAD":
        assert response.text == "plain\n"


@pytest.mark.only("python")
def test_none_is_flasks_error_the_contracts_500(function):
    # Flask raises TypeError for a view that returns None: Fission answers Flask's 500 page; here the
    # contract's 500, logged with the event id and counted.
    event_id = new_id()
    before = counts(function, "function_failures_total", "GET")
    mark = len(function.stderr())
    response = function.get("/?case=none", headers={"event-id": event_id})
    assert_error(response, 500, body=f"Internal Server Error (event-id: {event_id})")
    function.wait_for_output(rf"^error: event-id={event_id}: .*did not return a valid response", "stderr", since=mark)
    assert counts(function, "function_failures_total", "GET") == before + 1


@pytest.mark.only("python")
def test_an_exception_traceback_starts_at_the_function(function):
    mark = len(function.stderr())
    response = function.get("/?case=raise")
    assert response.status_code == 500 and "x-google-status" not in response.headers
    function.wait_for_output(r"RuntimeError: boom from sig_fission$", "stderr", since=mark)
    traceback = function.stderr()[mark:]
    assert "flask/app.py" not in traceback and "sig_fission.py" in traceback, traceback


# -- start-up errors -------------------------------------------------------------------------------

@pytest.mark.smoke
@pytest.mark.only("python")
@pytest.mark.parametrize("module", ["sig_fission_hello", "sig_fission"])
def test_without_flask_one_line_says_what_to_add(start_fails, module):
    # A function that does not import Flask itself (hello) and one whose `from flask import` fails.
    exit = start_fails(module, "main", env=FISSION, timeout=15)
    assert exit.code == 1 and not exit.listened, exit.stderr
    lines = exit.error_lines()
    assert len(lines) == 1, exit.stderr
    assert lines[0].endswith(": FUNC_SIGNATURE=fission needs Flask: add flask to the function's requirements.txt"), lines[0]
    assert "Traceback" not in exit.stderr


@pytest.mark.only("python")
@pytest.mark.parametrize("handler, words", [("takes_args", "called with no arguments"),
                                            ("async_main", "cannot be an async def")])
def test_a_function_fission_cannot_call_is_refused(start_fails, handler, words):
    exit = start_fails("sig_fission", handler, timeout=15, **deps())
    assert exit.code == 1 and not exit.listened, exit.stderr
    lines = exit.error_lines()
    assert len(lines) == 1 and words in lines[0], exit.stderr


# The machinery under the signature (calls, access log, 408, 413, the 500 logged and counted, JSON
# logs, the setting and its flag) is test_signature_machinery.py's, with a row for this signature.


# --- Node.js examples ---
# fission/environments@45815b4 nodejs/server.js (Express 5: express.urlencoded({extended: false}),
# express.json(), express.raw(), express.text({type: 'text/*'}); context = {request, response};
# fn.length <= 1 → {status, body, headers}, 2 → callback(status, body, headers); the answer made with
# res.set, res.status and res.send or a piped stream.Readable) and its tests/examples (test-case-1,
# -2, -3, -5, fission/examples nodejs/hello-callback.js and multi-entry-esm.js), re-created in
# tests/functions/nodejs/sig_fission_*. The environment's app keeps Express's defaults: X-Powered-By
# and weak ETags. Where Fission answers an exception with 500 "Internal server error", the contract's
# 500 wins (counted, logged with the event id).

import base64 as _b64

import pytest as _pytest

from support import assert_error as _assert_error
from support import content_type as _content_type
from support import counts as _node_counts

_NODE_FISSION = {"FUNC_SIGNATURE": "fission"}
_NODE_HTML = "text/html; charset=utf-8"
_NODE_JSON = "application/json; charset=utf-8"


@_pytest.mark.smoke
@_pytest.mark.only("nodejs")
def test_nodejs_f_js_1_hello_world(serve):
    # F-js-1, nodejs/test/test-case-1/helloWorld.js: {status: 200, body: "hello, world!\n"}; server.js
    # res.send(string): text/html; charset=utf-8, with Express's X-Powered-By and weak ETag (the etag
    # module: W/"<length hex>-<sha1 base64, 27 chars>").
    server = serve("sig_fission_hello", "main", env=_NODE_FISSION, shared=True)
    response = server.get("/")
    assert (response.status_code, _content_type(response), response.text) == (200, _NODE_HTML, "hello, world!\n")
    assert response.headers["x-powered-by"] == "Express"
    assert response.headers["etag"] == 'W/"e-6RuglyuQVRh/ou+otcFW9IeoKTo"'


@_pytest.mark.only("nodejs")
def test_nodejs_a_matching_etag_is_304(serve):
    # Express's res.send: req.fresh (If-None-Match matches the ETag) → 304, no body.
    server = serve("sig_fission_hello", "main", env=_NODE_FISSION, shared=True)
    etag = server.get("/").headers["etag"]
    response = server.get("/", headers={"if-none-match": etag})
    assert (response.status_code, response.content) == (304, b"")
    assert server.post("/", headers={"if-none-match": etag}).status_code == 200  # GET and HEAD only


@_pytest.mark.only("nodejs")
@_pytest.mark.parametrize("query, text", [("?user=Jo", "hello Jo!"), ("", "hello undefined!")])
def test_nodejs_f_js_2_hello_user(serve, query, text):
    # F-js-2, test-case-2/helloUser.js: url.parse(context.request.url, true).query.user; without it
    # the environment answers "hello undefined!".
    server = serve("sig_fission_user", "main", env=_NODE_FISSION, shared=True)
    response = server.get(f"/{query}")
    assert (response.status_code, _content_type(response), response.text) == (200, _NODE_HTML, text)


@_pytest.mark.only("nodejs")
def test_nodejs_f_js_3_callback(serve):
    # F-js-3, fission/examples nodejs/hello-callback.js: (context, callback) => callback(200, "…").
    server = serve("sig_fission_callback", "main", env=_NODE_FISSION, shared=True)
    response = server.get("/")
    assert (response.status_code, _content_type(response), response.text) == (200, _NODE_HTML, "Hello, world callback!\n")


@_pytest.mark.only("nodejs")
def test_nodejs_f_js_4_esm_default_export(serve):
    # F-js-4, test-case-5/helloWorld.js (ESM): the default export; its headers set with res.set.
    server = serve("sig_fission_esm", "main", env=_NODE_FISSION, shared=True)
    response = server.get("/")
    assert (response.status_code, _content_type(response)) == (200, _NODE_HTML)
    assert response.text == "hello, world from ESM! 🎉\n"
    assert response.headers["x-module-type"] == "ESM"
    assert response.headers["x-node-version"].startswith("v")


@_pytest.mark.only("nodejs")
def test_nodejs_f_js_5_named_entry_points(serve):
    # F-js-5, fission/examples nodejs/multi-entry-esm.js: entry points `file.entry1` / `file.entry2`;
    # a JSON string body with Content-Type application/json (res.set adds charset=utf-8).
    server = serve("sig_fission_multi", "entry1", env=_NODE_FISSION, shared=True)
    response = server.get("/?name=Ann")
    assert (response.status_code, _content_type(response)) == (200, _NODE_JSON)
    assert response.headers["x-entry-point"] == "entry1"
    assert response.json() == {"message": "Hello from Entry Point 1, Ann! 🚀", "entryPoint": "entry1"}
    assert response.text.startswith('{\n  "message"')  # JSON.stringify(…, null, 2), sent as it is
    server = serve("sig_fission_multi", "entry2", env=_NODE_FISSION, shared=True)
    response = server.post("/", content=b'{"k": [1, 2]}', headers={"content-type": "application/json"})
    assert (response.status_code, _content_type(response), response.headers["x-entry-point"]) == (200, _NODE_JSON, "entry2")
    assert response.json()["receivedData"] == {"k": [1, 2]}


@_pytest.mark.only("nodejs")
@_pytest.mark.parametrize("ctype, body, words", [
    ("text/plain", b"the quick  fox", ["the", "quick", "fox"]),          # text/*: a string
    ("application/x-www-form-urlencoded", b"alpha&beta", ["alpha", "beta"]),  # a form: its keys
    ("application/xml", b"<a/>", []),                                    # no parser: no body
])
def test_nodejs_word_count(serve, ctype, body, words):
    # test-case-3/wordCount.js: the words of the body as the environment's parsers leave it.
    server = serve("sig_fission_wordcount", "main", env=_NODE_FISSION, shared=True)
    response = server.post("/", content=body, headers={"content-type": ctype})
    assert (response.status_code, _content_type(response)) == (200, _NODE_JSON)
    assert response.json() == {"wordCount": len(words), "words": words}


@_pytest.mark.only("nodejs")
@_pytest.mark.parametrize("ctype, body, kind, value", [
    ("application/json", b'{"a": [1, 2]}', "object", {"a": [1, 2]}),
    ("application/x-www-form-urlencoded", b"a[b]=1&a[b]=2&c=x+y", "object", {"a[b]": ["1", "2"], "c": "x y"}),
    ("text/csv", b"a,b", "string", "a,b"),
    ("application/octet-stream", bytes([0, 255]), "buffer", _b64.b64encode(bytes([0, 255])).decode()),
    ("image/png", b"\x89PNG", "undefined", None),   # express.raw() takes application/octet-stream only
    (None, b"no type", "undefined", None),
])
def test_nodejs_request_body_by_content_type(serve, ctype, body, kind, value):
    server = serve("sig_fission_request", "echo", env=_NODE_FISSION, shared=True)
    headers = {"content-type": ctype} if ctype else {}
    response = server.post("/p/q?x=1&x=2", content=body, headers={**headers, "X-Custom": "V"})
    assert (response.status_code, _content_type(response)) == (200, _NODE_JSON)  # an object body: res.json
    seen = response.json()
    assert (seen["bodyKind"], seen.get("body")) == (kind, value)
    assert (seen["method"], seen["path"], seen["query"], seen["header"]) == ("POST", "/p/q", {"x": ["1", "2"]}, "V")


@_pytest.mark.only("nodejs")
def test_nodejs_malformed_json_is_400(serve):
    # express.json() refuses it (Express's 400 page there; one line here), the function not called.
    server = serve("sig_fission_request", "echo", env=_NODE_FISSION, shared=True)
    response = server.post("/", content=b"{bad", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.text.startswith("Bad Request: malformed JSON body: ") and "\n" not in response.text


@_pytest.mark.only("nodejs")
def test_nodejs_a_falsy_status_leaves_the_answer_to_the_function(serve):
    # server.js callback: `if (!status) return;` — the function wrote context.response itself.
    server = serve("sig_fission_request", "ownResponse", env=_NODE_FISSION, shared=True)
    response = server.get("/")
    assert (response.status_code, _content_type(response), response.json()) == (203, _NODE_JSON, {"own": True})
    assert response.headers["x-own"] == "yes"


@_pytest.mark.only("nodejs")
def test_nodejs_a_stream_body_is_piped(serve):
    # server.js: `body instanceof Readable` → body.pipe(res), after res.set of the headers.
    server = serve("sig_fission_request", "stream", env=_NODE_FISSION, shared=True)
    before = _node_counts(server, "function_calls_total", "GET")
    response = server.get("/")
    assert (response.status_code, _content_type(response), response.text) == (200, "text/plain; charset=utf-8", "one two three")
    assert _node_counts(server, "function_calls_total", "GET") == before + 1


@_pytest.mark.only("nodejs")
def test_nodejs_a_later_callback_and_only_the_first(serve):
    # callback(201, {made: true}, headers): an object body is res.send → JSON; a second call is not
    # an answer (server.js would throw ERR_HTTP_HEADERS_SENT into the function).
    server = serve("sig_fission_request", "later", env=_NODE_FISSION, shared=True)
    response = server.get("/")
    assert (response.status_code, _content_type(response), response.json()) == (201, _NODE_JSON, {"made": True})
    assert response.headers["x-later"] == "1"


@_pytest.mark.only("nodejs")
def test_nodejs_no_parameters_no_arguments(serve):
    # server.js: fn.length === 0 → fn().
    server = serve("sig_fission_request", "noArgs", env=_NODE_FISSION, shared=True)
    assert server.get("/").text == "arguments: 0"


@_pytest.mark.only("nodejs")
def test_nodejs_resolving_to_nothing_is_500(serve):
    # server.js destructures the result: undefined throws, answered 500 (the contract's 500 here),
    # logged with the event id and what was wrong, counted as a failure.
    server = serve("sig_fission_request", "nothing", env=_NODE_FISSION, shared=True)
    before = _node_counts(server, "function_failures_total", "GET")
    mark = len(server.stderr())
    response = server.get("/", headers={"event-id": "evt-nothing"})
    _assert_error(response, 500, body="Internal Server Error (event-id: evt-nothing)")
    server.wait_for_output(r"^error: event-id=evt-nothing: TypeError: the function's result is undefined, not \{status, body, headers\}",
                           "stderr", since=mark)
    assert _node_counts(server, "function_failures_total", "GET") == before + 1


@_pytest.mark.only("nodejs")
def test_nodejs_the_entry_point_must_exist(start_fails):
    result = start_fails("sig_fission_multi", "entry3", env=_NODE_FISSION, timeout=15)
    assert result.code == 1 and not result.listened, result.stderr
    lines = result.error_lines()
    assert len(lines) == 1 and "entry3" in lines[0], result.stderr
