"""One worker process: uvicorn (stack.py: uvloop + httptools) serving the function app on the inherited socket.

A worker is forked from the supervisor, which has already imported the function and bound the
socket, so it is serving within milliseconds. It talks to the supervisor over a control socket
(a SOCK_SEQPACKET pair, one message per record): a heartbeat byte from its event loop every
`HEARTBEAT_INTERVAL` seconds (silence means the loop is frozen), `REPLACE_ME` when a timed-out
thread cannot be stopped (`worker` isolation), `SERVED` once its first call was answered, and, in
`call` isolation, `EXECUTOR` with a socket attached: "fork an executor on this" (and `EXECUTOR_FAILED` when one
died before it was ready: a start-up failure). The supervisor
answers `EXITED pid code` when one of its executors has ended. Shutdown is uvicorn's own:
on SIGTERM it stops accepting, lets calls in flight finish for up to FUNC_GRACE_PERIOD, closes
idle connections and returns; the worker then leaves with `os._exit`, because interpreter exit
would join the thread pool and wait forever for a thread stuck in C.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import socket
import sys
import traceback
from typing import Any, NoReturn

import uvicorn

from . import runtimelog
from .accesslog import AccessLog, JsonAccessLog
from .app import FunctionApp
from .executor_pool import ExecutorPool
from .inflight import InFlight
from .invoker import Deadlines, Invoker
from .leave import leave
from .loader import LoadedFunction
from .metrics import Metrics
from .protocol import protocol_class
from .readiness import EXECUTOR as WAIT_EXECUTOR, LISTENING, Readiness
from .remote import RemoteCaller
from .settings import Settings
from .signatures.lifecycle import ProbeApp, StartFailed
from .stack import detect

HEARTBEAT_INTERVAL = 0.5
HEARTBEAT = b"."
REPLACE_ME = b"R"
SERVED = b"S"
EXECUTOR = b"X"
EXITED = b"E"
EXECUTOR_FAILED = b"F"

_PR_SET_PDEATHSIG = 1
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
_stop_requested: list[int] = []


def _remember_stop(signum: int, frame: object) -> None:
    _stop_requested.append(signum)


class _DropExpectedCut(logging.Filter):
    """A response cut at the deadline is intended (CONTRACT §5); the app logs it with its event id."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("ASGI callable returned without completing response")


def _configure_uvicorn_logging() -> None:
    handler: logging.Handler
    if runtimelog.is_json():  # the runtime's own records, not the function's (capture.py)
        handler = runtimelog.RuntimeHandler("uvicorn")
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("uvicorn %(levelname)s: %(message)s"))
    handler.addFilter(_DropExpectedCut())
    logger = logging.getLogger("uvicorn")
    logger.handlers = [handler]
    logger.setLevel(logging.WARNING)
    logger.propagate = False


def _die_with_supervisor(supervisor_pid: int) -> None:
    """Ask Linux to kill this worker if the supervisor dies, so no orphan keeps the port."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the control socket's end still stops us
        pass
    if os.getppid() != supervisor_pid:  # it died before prctl took effect
        os._exit(1)


class _Control:
    """The worker's end of the control socket to the supervisor."""

    def __init__(self, sock: socket.socket, server: uvicorn.Server, metrics: Metrics) -> None:
        self.sock = sock
        self.server = server
        self.metrics = metrics
        self.pool: ExecutorPool | None = None
        self.asked_replacement = False
        self.served = False
        sock.setblocking(False)
        asyncio.get_running_loop().add_reader(sock.fileno(), self._readable)

    def write(self, data: bytes) -> None:
        try:
            self.sock.send(data)
        except BlockingIOError:  # the supervisor is behind on reading; it will catch up
            pass
        except OSError:  # the supervisor is gone: stop serving
            self.server.should_exit = True

    def request_executor(self, fd: int) -> None:
        """Ask the supervisor to fork an executor on `fd` (raises OSError when it cannot be asked)."""
        socket.send_fds(self.sock, [EXECUTOR], [fd])

    def _readable(self) -> None:
        while True:
            try:
                data = self.sock.recv(256)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:  # the supervisor is gone
                asyncio.get_running_loop().remove_reader(self.sock.fileno())
                self.server.should_exit = True
                return
            if data[:1] == EXITED and self.pool is not None:
                pid, code = data[1:].split()
                self.pool.exited(int(pid), int(code))

    def heartbeat(self) -> None:
        if _stop_requested and not self.server.should_exit:  # a signal met none of uvicorn's handlers
            self.server.should_exit = True
        self.metrics.publish()  # the other workers' scrapes see this worker's numbers at most a beat old
        if not self.served and any(m.calls for m in self.metrics.by_method.values()):
            self.served = True  # crashes from now on are the calls', not a start-up failure
            self.write(SERVED)
        self.write(HEARTBEAT)
        asyncio.get_running_loop().call_later(HEARTBEAT_INTERVAL, self.heartbeat)

    def ask_replacement(self) -> None:
        if self.asked_replacement:
            return
        self.asked_replacement = True
        runtimelog.error(
            f"error: worker {os.getpid()}: a timed-out call did not stop (blocked in C); "
            "a new worker takes over and this one drains and exits",
            call=None,
        )
        self.write(REPLACE_ME)


