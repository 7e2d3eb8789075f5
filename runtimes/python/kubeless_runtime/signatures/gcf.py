"""FUNC_SIGNATURE=gcf: Google Cloud Functions' Functions Framework for Python (functions-framework-python
3.10: `__init__.py`, `_function_registry.py`, `aio/__init__.py`).

Which kind of function the handler is, as the framework decides it: the signature type its decorator
registered under the function's name (`functions_framework._function_registry.REGISTRY_MAP`, filled by
the real package or by the runtime's shim), else `FUNCTION_SIGNATURE_TYPE` (`http` by default); a
name in the registry's `ASGI_FUNCTIONS` (`@functions_framework.aio.*`) is served the Starlette way
(gcf_aio.py). The Flask kinds, as the framework's `create_app` serves them:

- Before the module is imported, the app is made and `functions_framework.errorhandler` is its
  `errorhandler` (the framework's README "Error handling": `@functions_framework.errorhandler(E)`).
- `http`: `function(flask.request)` is the view of `/` and `/<path:path>` for every method
  (`/robots.txt` and `/favicon.ico` are 404); its return value is answered by Flask's
  `make_response`, an `abort()` by werkzeug's HTTPException page; `abort(500)` is the framework's
  crash answer (`str(e)`, `X-Google-Status: crash`).
- `cloudevent`: POST only; `cloudevents.http.from_http(request.headers, body)` (binary or structured
  mode), `function(event)`, then `200 OK`. A request that is not a CloudEvent is 400 (the framework
  first tries to convert a legacy background event: not here).

An exception is the contract's 500, with the framework's `X-Google-Status: crash` header.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from ..responses import TEXT_PLAIN, Reply
from . import Request, SignatureError
from .flask_bridge import FlaskInvocation, bind_app, environ, import_flask, new_app, refuse_async

HTTP, CLOUDEVENT = "http", "cloudevent"
CRASH = (b"x-google-status", b"crash")


def signature_type(name: str) -> tuple[str, bool]:
    """The function's signature type and whether it is an `aio` (Starlette) one."""
    registry = sys.modules.get("functions_framework._function_registry")
    registered = getattr(registry, "REGISTRY_MAP", {}).get(name) if registry is not None else None
    if registered:
        return registered, name in getattr(registry, "ASGI_FUNCTIONS", ())
    return os.environ.get("FUNCTION_SIGNATURE_TYPE") or HTTP, False


def import_cloudevents() -> Any:
    """`cloudevents.http` (1.x, or 2.x's v1 API) from the function's dependencies; one line without it."""
    try:
        import cloudevents.http as ce_http
    except ImportError:
        raise SignatureError(
            "FUNC_SIGNATURE=gcf: a CloudEvent function needs the CloudEvents SDK: add cloudevents "
            "(or functions-framework) to the function's requirements.txt"
        ) from None
    return ce_http


def crash_reply(event_id: str) -> Reply:
    from ..app import internal_error_body

    return Reply(500, [TEXT_PLAIN, CRASH], internal_error_body(event_id))


def _crash_handler(e: Any) -> Any:
    """functions_framework.crash_handler: what `abort(500)` answers."""
    return str(e), 500, {"X-Google-Status": "crash"}


_prepared: dict[str, Any] = {}  # module name → the Flask app made before its import


def _flask_app(flask: Any, module_name: str) -> Any:
    app = new_app(flask, module_name)
    app.register_error_handler(500, _crash_handler)
    return app


def before_import(settings: Any) -> None:
    """What the framework's create_app does before it runs the function's module: `functions_framework`
    importable (the shim, when the real package is absent), the Flask app made and its `errorhandler`
    published as `functions_framework.errorhandler`, so `@functions_framework.errorhandler(E)` in the
    module registers on the app that serves it. Without Flask nothing is made (the adapter says so)."""
    from .gcf_shim import provide

    provide()
    try:
        import flask
    except ImportError:
        return
    app = _prepared[settings.module_name] = _flask_app(flask, settings.module_name)
    try:
        import functions_framework
    except Exception:  # noqa: BLE001 - a broken install: the function's own import says what is wrong
        return
    functions_framework.errorhandler = app.errorhandler


class GcfFlaskAdapter:
    def __init__(self, settings: Any, function: Callable[..., Any], kind: str) -> None:
        flask = import_flask("gcf")
        refuse_async("gcf", function, ": decorate it with @functions_framework.aio.http")
        from werkzeug.routing import Rule

        app = self.app = _prepared.pop(settings.module_name, None) or _flask_app(flask, settings.module_name)
        if kind == HTTP:

            def run(path: str) -> Any:
                return function(flask.request._get_current_object())

            app.url_map.add(Rule("/", defaults={"path": ""}, endpoint="run"))
            app.url_map.add(Rule("/robots.txt", endpoint="error"))
            app.url_map.add(Rule("/favicon.ico", endpoint="error"))
            app.url_map.add(Rule("/<path:path>", endpoint="run"))
            app.view_functions["run"] = run
            app.view_functions["error"] = lambda: flask.abort(404, description="Not Found")
        else:
            ce_http = import_cloudevents()
            from cloudevents import exceptions as ce_errors

            not_events = (ce_errors.MissingRequiredFields, ce_errors.InvalidRequiredFields)

            def cloudevent(path: str) -> Any:
                request = flask.request
                try:
                    event = ce_http.from_http(request.headers, request.get_data())
                except not_events as exc:
                    flask.abort(
                        400,
                        description=f"Function was defined with FUNCTION_SIGNATURE_TYPE=cloudevent but parsing "
                        f"CloudEvent failed: {exc!r}",
                    )
                function(event)
                return "OK"

            app.url_map.add(Rule("/", defaults={"path": ""}, endpoint=CLOUDEVENT, methods=["POST"]))
            app.url_map.add(Rule("/<path:path>", endpoint=CLOUDEVENT, methods=["POST"]))
            app.view_functions[CLOUDEVENT] = cloudevent

    def bind(self, function: Callable[..., Any], is_async: bool) -> Any:
        return bind_app(self.app)

    def invocation(self, request: Request) -> FlaskInvocation:
        return FlaskInvocation(environ(request), crash_reply(request.event_id))


def adapter(settings: Any, function: Callable[..., Any]) -> Any:
    kind, aio = signature_type(settings.function_name)
    if kind not in (HTTP, CLOUDEVENT):
        raise SignatureError(
            f"FUNC_SIGNATURE=gcf runs http and cloudevent functions; {settings.function_name!r} is a {kind!r} one"
        )
    if aio:
        from .gcf_aio import GcfAioAdapter

        return GcfAioAdapter(settings, function, kind)
    return GcfFlaskAdapter(settings, function, kind)
