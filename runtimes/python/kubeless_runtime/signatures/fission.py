"""FUNC_SIGNATURE=fission: Fission's Python environment (fission/environments `python/server.py`).

`main()` takes no arguments and reads Flask's `request` global; whatever it returns is answered as
Flask answers a view's return value. As in Fission's server, the function is the view of `/` and
`/<path:path>` for GET, POST, PUT, HEAD, OPTIONS and DELETE (another method is Flask's 405), called
`userfunc(*args)` with no positional arguments. Flask comes from the function's dependencies.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from . import Request, SignatureError
from .flask_bridge import FlaskInvocation, bind_app, environ, import_flask, new_app, refuse_async

METHODS = ["GET", "POST", "PUT", "HEAD", "OPTIONS", "DELETE"]


def _required_positional(function: Callable[..., Any]) -> int:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return 0
    return sum(
        1 for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    )


class FissionAdapter:
    def __init__(self, settings: Any, function: Callable[..., Any]) -> None:
        flask = import_flask("fission")
        refuse_async("fission", function)
        required = _required_positional(function)
        if required:
            raise SignatureError(
                f"with FUNC_SIGNATURE=fission the function is called with no arguments (it reads flask.request), "
                f"it needs {required}"
            )

        def userfunc_call(*args: Any, **kwargs: Any) -> Any:  # server.py: self.userfunc(*args)
            return function(*args)

        self.app = new_app(flask, settings.module_name)
        for rule in ("/", "/<path:path>"):
            self.app.add_url_rule(rule, "userfunc_call", userfunc_call, methods=METHODS)

    def bind(self, function: Callable[..., Any], is_async: bool) -> Any:
        return bind_app(self.app)

    def invocation(self, request: Request) -> FlaskInvocation:
        return FlaskInvocation(environ(request))
