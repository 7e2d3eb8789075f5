"""FUNC_SIGNATURE (shared decisions 11): functions written for another platform, called as it calls them.

An adapter has one job: the request → the function's arguments, and the function's result → the
answer (status, headers, body). Everything else is the runtime's shared machinery, the same for
every signature: the body limit, the deadline, the metrics, the access and JSON logs, the event id,
the trace context, CORS, the drain, FUNC_MAX_INFLIGHT.

`adapter_for(settings, function)` gives the adapter of the configured signature, or None for
`kubeless` (the contract's own event and context: the runtime's paths then run as they always did,
with nothing added per call). It is made once, in the supervisor, and reaches the process that runs
the function: the worker in `worker` isolation (app.py), an executor in `call` isolation
(executor.py). There, per call:

    invocation = adapter.invocation(Request(...))   # may raise call.BadJson (400, not a call)
    result = function(*invocation.args)              # def in a thread / executor, async def awaited:
                                                     # bind(function)(invocation, None), on the paths
                                                     # the contract's function(event, context) takes
    answer = invocation.answer(result)               # a responses.Reply/Stream; ConversionError → 500;
                                                     # FailedAnswer → its reply, counted as a failure
    invocation.error(exc)                            # when the function raised: a reply instead of
                                                     # the contract's 500 (counted as a failure), or None
"""

from __future__ import annotations

import base64
import inspect
from collections.abc import Callable
from typing import Any

from ..responses import Reply

# The text-ish content types: a body of one of these that is valid UTF-8 is handed over as text,
# anything else as base64 (the rule of AWS SAM CLI's local API Gateway, foreign-signatures.md §1).
_TEXT_TYPES = frozenset(
    {
        "application/json", "application/xml", "application/x-www-form-urlencoded", "application/javascript",
        "application/x-javascript", "application/ecmascript", "application/graphql", "application/yaml",
        "application/x-yaml",
    }
)


class SignatureError(Exception):
    """The function cannot be called with this signature (found at start-up: exit 1)."""


class FailedAnswer(Exception):
    """The result is answered with `reply`, and the call counts as a failure; `line` goes to stderr."""

    def __init__(self, reply: Reply, line: str) -> None:
        super().__init__(line)
        self.reply = reply
        self.line = line


class Request:
    """What an adapter sees of a request: the ASGI scope, its headers, the body, the call's ids and times.

    `now` is the request's arrival and `deadline` its end, both `time.time()` seconds (the
    deadline is the contract's, so a Lambda context's remaining time matches the 408)."""

    __slots__ = ("scope", "headers", "body", "event_id", "now", "deadline", "trace")

    def __init__(
        self, scope: dict[str, Any], headers: dict[bytes, bytes], body: bytes, event_id: str, now: float,
        deadline: float, trace: Any,
    ) -> None:
        self.scope = scope
        self.headers = headers
        self.body = body
        self.event_id = event_id
        self.now = now
        self.deadline = deadline
        self.trace = trace

    def header(self, name: bytes) -> str | None:
        raw = self.headers.get(name)
        return raw.decode("latin-1") if raw is not None else None

    def joined_headers(self, separator: str = ",", skip: bytes | None = None) -> dict[str, str]:
        """The request's headers by lower-case name, repeated ones joined (as Lambda 2.0 and OpenWhisk do)."""
        out: dict[str, str] = {}
        for name, value in self.scope["headers"]:
            if name == skip:
                continue
            key, text = name.decode("latin-1").lower(), value.decode("latin-1")
            out[key] = out[key] + separator + text if key in out else text
        return out

    def media_type(self) -> str:
        raw = self.headers.get(b"content-type")
        return raw.decode("latin-1").split(";", 1)[0].strip().lower() if raw is not None else ""


def is_text_type(media_type: str) -> bool:
    return (
        media_type.startswith("text/")
        or media_type in _TEXT_TYPES
        or media_type.endswith(("+json", "+xml"))
    )


