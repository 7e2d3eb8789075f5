"""FUNC_SIGNATURE=knative: a function object's lifecycle hooks, and the probes they decide.

func-python (knative-extensions/func-python `http.py`) calls `start(cfg)` at the server's start with
a copy of the environment, `stop()` at its shutdown, and serves `alive()` / `ready()` (a bool, or
`(bool, message)`) at `/health/liveness` and `/health/readiness`, the paths `func deploy` gives the
Knative Service's probes (knative/func `pkg/k8s/deployer.go`). Here:

- `start`/`stop` run in the process that runs the calls: a worker at its start and at the end of its
  drain (`worker` isolation), an executor when it starts and when it leaves (`call` isolation);
- `ProbeApp` wraps the worker's app: `/health/liveness` and `/health/readiness` are the runtime's
  `/healthz` and `/readyz`, and in `worker` isolation `alive()` / `ready()` decide them: false is
  `503 Not Alive: MESSAGE` / `503 Not Ready: MESSAGE`, true is the contract's answer. In `call`
  isolation the worker runs no function code, so they are not called there.
"""

from __future__ import annotations

import os
import traceback
from typing import Any

from .. import runtimelog
from ..cors import ANY as CORS_ANY, allow
from ..responses import TEXT_PLAIN
from ..tracebacks import user_traceback

_ALIASES = {"/health/liveness": "/healthz", "/health/readiness": "/readyz"}


class StartFailed(Exception):
    """`start(cfg)` raised: the process cannot serve (a start-up failure). `line` is what to print."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line


def _hook(instance: Any, name: str) -> Any:
    hook = getattr(instance, name, None) if instance is not None else None
    return hook if callable(hook) else None


def _raised(name: str, exc: BaseException) -> str:
    return f"{name} raised {traceback.format_exception_only(type(exc), exc)[-1].strip()}"


class Lifecycle:
    """The hooks `new()`'s object has (a bare `handle` has none)."""

    def __init__(self, instance: Any) -> None:
        self.on_start = _hook(instance, "start")
        self.on_stop = _hook(instance, "stop")
        self.alive = _hook(instance, "alive")
        self.ready = _hook(instance, "ready")
        self.started = False

    def start(self) -> None:
        """Calls `start(cfg)` once in this process; StartFailed if it raises."""
        if self.on_start is None or self.started:
            return
        try:
            self.on_start(os.environ.copy())
        except Exception as exc:  # noqa: BLE001 - reported as the process's start-up failure
            raise StartFailed(
                f"error: the function's start(cfg) failed: {_raised('start(cfg)', exc)}\n{user_traceback(exc)}".rstrip()
            ) from None
        self.started = True

    def stop(self) -> None:
        """Calls `stop()` in this process once, if it started; an exception is logged."""
        hook, self.on_stop = self.on_stop, None
        if hook is None or (self.on_start is not None and not self.started):
            return
        try:
            hook()
        except Exception as exc:  # noqa: BLE001
            runtimelog.error(f"error: the function's stop() failed: {_raised('stop()', exc)}\n{user_traceback(exc)}".rstrip(), call=None)

    def check(self, which: str) -> tuple[bool, str]:
        """`alive()` or `ready()`: (ok, message). An exception is not ok, and logged."""
        hook = self.alive if which == "alive" else self.ready
        if hook is None:
            return True, ""
        try:
            result = hook()
        except Exception as exc:  # noqa: BLE001
            reason = _raised(f"{which}()", exc)
            runtimelog.error(f"error: the function's {reason}", call=None)
            return False, reason
        if isinstance(result, tuple) and len(result) == 2:
            ok, message = result
            return bool(ok), str(message)
        return bool(result), ""


class ProbeApp:
    """The worker's ASGI app with func-python's probe paths, and (`hooks`: worker isolation) the hooks' say."""

    def __init__(self, app: Any, lifecycle: Lifecycle, hooks: bool) -> None:
        self.app = app
        self.lifecycle = lifecycle if hooks and (lifecycle.alive or lifecycle.ready) else None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and (scope["method"] == "GET" or scope["method"] == "HEAD"):
            path = _ALIASES.get(scope["path"], scope["path"])
            if path == "/healthz" or path == "/readyz":
                if self.lifecycle is not None:
                    ok, message = self.lifecycle.check("alive" if path == "/healthz" else "ready")
                    if not ok:
                        text = f"Not {'Alive' if path == '/healthz' else 'Ready'}: {message or self._false(path)}"
                        await self.app._send(send, 503, [TEXT_PLAIN], text.encode("utf-8", "replace"), self._cors(scope))
                        return
                if path is not scope["path"]:
                    scope = {**scope, "path": path}
        await self.app(scope, receive, send)

    @staticmethod
    def _false(path: str) -> str:
        return "alive() returned false" if path == "/healthz" else "ready() returned false"

    def _cors(self, scope: Any) -> Any:
        app = self.app
        if not app.cors_on:
            return None
        if app.cors_any:
            return CORS_ANY
        origin = dict(scope["headers"]).get(b"origin")
        return allow(app.cors_origins, origin) if origin is not None else None
