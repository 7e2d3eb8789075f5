"""The supervisor: owns the listening socket, forks the workers and replaces the ones that fail.

It is what keeps the runtime answering when a call cannot be stopped (CONTRACT §5 "Timeouts"):
- a worker whose timed-out thread is stuck in C asks to be replaced: a fresh worker is forked
  (milliseconds, the module is already imported) and accepts on the same socket, while the old
  one gets SIGTERM, drains its calls in flight and exits;
- a worker whose event loop is frozen stops sending heartbeats: after FUNC_TIMEOUT + 2 s it is
  killed and replaced;
- a worker that dies for any other reason is replaced;
- in `call` isolation it is also the workers' forkserver: a worker sends it one end of a
  socketpair and it forks an executor on it (CONTRACT §5), then reports the executor's exit
  status to that worker, since only a parent can wait for a child.

A worker or executor that dies before the runtime served its first call is restarted with
back-off (100 ms doubling, at most 2 s); after 5 such failures in a row the runtime exits 1.
Crashes after the first call was served never make it exit.

On SIGTERM/SIGINT (CONTRACT §8) the supervisor closes its copy of the socket at once, forwards
SIGTERM to the workers, waits for them (bounded by the grace period plus a margin) and exits 0;
a second signal kills the workers and exits at once.

It is a plain `select` loop over the workers' pipes and a signal wake-up pipe: single-threaded,
so forking from it is safe.
"""

from __future__ import annotations

import errno
import gc
import os
import select
import signal
import socket
import sys
import time
from dataclasses import dataclass
from types import FrameType

from . import capture, runtimelog
from .loader import LoadedFunction
from .metrics_dir import worker_ended
from .settings import Settings
from .executor import run_executor
from .executor_pool import describe_exit
from .inflight import InFlight
from .logformat import INFO, WARN
from .tracecontext import Trace
from .worker import EXECUTOR, EXECUTOR_FAILED, EXITED, REPLACE_ME, SERVED, STOP_SIGNALS, run_worker

HEARTBEAT_SLACK = 2.0  # seconds of silence beyond FUNC_TIMEOUT before a worker counts as frozen
SHUTDOWN_MARGIN = 0.75  # seconds beyond the grace period before draining workers are killed
TICK = 0.25
FAST_FAILURES_LIMIT = 5  # workers or executors dying at start this many times in a row: give up
FAST = 1.0  # seconds: a worker or executor that dies younger than this failed at start
BACKOFF_FIRST, BACKOFF_MAX = 0.1, 2.0
FORK_SIGNALS = STOP_SIGNALS | {signal.SIGCHLD, signal.SIGUSR1}


@dataclass(slots=True)
class _Worker:
    pid: int
    control: socket.socket
    inflight: InFlight
    started: float
    last_beat: float
    retiring: bool = False
    kill_at: float | None = None
    eof: bool = False


def _log(message: str, severity: tuple[str, int] = INFO) -> None:
    runtimelog.notice(message, severity)


