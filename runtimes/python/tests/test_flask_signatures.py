"""The Flask signatures' parts (`gcf`, `fission`): the WSGI environ, running a Flask app into an
answer, the missing-Flask line, the Functions Framework's kinds, the `aio` result mapping.

Flask is a function's dependency, not the runtime's: these tests take it from the `flask` deps set
`make setup` installs (`.cache/function-deps/python-flask`), as a function's install volume would.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Any

import pytest

from kubeless_runtime.responses import ConversionError, Reply, Stream
from kubeless_runtime.signatures import Request, SignatureError
from kubeless_runtime.signatures.fission import _required_positional
from kubeless_runtime.signatures.flask_bridge import environ, import_flask, missing_flask, new_app, run

FLASK_DEPS = Path(__file__).resolve().parents[3] / ".cache" / "function-deps" / "python-flask"


@pytest.fixture(scope="module")
def flask() -> Any:
    assert (FLASK_DEPS / ".installed").exists(), f"{FLASK_DEPS} is missing: run `make setup`"
    if str(FLASK_DEPS) not in sys.path:
        sys.path.append(str(FLASK_DEPS))
    return import_flask("gcf")


def request(path: str = "/", query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None, body: bytes = b"",
            method: str = "GET", root_path: str = "") -> Request:
    header_list = [(b"host", b"fn.example:8080"), *(headers or [])]
    scope = {
        "type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": query,
        "headers": header_list, "client": ("10.1.2.3", 5555), "server": ("127.0.0.1", 8080), "http_version": "1.1",
        "scheme": "http", "root_path": root_path,
    }
    return Request(scope, dict(header_list), body, "evt-1", 0.0, 10.0, None)


def test_the_environ_is_what_werkzeug_reads_back(flask: Any) -> None:
    from werkzeug.wrappers import Request as WerkzeugRequest

    env = environ(request(
        "/fn/é x", b"a=1&a=2&b=%C3%A9",
        [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"3"), (b"x-a", b"1"), (b"x-a", b"2"),
         (b"cookie", b"c=1"), (b"cookie", b"d=2")],
        b"abc", "POST", "/fn",
    ))
    assert env["PATH_INFO"] == "/fn/é x".encode().decode("latin-1") and env["SCRIPT_NAME"] == "/fn"
    assert env["CONTENT_LENGTH"] == "3" and "HTTP_CONTENT_LENGTH" not in env and "HTTP_CONTENT_TYPE" not in env
    assert env["HTTP_X_A"] == "1,2" and env["HTTP_COOKIE"] == "c=1; d=2"
    seen = WerkzeugRequest(env)
    assert (seen.method, seen.path, seen.full_path) == ("POST", "/fn/é x", "/fn/é x?a=1&a=2&b=%C3%A9")
    assert seen.args.getlist("a") == ["1", "2"] and seen.args["b"] == "é"
    assert seen.headers["X-A"] == "1,2" and seen.cookies.to_dict() == {"c": "1", "d": "2"}
    assert seen.get_data() == b"abc" and seen.mimetype == "text/plain"
    assert (seen.host, seen.remote_addr, seen.url_root) == ("fn.example:8080", "10.1.2.3", "http://fn.example:8080/fn/")


def test_the_environ_of_a_request_without_a_body(flask: Any) -> None:
    env = environ(request())
    assert "CONTENT_LENGTH" not in env and "CONTENT_TYPE" not in env
    assert env["wsgi.input"].read() == b""
    env = environ(request(headers=[(b"transfer-encoding", b"chunked")], body=b"streamed", method="POST"))
    assert env["CONTENT_LENGTH"] == "8"  # a chunked body was read whole: its length is known


def _app(flask: Any) -> Any:
    app = new_app(flask, __name__)
    closed: list[str] = []

    @app.route("/text")
    def text() -> Any:
        return "héllo", 201, {"X-Extra": "1"}

    @app.route("/stream")
    def stream() -> Any:
        def chunks() -> Any:
            yield "a"
            yield "b"

        response = flask.Response(chunks(), mimetype="text/plain")
        response.call_on_close(lambda: closed.append("closed"))
        return response

    @app.route("/raise")
    def raises() -> Any:
        raise KeyError("from the view")

    app.closed = closed
    return app


def test_run_a_whole_answer(flask: Any) -> None:
    answer = run(_app(flask), environ(request("/text")))
    assert type(answer) is Reply
    assert (answer.status, answer.body) == (201, "héllo".encode())
    assert (b"content-type", b"text/html; charset=utf-8") in answer.headers and (b"x-extra", b"1") in answer.headers
    assert all(name != b"content-length" for name, _ in answer.headers)  # the runtime sets it


def test_run_a_streamed_answer_closes_the_response(flask: Any) -> None:
    app = _app(flask)
    answer = run(app, environ(request("/stream")))
    assert type(answer) is Stream and answer.status == 200 and not answer.is_async
    assert (b"content-type", b"text/plain; charset=utf-8") in answer.headers
    assert app.closed == []
    assert b"".join(answer.iterator) == b"ab"
    assert app.closed == ["closed"]


def test_run_head_keeps_the_length_of_the_get(flask: Any) -> None:
    answer = run(_app(flask), environ(request("/text", method="HEAD")))
    assert answer.status_code == 201 and answer.body == b""
    assert (b"content-length", str(len("héllo".encode())).encode()) in answer.raw_headers
    assert (b"x-extra", b"1") in answer.raw_headers


def test_run_flask_answers_what_the_routes_do_not_match(flask: Any) -> None:
    answer = run(_app(flask), environ(request("/nowhere")))
    assert type(answer) is Reply and answer.status == 404 and b"<title>404 Not Found</title>" in answer.body


def test_a_header_http_cannot_carry_is_a_conversion_error(flask: Any) -> None:
    app = new_app(flask, __name__)
    app.add_url_rule("/", "bad", lambda: ("x", 200, {"Bad Name": "1"}))
    with pytest.raises(ConversionError, match="invalid response header name 'bad name'"):
        run(app, environ(request("/")))


def test_an_exception_leaves_with_the_views_traceback(flask: Any) -> None:
    with pytest.raises(KeyError) as caught:
        run(_app(flask), environ(request("/raise")))
    files = [frame.filename for frame in traceback.extract_tb(caught.value.__traceback__)]
    assert not any("/flask/" in name or "/werkzeug/" in name for name in files), files
    assert files[-1] == __file__


def test_missing_flask_names_the_file_to_edit() -> None:
    assert missing_flask("gcf", ModuleNotFoundError("No module named 'flask'", name="flask")) == (
        "FUNC_SIGNATURE=gcf needs Flask: add flask (or functions-framework) to the function's requirements.txt"
    )
    assert missing_flask("fission", ModuleNotFoundError("x", name="werkzeug.routing")) == (
        "FUNC_SIGNATURE=fission needs Flask: add flask to the function's requirements.txt"
    )
    assert missing_flask("fission", ModuleNotFoundError("x", name="requests")) is None
    assert missing_flask("gcf", SyntaxError("x")) is None


def test_import_flask_without_flask(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "flask", None)  # what an absent package looks like to `import`
    with pytest.raises(SignatureError, match=r"^FUNC_SIGNATURE=fission needs Flask: add flask to"):
        import_flask("fission")


def test_fission_counts_required_parameters() -> None:
    assert _required_positional(lambda: None) == 0
    assert _required_positional(lambda a, b=1: None) == 1
    assert _required_positional(lambda *args, **kwargs: None) == 0


def test_gcf_kinds_from_the_registry_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from kubeless_runtime.signatures.gcf import signature_type
    from kubeless_runtime.signatures.gcf_shim import SHIMS

    monkeypatch.syspath_prepend(SHIMS)
    for name in [m for m in sys.modules if m == "functions_framework" or m.startswith("functions_framework.")]:
        monkeypatch.delitem(sys.modules, name)
    import functions_framework
    import functions_framework.aio

    assert functions_framework.__file__.startswith(SHIMS)

    def plain(request: Any) -> str:
        return "x"

    async def starlette_one(request: Any) -> str:
        return "x"

    def event_one(event: Any) -> None:
        return None

    assert functions_framework.http(plain) is plain  # the shim's decorators return the function
    functions_framework.aio.http(starlette_one)
    functions_framework.cloud_event(event_one)
    assert signature_type("plain") == ("http", False)
    assert signature_type("starlette_one") == ("http", True)
    assert signature_type("event_one") == ("cloudevent", False)
    monkeypatch.delenv("FUNCTION_SIGNATURE_TYPE", raising=False)
    assert signature_type("unregistered") == ("http", False)
    monkeypatch.setenv("FUNCTION_SIGNATURE_TYPE", "cloudevent")
    assert signature_type("unregistered") == ("cloudevent", False)


def test_gcf_aio_result_mapping() -> None:
    from starlette.responses import PlainTextResponse

    from kubeless_runtime.signatures.gcf_aio import http_answer

    text = http_answer("hi")
    assert (text.status_code, text.body) == (200, b"hi") and "content-type" not in text.headers
    data = http_answer({"a": 1})
    assert (data.status_code, data.body, data.headers["content-type"]) == (200, b'{"a":1}', "application/json")
    made = http_answer(("made", 201))
    assert (made.status_code, made.body) == (201, b"made") and "content-type" not in made.headers
    assert http_answer(({"e": 1}, 400)).headers["content-type"] == "application/json"
    none = http_answer(None)
    assert (none.status_code, none.body) == (500, b"No response returned")
    given = PlainTextResponse("x")
    assert http_answer(given) is given
    with pytest.raises(ConversionError):
        http_answer(42)
