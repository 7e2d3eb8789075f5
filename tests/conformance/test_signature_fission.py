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
from signature_machinery import (check_body_limit, check_exception, check_hello, check_json_logs, check_timeout, counts,
                                 new_id)
from support import assert_error, content_type

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


# -- the machinery holds under the signature (both runtimes: sig_fission_machinery.py / .js) --------

@pytest.fixture
def machinery_start(runtime):
    return deps() if runtime.name == "python" else {"env": dict(FISSION)}


@pytest.mark.smoke
def test_machinery_hello(serve, machinery_start):
    check_hello(serve("sig_fission_machinery", "hello", shared=True, **machinery_start), HTML_UTF8)


def test_machinery_exception_is_500_counted_and_logged(serve, machinery_start):
    check_exception(serve("sig_fission_machinery", "boom", shared=True, **machinery_start))


def test_machinery_timeout_is_408(serve, machinery_start):
    check_timeout(serve, "sig_fission_machinery", machinery_start["env"], volumes=machinery_start.get("volumes"))


def test_machinery_body_limit_is_413(serve, machinery_start):
    check_body_limit(serve, "sig_fission_machinery", machinery_start["env"], volumes=machinery_start.get("volumes"))


def test_machinery_json_logs_carry_the_event_and_trace_ids(serve, machinery_start):
    check_json_logs(serve, "sig_fission_machinery", machinery_start["env"], volumes=machinery_start.get("volumes"))


@pytest.mark.cli_only
def test_the_signature_flag(serve, machinery_start):
    env = {k: v for k, v in machinery_start["env"].items() if k != "FUNC_SIGNATURE"}
    server = serve("sig_fission_machinery", "hello", env=env, volumes=machinery_start.get("volumes"),
                   args=["--signature", "fission"])
    response = server.get("/")
    assert (response.status_code, response.text) == (200, "hello")
