"""The Flask signatures' bridge (`gcf`, `fission`): a request through a Flask app, the answer out.

GCF's Functions Framework and Fission's Python environment serve the function from a Flask app, so
what the function sees (`flask.request`, `jsonify`, `abort`, `make_response`, `render_template`) and
how its return value is answered (Flask's `make_response`, werkzeug's HTTPException pages) are
Flask's own. Here the same: the adapter builds the platform's Flask app once (its routes, its view
around the function), and per call this module turns the runtime's request into a WSGI environ
(PEP 3333), runs the app's WSGI callable, and turns the response into the runtime's answer: whole
(a `Reply`) when Flask gave it a length, streamed (a `Stream`) when it did not (a generator); a
HEAD answer keeps Flask's Content-Length (the GET's) without a body.

`PROPAGATE_EXCEPTIONS` is set, so an exception the function raises leaves the app as itself and is
the runtime's (the contract's 500, logged with the event id, counted); an HTTPException (`abort`) is
answered by Flask. Flask is the function's dependency, never the image's: imported only when a
Flask signature is configured, after the install volume is on sys.path.
"""

from __future__ import annotations

import inspect
import io
import sys
from collections.abc import Iterator
from typing import Any

from ..responses import ConversionError, Reply, Stream, check_headers
from . import Request, SignatureError

# The packages a Flask signature's import can miss (Flask's own are installed with it).
_FLASK_MODULES = frozenset({"flask", "werkzeug"})
_HINTS = {
    "gcf": "add flask (or functions-framework) to the function's requirements.txt",
    "fission": "add flask to the function's requirements.txt",
}


def missing_flask_line(signature: str) -> str:
    return f"FUNC_SIGNATURE={signature} needs Flask: {_HINTS[signature]}"


def missing_flask(signature: str, exc: BaseException) -> str | None:
    """The start-up line when the function's own import of Flask failed, else None."""
    if isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".", 1)[0] in _FLASK_MODULES:
        return missing_flask_line(signature)
    return None


def import_flask(signature: str) -> Any:
    """The `flask` module from the function's dependencies; SignatureError (one line) without it."""
    try:
        import flask
    except ImportError as exc:
        raise SignatureError(missing_flask(signature, exc) or f"FUNC_SIGNATURE={signature}: importing Flask failed: {exc}") from None
    return flask


def new_app(flask: Any, import_name: str) -> Any:
    """A Flask app named after the function's module (its folder is the app's root: `templates/`
    beside the function works, as with GCF), whose unhandled exceptions reach the runtime."""
    app = flask.Flask(import_name)
    app.config["PROPAGATE_EXCEPTIONS"] = True
    return app


def environ(request: Request) -> dict[str, Any]:
    """The WSGI environ of the request (PEP 3333): the body already read, whole."""
    scope = request.scope
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client")
    body = request.body
    env: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": (scope.get("root_path") or "").encode("utf-8").decode("latin-1"),
        "PATH_INFO": scope["path"].encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] if server[1] is not None else 80),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": client[0] if client else "",
        "REMOTE_PORT": str(client[1]) if client else "",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if body or b"content-length" in request.headers:
        env["CONTENT_LENGTH"] = str(len(body))
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name == "CONTENT_LENGTH":
            continue
        key = name if name == "CONTENT_TYPE" else "HTTP_" + name
        if key in env:
            env[key] += ("; " if key == "HTTP_COOKIE" else ",") + value
        else:
            env[key] = value
    return env


def run(app: Any, env: dict[str, Any]) -> Any:
    """Run the Flask app on one request; its response as the runtime's answer."""
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info is not None and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [status, headers]
        return _no_write

    try:
        app_iter = app(env, start_response)
    except BaseException as exc:  # the function's own (PROPAGATE_EXCEPTIONS): its traceback from the view on
        raise exc.with_traceback(_past_flask(exc.__traceback__))
    status = int(started[0].split(" ", 1)[0])
    headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in started[1]]
    try:
        check_headers(headers)  # werkzeug refuses a newline in a value; a bad name gets through
    except ConversionError:
        _close(app_iter)
        raise
    sized = any(name == b"content-length" for name, _ in headers)
    if sized and env["REQUEST_METHOD"] == "HEAD":  # no body, but the GET's length, as Flask's server sends it
        _close(app_iter)
        return _head(status, headers)
    headers = [h for h in headers if h[0] != b"content-length"]  # the runtime sets it (or streams)
    if sized:  # a body Flask holds whole (werkzeug gives a length only then)
        try:
            return Reply(status, headers, b"".join(app_iter))
        finally:
            _close(app_iter)
    return Stream(status, headers, _closing(app_iter), False)


def _head(status: int, headers: list[tuple[bytes, bytes]]) -> Any:
    """A HEAD answer keeping Flask's Content-Length: a Starlette response, which sends the headers as given."""
    from starlette.responses import Response

    response = Response(status_code=status)
    response.raw_headers = headers
    return response


def _close(app_iter: Any) -> None:
    close = getattr(app_iter, "close", None)
    if close is not None:
        close()


def _past_flask(tb: Any) -> Any:
    """The traceback without Flask's and werkzeug's dispatching frames in front (whole when it has
    nothing else: Flask's own error, such as a view that returned None)."""
    start = tb.tb_next  # tb's first frame is run()'s own
    while start is not None and start.tb_frame.f_globals.get("__name__", "").split(".", 1)[0] in _FLASK_MODULES:
        start = start.tb_next
    return start or tb


def _no_write(data: bytes) -> None:
    raise RuntimeError("the WSGI write() callable is not supported")


def _closing(app_iter: Any) -> Iterator[bytes]:
    """The streamed body; the WSGI iterable is closed at its end, or when the stream is stopped."""
    try:
        yield from app_iter
    finally:
        _close(app_iter)


class FlaskInvocation:
    """One call through a Flask app: `bind`'s call runs it in the function's thread and returns the
    answer already made, so `answer` only hands it on."""

    __slots__ = ("environ", "crash")

    def __init__(self, env: dict[str, Any], crash: Reply | None = None) -> None:
        self.environ = env
        self.crash = crash  # the answer to an exception (GCF's crash); None: the contract's 500

    def answer(self, result: Any) -> Any:
        return result

    def error(self, exc: BaseException) -> Reply | None:
        return self.crash


def bind_app(app: Any) -> Any:
    """The runtime's call under a Flask signature: `(invocation, None)` → the app's answer."""

    def call(invocation: FlaskInvocation, _: None) -> Any:
        return run(app, invocation.environ)

    return call


def refuse_async(signature: str, function: Any, hint: str = "") -> None:
    """An `async def` cannot be a Flask view (Flask would answer its coroutine with a 500 on every call)."""
    if inspect.iscoroutinefunction(function) or (
        not inspect.isfunction(function) and inspect.iscoroutinefunction(getattr(function, "__call__", None))
    ):
        raise SignatureError(
            f"with FUNC_SIGNATURE={signature} the function runs as a Flask view, which cannot be an async def{hint}"
        )