def text_or_base64(body: bytes, textual: bool) -> tuple[str, bool]:
    """The body as text when `textual` and valid UTF-8, else as base64; and whether it is base64."""
    if textual:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def positional_arity(function: Callable[..., Any]) -> int | None:
    """How many positional arguments the function takes (None: any number, or it cannot be told)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    count = 0
    for parameter in parameters:
        if parameter.kind is parameter.VAR_POSITIONAL:
            return None
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            count += 1
    return count


def _lambda(settings: Any, function: Callable[..., Any]) -> Any:
    from .aws_lambda import LambdaAdapter

    return LambdaAdapter(settings, function, version="2.0")


def _lambda_v1(settings: Any, function: Callable[..., Any]) -> Any:
    from .aws_lambda import LambdaAdapter

    return LambdaAdapter(settings, function, version="1.0")


def _openwhisk(settings: Any, function: Callable[..., Any]) -> Any:
    from .openwhisk import OpenWhiskAdapter

    return OpenWhiskAdapter(settings, function)


def _openfaas(settings: Any, function: Callable[..., Any]) -> Any:
    from .openfaas import OpenFaaSAdapter

    return OpenFaaSAdapter(settings, function)


def _knative(settings: Any, function: Callable[..., Any]) -> Any:
    from .knative import KnativeAdapter

    return KnativeAdapter(settings, function)


def _gcf(settings: Any, function: Callable[..., Any]) -> Any:
    from .gcf import adapter

    return adapter(settings, function)


def _fission(settings: Any, function: Callable[..., Any]) -> Any:
    from .fission import FissionAdapter

    return FissionAdapter(settings, function)


# The registry: FUNC_SIGNATURE → the adapter's maker (settings.SIGNATURES lists the same names).
REGISTRY: dict[str, Callable[[Any, Callable[..., Any]], Any]] = {
    "lambda": _lambda,
    "lambda-v1": _lambda_v1,
    "openwhisk": _openwhisk,
    "openfaas": _openfaas,
    "knative": _knative,
    "gcf": _gcf,
    "fission": _fission,
}


def before_import(settings: Any) -> None:
    """What a signature needs on sys.path before the function's module is imported (the loader calls
    it once the function's folder and the install volume are there): under `gcf`, the
    `functions_framework` shim when the real package is not installed, and the Flask app whose
    `errorhandler` the module may use."""
    if settings.signature == "gcf":
        from .gcf import before_import as gcf_before_import

        gcf_before_import(settings)


def import_error(settings: Any, exc: BaseException) -> str | None:
    """A start-up error line for an import that failed because the signature's framework is missing
    (the function's own `import flask` under `gcf` / `fission`), or None."""
    if settings.signature in ("gcf", "fission"):
        from .flask_bridge import missing_flask

        return missing_flask(settings.signature, exc)
    return None


def bind(function: Callable[..., Any], is_async: bool, adapter: Any = None) -> Callable[..., Any]:
    """The function as the runtime calls it under a signature: `(invocation, None)`, so the call paths
    (app.py, executor.py) are the contract's `function(event, context)` whatever the signature, and
    the default `kubeless` pays nothing for signatures. An `async def` stays a coroutine function, so
    it still runs on the event loop; its frames are the runtime's and left out of tracebacks.

    An adapter with a `bind(function, is_async)` of its own calls the function its way (the Flask
    signatures run it inside a Flask request)."""
    own = getattr(adapter, "bind", None)
    if own is not None:
        return own(function, is_async)
    if is_async:

        async def call_async(invocation: Any, _: None) -> Any:
            return await function(*invocation.args)

        return call_async

    def call(invocation: Any, _: None) -> Any:
        return function(*invocation.args)

    return call


def adapter_for(settings: Any, function: Callable[..., Any]) -> Any:
    """The adapter of `settings.signature` for this function; None for `kubeless`. SignatureError if it cannot be."""
    name = settings.signature
    if name == "kubeless":
        return None
    try:
        make = REGISTRY[name]
    except KeyError:
        raise SignatureError(f"unknown signature {name!r}") from None
    return make(settings, function)