class Supervisor:
    def __init__(self, settings: Settings, loaded: LoadedFunction, sock: socket.socket) -> None:
        self.settings = settings
        self.loaded = loaded
        self.sock: socket.socket | None = sock
        self.workers: dict[int, _Worker] = {}
        self.signals: list[int] = []
        self.shutting_down = False
        self.first_signal: tuple[int, float] = (0, 0.0)
        self.shutdown_deadline = 0.0
        self.fast_failures = 0
        self.served = False  # a worker said it answered a call: later crashes are the calls'
        self.backoff = 0.0
        self.respawn_at: list[float] = []
        self.executors: dict[int, tuple[int, float]] = {}  # pid → (its worker's pid, start time)
        self.exit_code = 0
        self.lost_metrics = None  # a Metrics, made when a worker first dies with calls in flight
        self.frozen_after = settings.timeout + HEARTBEAT_SLACK

    # -- signals ---------------------------------------------------------------------------------

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.signals.append(signum)

    def _handle_signals(self) -> bool:
        """Act on pending signals; False when the supervisor must exit at once."""
        while self.signals:
            signum = self.signals.pop(0)
            if not self.shutting_down:
                self.first_signal = (signum, time.monotonic())
                self._begin_shutdown(signum)
                continue
            first, at = self.first_signal
            if signum == signal.SIGTERM and first == signal.SIGTERM and time.monotonic() - at < 1.0:
                continue  # tooling signals the process and its group: the same stop, twice
            _log(f"second {signal.Signals(signum).name}: killing the workers and exiting now")
            self._kill_all()
            self.exit_code = 1
            return False
        return True

    def _kill_all(self) -> None:
        for pid in [*self.workers, *self.executors]:
            self._kill(pid, signal.SIGKILL)

    def _begin_shutdown(self, signum: int) -> None:
        self.shutting_down = True
        self.shutdown_deadline = time.monotonic() + self.settings.grace_period + SHUTDOWN_MARGIN
        if self.sock is not None:  # our copy; the workers close theirs as they begin to drain
            self.sock.close()
            self.sock = None
        _log(
            f"{signal.Signals(signum).name}: draining calls in flight "
            f"(up to {self.settings.grace_period:g} s), then exiting"
        )
        for worker in self.workers.values():
            self._kill(worker.pid, signal.SIGTERM)

    # -- workers ---------------------------------------------------------------------------------

    def _fork(self) -> int:
        """fork(), from this single-threaded process; in the child, nothing of the supervisor's stays open.

        A signal must not reach the child before it has its own handlers (it would run ours, in
        the wrong process): they are blocked across the fork, and the child unblocks them.
        """
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        capture.flush_outside()  # a partial line the module printed is written once, not once per child
        signal.pthread_sigmask(signal.SIG_BLOCK, FORK_SIGNALS)
        pid = -1
        try:
            pid = os.fork()
        finally:
            if pid != 0:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, FORK_SIGNALS)
        if pid == 0:
            signal.set_wakeup_fd(-1)
            os.close(self._wake_read)
            os.close(self._wake_write)
            for worker in self.workers.values():
                worker.control.close()
        return pid

    def _spawn(self) -> None:
        assert self.sock is not None
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        supervisor_pid = os.getpid()
        inflight = InFlight(with_trace=runtimelog.is_json())
        pid = self._fork()
        if pid == 0:  # the worker
            ours.close()
            run_worker(self.settings, self.loaded, self.sock, theirs, supervisor_pid, inflight)
        theirs.close()
        ours.setblocking(False)
        now = time.monotonic()
        self.workers[pid] = _Worker(pid=pid, control=ours, inflight=inflight, started=now, last_beat=now)

    def _spawn_executor(self, worker: _Worker, fd: int) -> None:
        """Fork an executor for `worker` on the socket it sent (CONTRACT §5, `call` isolation)."""
        supervisor_pid = os.getpid()
        pid = self._fork()
        if pid == 0:  # the executor
            if self.sock is not None:
                self.sock.close()
            run_executor(fd, self.loaded, self.settings, supervisor_pid)
        os.close(fd)
        self.executors[pid] = (worker.pid, time.monotonic())

    def _count_lost(self, lost: list[tuple[str, str]]) -> None:
        """Calls lost with a dead worker count as calls and failures (a worker counts a call when it ends).

        The supervisor counts them in prometheus-client's multiprocess files under its own pid, so
        every worker's scrape adds them in. Imported here, not at the top: the supervisor needs the
        metrics only once a worker has died with calls in flight.
        """
        from prometheus_client import CollectorRegistry

        from .metrics import Metrics

        if self.lost_metrics is None:
            self.lost_metrics = Metrics(registry=CollectorRegistry())
        for method, _, _ in lost:
            numbers = self.lost_metrics.for_method(method)
            numbers.calls += 1
            numbers.failures += 1
        self.lost_metrics.publish()

    @staticmethod
    def _kill(pid: int, signum: int) -> None:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    def _retire(self, worker: _Worker, reason: str) -> None:
        """Fork a successor first, then let the old worker drain and exit."""
        worker.retiring = True
        worker.kill_at = time.monotonic() + self.settings.grace_period + SHUTDOWN_MARGIN
        _log(f"worker {worker.pid} {reason}; replacing it", WARN)
        if not self.shutting_down:
            self._spawn()
        self._kill(worker.pid, signal.SIGTERM)

    def _read(self, worker: _Worker) -> None:
        for _ in range(64):  # one message per record; come back later for more
            try:
                data, fds, _flags, _address = socket.recv_fds(worker.control, 64, 1)
            except BlockingIOError:
                return
            except OSError:
                data, fds = b"", []
            if not data:  # the worker closed its end: it is exiting; the reaper does the rest
                worker.eof = True
                return
            # Any message is a heartbeat too (HEARTBEAT is what the loop sends every half second).
            worker.last_beat = time.monotonic()
            if data == EXECUTOR and fds:
                self._spawn_executor(worker, fds[0])
                continue
            for fd in fds:
                os.close(fd)
            if data == SERVED:
                self.served = True
                self.fast_failures = 0
            elif data == EXECUTOR_FAILED:
                self._failed_at_start("executors", 0.0)
            elif data == REPLACE_ME and not worker.retiring:
                self._retire(worker, "has a call stuck past its deadline")

    def _failed_at_start(self, what: str, lived: float) -> bool:
        """Count a death before the first call served; True when the runtime must give up."""
        if self.served or lived >= FAST:
            self.fast_failures = 0
            self.backoff = 0.0
            return False
        self.fast_failures += 1
        if self.fast_failures >= FAST_FAILURES_LIMIT:
            runtimelog.error(f"error: {what} keep failing at start ({self.fast_failures} in a row): giving up", call=None)
            self.exit_code = 1
            self.signals.append(signal.SIGTERM)
            return True
        return False

    def _executor_ended(self, pid: int, status: int) -> None:
        """Tell its worker; a crash in a call is that call's (the worker reports start-up failures)."""
        owner_pid, _ = self.executors.pop(pid)
        code = os.waitstatus_to_exitcode(status)
        worker = self.workers.get(owner_pid)
        if worker is not None:
            try:
                worker.control.send(EXITED + f"{pid} {code}".encode())
            except OSError:  # its worker is gone or not reading: nobody is waiting for this
                pass

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.executors:
                self._executor_ended(pid, status)
                continue
            worker = self.workers.pop(pid, None)
            if worker is None:
                continue
            worker.control.close()
            lost = worker.inflight.lost()
            worker.inflight.close()
            worker_ended(pid)
            code = os.waitstatus_to_exitcode(status)
            if lost:
                how = describe_exit(code)
                if runtimelog.is_json():  # one record per call, with its ids
                    for _, event_id, ids in lost:
                        call = capture.CallLog(event_id, Trace(ids[0], ids[1], None, ids[2], None)) if ids else None
                        runtimelog.error(f"error: event-id={event_id}: the call was lost: its worker died ({how})", call)
                else:
                    sys.stderr.write("".join(
                        f"error: event-id={event_id}: the call was lost: its worker died ({how})\n" for _, event_id, _ in lost
                    ))
                self._count_lost(lost)
            for executor, (owner, _) in self.executors.items():  # one stuck in C would not see its socket close
                if owner == pid:
                    self._kill(executor, signal.SIGKILL)
            if worker.retiring or self.shutting_down:
                continue
            lived = time.monotonic() - worker.started
            _log(f"worker {pid} exited unexpectedly (exit code {code}); starting another", WARN)
            if self._failed_at_start("workers", lived):
                continue
            if self.fast_failures:
                self.backoff = min(BACKOFF_MAX, self.backoff * 2 if self.backoff else BACKOFF_FIRST)
                self.respawn_at.append(time.monotonic() + self.backoff)
            else:
                self._spawn()

    def _check_timers(self) -> None:
        now = time.monotonic()
        for worker in list(self.workers.values()):
            if worker.kill_at is not None:
                if now >= worker.kill_at:
                    self._kill(worker.pid, signal.SIGKILL)
            elif not self.shutting_down and now - worker.last_beat > self.frozen_after:
                self._retire(worker, f"sent no heartbeat for {now - worker.last_beat:.1f} s (its event loop is blocked)")
                worker.kill_at = now
                self._kill(worker.pid, signal.SIGKILL)
        if self.shutting_down and now >= self.shutdown_deadline:
            self._kill_all()
        due = [at for at in self.respawn_at if at <= now]
        if due and not self.shutting_down:
            self.respawn_at = [at for at in self.respawn_at if at > now]
            for _ in due:
                self._spawn()

    # -- main loop -------------------------------------------------------------------------------

    def run(self) -> int:
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        signal.set_wakeup_fd(self._wake_write)
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the select through the wake-up fd

        # Everything imported so far (the function's module and its globals included) lives as
        # long as the process: keep it out of the collector's sight, so a worker's collections
        # only walk what it allocates itself and do not touch (and un-share) the inherited pages.
        gc.freeze()
        for _ in range(self.settings.workers):
            self._spawn()

        while True:
            fds = [self._wake_read, *(w.control.fileno() for w in self.workers.values() if not w.eof)]
            tick = TICK
            if self.respawn_at:
                tick = max(0.0, min(TICK, min(self.respawn_at) - time.monotonic()))
            try:
                readable, _, _ = select.select(fds, [], [], tick)
            except OSError as exc:  # a worker's fd closed under us: look again
                if exc.errno != errno.EBADF:
                    raise
                readable = []
            if self._wake_read in readable:
                try:
                    while os.read(self._wake_read, 512):
                        pass
                except BlockingIOError:
                    pass
            if not self._handle_signals():
                return self.exit_code
            for worker in list(self.workers.values()):
                if not worker.eof and worker.control.fileno() in readable:
                    self._read(worker)
            self._reap()
            self._check_timers()
            if self.shutting_down and not self.workers:
                self._kill_all()  # executors left by the workers (they also die with us: PDEATHSIG)
                return self.exit_code
