"""Finding and importing the user's function, once, before the port opens (CONTRACT §1.3).

The module is imported in the supervisor, so every worker forked from it starts with the
function's globals (a model, a client) already built. Whatever goes wrong raises `LoadError`,
carrying the exit code and the one-line reason the CLI prints.
"""

from __future__ import annotations

import atexit
import importlib.util
import inspect
import os
import shutil
import site
import sys
import tempfile
import traceback
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .settings import Settings
from .tracebacks import user_traceback


class LoadError(Exception):
    """The function cannot be served. `details` is a traceback to print after the one-line reason."""

    def __init__(self, reason: str, exit_code: int = 1, details: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.exit_code = exit_code
        self.details = details


@dataclass(frozen=True, slots=True)
class LoadedFunction:
    """The user's callable and what the runtime needs to know about how to call it."""

    function: Callable[..., Any]
    file: str
    is_async: bool  # `async def` (or a callable whose __call__ is): runs on the event loop
    is_async_gen: bool  # `async def` with `yield`: its call returns an async generator at once
    adapter: Any = None  # FUNC_SIGNATURE's adapter (signatures/), None for the contract's own `kubeless`


def preload_runtime_modules() -> None:
    """Import everything the workers will import, so the shadowing check below sees it all.

    uvicorn picks its protocol, loop and lifespan classes by import string when a server starts;
    a user module called `httptools` or `uvloop` (or `h11` when it is used instead) must be refused
    now, not break a worker later. Which of them the workers use is decided here (stack.py), before
    the function's folder is on sys.path.
    """
    from . import app, supervisor, worker  # noqa: F401 - starlette, bottle, prometheus-client, ...
    from .signatures import aws_lambda, fission, gcf, gcf_aio, knative, lifecycle, openfaas, openwhisk  # noqa: F401 - and what the adapters import
    from .stack import detect
    import uvicorn.lifespan.off  # noqa: F401

    stack = detect()  # imports uvloop and httptools when they are there
    if stack.httptools:
        from . import protocol_httptools  # noqa: F401 - uvicorn's httptools_impl
    else:
        from . import protocol_h11  # noqa: F401 - h11, uvicorn's h11_impl


def _add_install_volume(volume: str) -> None:
    """Put the install phase's packages ahead of the image's own, as PYTHONPATH did in Kubeless."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site_packages = os.path.join(volume, "lib", version, "site-packages")
    before = list(sys.path)
    # addsitedir also runs the .pth files pip may have written (namespace packages and the like).
    site.addsitedir(site_packages)
    added = [p for p in sys.path if p not in before]
    for path in added:
        sys.path.remove(path)
    for index, path in enumerate([site_packages, *[p for p in added if p != site_packages], volume]):
        if path in sys.path:
            sys.path.remove(path)
        sys.path.insert(index, path)


def _unpack_zip(path: str) -> str:
    """Unpack a zip into a private folder, removed again when the supervisor exits."""
    if not zipfile.is_zipfile(path):
        raise LoadError(f"{path} is not a zip archive")
    folder = tempfile.mkdtemp(prefix="kubeless-function-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                target = os.path.realpath(os.path.join(folder, member))
                if not target.startswith(os.path.realpath(folder) + os.sep) and target != os.path.realpath(folder):
                    raise LoadError(f"{path} holds an entry outside the archive's folder: {member!r}")
            archive.extractall(folder)
    except (zipfile.BadZipFile, OSError) as exc:
        raise LoadError(f"{path} cannot be unpacked: {exc}") from None
    return folder


def _module_file(settings: Settings) -> tuple[str, str]:
    """Resolve the source (file, zip or folder) to the module's file and the folder to import from."""
    source, module = settings.source, settings.module_name
    if not os.path.exists(source):
        raise LoadError(f"{source} does not exist")
    if os.path.isfile(source) and (source.endswith(".zip") or zipfile.is_zipfile(source)):
        source = _unpack_zip(source)
    if os.path.isdir(source):
        for candidate in (os.path.join(source, module + ".py"), os.path.join(source, module, "__init__.py")):
            if os.path.isfile(candidate):
                return candidate, source
        raise LoadError(f"no module {module}.py in {settings.source}")
    return source, os.path.dirname(source)


def _is_async_callable(function: Callable[..., Any]) -> bool:
    while hasattr(function, "func") and hasattr(function, "args"):  # functools.partial
        function = function.func  # type: ignore[attr-defined]
    if inspect.iscoroutinefunction(function):
        return True
    call = getattr(function, "__call__", None)
    return not inspect.isfunction(function) and inspect.iscoroutinefunction(call)


def load_function(settings: Settings) -> LoadedFunction:
    """Import the module under the handler's module name and return its function."""
    preload_runtime_modules()
    name = settings.module_name
    if name in sys.modules:
        raise LoadError(
            f"the module name {name!r} would shadow the module {name!r} the runtime itself uses; rename the function's module"
        )

    file, folder = _module_file(settings)
    if settings.install_volume:
        _add_install_volume(settings.install_volume)
    # The function's folder comes first, so helper modules beside it import normally.
    if folder in sys.path:
        sys.path.remove(folder)
    sys.path.insert(0, folder)
    from .signatures import before_import, import_error

    before_import(settings)  # under gcf: the functions_framework shim, when the real package is absent

    is_package = os.path.basename(file) == "__init__.py"
    spec = importlib.util.spec_from_file_location(
        name, file, submodule_search_locations=[os.path.dirname(file)] if is_package else None
    )
    if spec is None or spec.loader is None:
        raise LoadError(f"{file} is not a Python source file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # a SystemExit or KeyboardInterrupt at import time is a load error too
        sys.modules.pop(name, None)
        missing = import_error(settings, exc)  # gcf / fission without Flask: say what to add
        if missing is not None:
            raise LoadError(missing) from None
        summary = traceback.format_exception_only(type(exc), exc)[-1].strip()
        raise LoadError(f"importing the module raised {summary}", details=user_traceback(exc)) from None

    try:
        function = getattr(module, settings.function_name)
    except AttributeError:
        raise LoadError(f"the module has no function named {settings.function_name!r}") from None
    if not callable(function):
        raise LoadError(f"{settings.function_name!r} is not callable (it is of type {type(function).__name__})")
    from .signatures import SignatureError, adapter_for

    try:
        adapter = adapter_for(settings, function)
    except SignatureError as exc:
        raise LoadError(str(exc)) from None
    function = getattr(adapter, "entry", function)  # what an adapter calls instead (knative: the ASGI handle)
    return LoadedFunction(
        function=function,
        file=file,
        is_async=_is_async_callable(function),
        is_async_gen=inspect.isasyncgenfunction(function),
        adapter=adapter,
    )