class _Server(uvicorn.Server):
    """uvicorn's server, telling the worker's readiness when it listens."""

    def __init__(self, config: uvicorn.Config, readiness: Readiness) -> None:
        super().__init__(config)
        self.readiness = readiness

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.readiness.done(LISTENING)


def run_worker(
    settings: Settings,
    loaded: LoadedFunction,
    sock: socket.socket,
    control: socket.socket,
    supervisor_pid: int,
    inflight: InFlight,
) -> NoReturn:
    """The body of a forked worker process. Never returns."""
    code = 1
    try:
        try:
            os.setpgid(0, 0)  # a terminal's Ctrl+C reaches the supervisor only; it forwards a SIGTERM
        except OSError:
            pass
        _die_with_supervisor(supervisor_pid)
        # Until uvicorn installs its own handlers, a stop signal is only remembered (the supervisor
        # blocked signals across the fork, so none is lost). uvicorn restores these handlers when
        # it returns and re-raises the signal it got: remembering it again is harmless.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _remember_stop)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        # The supervisor blocked these across the fork; a function's subprocesses need SIGCHLD too.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS | {signal.SIGCHLD, signal.SIGUSR1})
        _configure_uvicorn_logging()
        loop = detect().new_event_loop()  # uvloop, else asyncio's
        asyncio.set_event_loop(loop)
        code = loop.run_until_complete(_serve(settings, loaded, sock, control, inflight))
    except BaseException:  # noqa: BLE001 - whatever happens, report it and leave through os._exit
        runtimelog.error(traceback.format_exc(), call=None)
    finally:
        leave(code)


async def _serve(
    settings: Settings, loaded: LoadedFunction, sock: socket.socket, control_sock: socket.socket,
    inflight: InFlight,
) -> int:
    json_logs = settings.log_format == "json"
    access_log = (JsonAccessLog() if json_logs else AccessLog()) if settings.access_log else None
    config = uvicorn.Config(
        app=lambda scope, receive, send: None,  # replaced below, once the server exists
        # httptools (else h11) with the header size/time limits and the 501 of the contract (protocol.py)
        http=protocol_class(settings.max_header_size, settings.header_timeout, access_log,
                            settings.cors_origins == {"*"}, detect().parser),
        ws="none",
        lifespan="off",
        interface="asgi3",
        log_config=None,
        access_log=False,  # ours is written by the app, in Apache combined format
        proxy_headers=False,
        timeout_graceful_shutdown=settings.grace_period,  # type: ignore[arg-type]
    )
    metrics = Metrics()
    call_isolation = settings.isolation_for(loaded.is_async) == "call"
    # Ready once listening, and in call isolation once an executor is (when one is kept ready).
    waiting = {LISTENING, WAIT_EXECUTOR} if call_isolation and settings.executors_min > 0 else {LISTENING}
    readiness = Readiness(settings.max_inflight, waiting, metrics.started_up)
    server = _Server(config, readiness)
    control = _Control(control_sock, server, metrics)
    pool: ExecutorPool | None = None
    app: Any
    if call_isolation:
        # Calls run in executor processes: no thread pool here, nothing to interrupt or get stuck.
        pool = control.pool = ExecutorPool(
            settings, control.request_executor, lambda: control.write(EXECUTOR_FAILED),
            on_ready=lambda: readiness.done(WAIT_EXECUTOR),
        )
        app = FunctionApp(settings, loaded, None, metrics, access_log, readiness)
        app.remote = RemoteCaller(app, pool, Deadlines())
        pool.start()
    else:
        invoker = Invoker(
            settings.threads, on_stuck=control.ask_replacement, queued=metrics.queue.observe, copy_context=json_logs
        )
        app = FunctionApp(settings, loaded, invoker, metrics, access_log, readiness)
    app.inflight = inflight
    config.app = app
    lifecycle = getattr(loaded.adapter, "lifecycle", None)  # FUNC_SIGNATURE=knative: the function object's hooks
    if lifecycle is not None:
        config.app = ProbeApp(app, lifecycle, hooks=not call_isolation)
        if not call_isolation:  # in call isolation each executor starts and stops its own (executor.py)
            try:
                lifecycle.start()
            except StartFailed as exc:
                runtimelog.error(exc.line, call=None)
                return 1
    control.heartbeat()
    if _stop_requested:  # told to stop before uvicorn was listening for it
        server.should_exit = True
    try:
        await server.serve(sockets=[sock])
    finally:
        if pool is not None:
            pool.stop()
        if lifecycle is not None and not call_isolation:
            lifecycle.stop()
        metrics.publish()
        if access_log is not None:
            access_log.flush()
    # Leave now rather than unwinding the loop: tearing it down would wait on async generators
    # and threads of calls that are past their deadline. run_worker flushes and calls os._exit.
    return 0
