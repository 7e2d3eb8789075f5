"""The command line: settings, loading the function, binding the socket, then the supervisor.

Each start-up failure ends here with one line on stderr and the exit code CONTRACT §1.3 gives it:
2 for bad flags or settings, 1 for everything about the function itself (and for a port that
cannot be bound). With `FUNC_LOG_FORMAT=json` everything after the settings, these lines included,
is a JSON record on stdout instead (runtimelog.py, capture.py); a settings error stays a plain line.
"""

from __future__ import annotations

import io
import os
import socket
import sys
from collections.abc import Sequence

from . import runtimelog
from .readiness import remember_process_start
from .settings import Settings, SettingsError, UsageExit, load_settings

BACKLOG = 2048


def unbuffer_stdio() -> None:
    """Make the function's prints reach stdout/stderr as they happen, as PYTHONUNBUFFERED would.

    Line buffering is not enough (a `print(..., end="")` would wait), so the streams are rebuilt
    over the raw file descriptors with write-through, which is what `python -u` does.
    """
    for name, fd in (("stdout", 1), ("stderr", 2)):
        stream = getattr(sys, name)
        if stream is None or not isinstance(getattr(stream, "buffer", None), io.BufferedWriter):
            continue  # already unbuffered (python -u), or replaced by someone who knows better
        try:
            stream.flush()
            raw = io.FileIO(fd, "w", closefd=False)
        except (OSError, ValueError):
            continue
        setattr(
            sys,
            name,
            io.TextIOWrapper(raw, encoding=stream.encoding, errors=stream.errors, write_through=True),
        )


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before any worker exists so that all of them share it."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except BaseException:
        sock.close()
        raise
    return sock


def _fail(settings: Settings | SettingsError | None, reason: str, details: str = "") -> None:
    handler = getattr(settings, "handler", None)
    source = getattr(settings, "source", None)
    if handler and source:
        line = f"error: cannot load handler {handler} from {source}: {reason}"
    else:
        line = f"error: {reason}"
    runtimelog.error(line + "\n" + details, call=None)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["manifest"]:  # a subcommand: the runtime's own flags are never positional
        from .manifest import main as manifest

        return manifest(args[1:])
    remember_process_start()  # function_startup_seconds counts from here (as the OS recorded it)
    unbuffer_stdio()
    try:
        settings = load_settings(args)
    except UsageExit:
        return 0
    except SettingsError as exc:
        _fail(exc, str(exc))
        return 2
    if settings.log_format == "json":
        from .capture import install

        runtimelog.use_json()
        install()  # before the module is imported: its top-level prints are records too

    # prometheus-client picks its multiprocess mode when it is imported: the directory comes first.
    from .metrics_dir import use_private_directory

    use_private_directory()

    from .loader import LoadError, load_function  # imports the server stack: only once we need it

    try:
        loaded = load_function(settings)
    except LoadError as exc:
        _fail(settings, exc.reason, exc.details)
        return exc.exit_code

    try:
        sock = bind(settings.host, settings.port)
    except OSError as exc:
        _fail(settings, f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}")
        return 1

    host, port = sock.getsockname()[:2]
    workers = f"{settings.workers} worker{'s' if settings.workers != 1 else ''}"
    if settings.isolation_for(loaded.is_async) == "call":
        model = f"call isolation: up to {settings.threads} executors each"
    else:
        model = f"worker isolation: {settings.threads} threads each"
    from .stack import detect

    fallback = detect().fallback_line()
    if fallback is not None:
        runtimelog.notice(fallback, runtimelog.logformat.WARN)
    runtimelog.notice(
        f"serving {settings.handler} from {loaded.file} on http://{host}:{port} "
        f"(pid {os.getpid()}, {workers}, {model}, timeout {settings.timeout:g} s)"
    )

    from .supervisor import Supervisor

    code = Supervisor(settings, loaded, sock).run()
    from .capture import flush_outside

    flush_outside()
    return code
