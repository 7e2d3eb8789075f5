"""The supervisor: owns the listening socket, forks the workers and replaces the ones that fail.

It is what keeps the runtime answering when a call cannot be stopped (CONTRACT §5 "Timeouts"):
- a worker whose timed-out thread is stuck in C asks to be replaced: a fresh worker is forked
  (milliseconds, the module is already imported) and accepts on the same socket, while the old
  one gets SIGTERM, drains its calls in flight and exits;
- a worker whose event loop is frozen stops sending heartbeats: after FUNC_TIMEOUT + 2 s it is
  killed and replaced;
- a worker that dies for any other reason is replaced.

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

from .loader import LoadedFunction
from .metrics_dir import worker_ended
from .settings import Settings
from .worker import REPLACE_ME, STOP_SIGNALS, run_worker

HEARTBEAT_SLACK = 2.0  # seconds of silence beyond FUNC_TIMEOUT before a worker counts as frozen
SHUTDOWN_MARGIN = 5.0  # seconds beyond the grace period before draining workers are killed
TICK = 0.25
FAST_FAILURES_LIMIT = 5  # workers dying at start this many times in a row: give up


@dataclass(slots=True)
class _Worker:
    pid: int
    fd: int
    started: float
    last_beat: float
    retiring: bool = False
    kill_at: float | None = None
    eof: bool = False


def _log(message: str) -> None:
    sys.stderr.write(f"kubeless-runtime: {message}\n")


class Supervisor:
    def __init__(self, settings: Settings, loaded: LoadedFunction, sock: socket.socket) -> None:
        self.settings = settings
        self.loaded = loaded
        self.sock: socket.socket | None = sock
        self.workers: dict[int, _Worker] = {}
        self.signals: list[int] = []
        self.shutting_down = False
        self.shutdown_deadline = 0.0
        self.fast_failures = 0
        self.exit_code = 0
        self.frozen_after = settings.timeout + HEARTBEAT_SLACK

    # -- signals ---------------------------------------------------------------------------------

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.signals.append(signum)

    def _handle_signals(self) -> bool:
        """Act on pending signals; False when the supervisor must exit at once."""
        while self.signals:
            signum = self.signals.pop(0)
            if not self.shutting_down:
                self._begin_shutdown(signum)
            else:
                _log(f"second {signal.Signals(signum).name}: killing the workers and exiting now")
                for worker in self.workers.values():
                    self._kill(worker.pid, signal.SIGKILL)
                self.exit_code = 128 + signum
                return False
        return True

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

    def _spawn(self) -> None:
        assert self.sock is not None
        read_fd, write_fd = os.pipe()
        supervisor_pid = os.getpid()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        # A stop signal must not reach the child before it has its own handlers (it would run
        # ours, in the wrong process): block them across the fork; the worker unblocks them.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        pid = -1
        try:
            pid = os.fork()
        finally:
            if pid != 0:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        if pid == 0:  # the worker
            signal.set_wakeup_fd(-1)
            os.close(read_fd)
            os.close(self._wake_read)
            os.close(self._wake_write)
            for worker in self.workers.values():
                os.close(worker.fd)
            run_worker(self.settings, self.loaded, self.sock, write_fd, supervisor_pid)
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        now = time.monotonic()
        self.workers[pid] = _Worker(pid=pid, fd=read_fd, started=now, last_beat=now)

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
        _log(f"worker {worker.pid} {reason}; replacing it")
        if not self.shutting_down:
            self._spawn()
        self._kill(worker.pid, signal.SIGTERM)

    def _read(self, worker: _Worker) -> None:
        try:
            data = os.read(worker.fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the worker closed its end: it is exiting; the reaper does the rest
            worker.eof = True
            return
        # Any byte is a heartbeat (HEARTBEAT is what the loop sends); REPLACE_ME also asks for a successor.
        worker.last_beat = time.monotonic()
        if REPLACE_ME in data and not worker.retiring:
            self._retire(worker, "has a call stuck past its deadline")

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            worker = self.workers.pop(pid, None)
            if worker is None:
                continue
            os.close(worker.fd)
            worker_ended(pid)
            if worker.retiring or self.shutting_down:
                continue
            code = os.waitstatus_to_exitcode(status)
            lived = time.monotonic() - worker.started
            _log(f"worker {pid} exited unexpectedly (exit code {code}); starting another")
            self.fast_failures = self.fast_failures + 1 if lived < 1.0 else 0
            if self.fast_failures >= FAST_FAILURES_LIMIT:
                _log(f"workers keep failing at start ({self.fast_failures} in a row): giving up")
                self.exit_code = 1
                self.signals.append(signal.SIGTERM)
                continue
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
            for worker in self.workers.values():
                self._kill(worker.pid, signal.SIGKILL)

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
            fds = [self._wake_read, *(w.fd for w in self.workers.values() if not w.eof)]
            try:
                readable, _, _ = select.select(fds, [], [], TICK)
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
                if worker.fd in readable:
                    self._read(worker)
            self._reap()
            self._check_timers()
            if self.shutting_down and not self.workers:
                return self.exit_code
