"""Helpers for the runtime's own unit tests: real runtime processes on loopback ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Runtime:
    """A runtime started with the CLI, its output in files."""

    def __init__(self, tmp: Path, source: str, handler: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stdout_path = tmp / f"stdout-{self.port}.log"
        self.stderr_path = tmp / f"stderr-{self.port}.log"
        # The runtime's temporary folders (its metrics folder) go under pytest's: a case that kills
        # the supervisor with SIGKILL leaves them behind, and pytest removes them in time.
        (tmp / "tmp").mkdir(exist_ok=True)
        full_env = {**os.environ, "TMPDIR": str(tmp / "tmp"), **(env or {})}
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "kubeless_runtime", "--from-file", source, "--handler", handler,
                 "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=out, stderr=err, env=full_env,
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"runtime exited {self.process.returncode}: {self.stderr()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError(f"runtime not ready: {self.stderr()}")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator:
    started: list[Runtime] = []

    def start(source: str, handler: str, **env: str) -> Runtime:
        rt = Runtime(tmp_path, source, handler, env)
        started.append(rt)
        return rt

    yield start
    for rt in started:
        rt.stop()


@pytest.fixture
def functions(tmp_path: Path):
    """Write a function module into tmp_path and return its path."""

    def write(name: str, source: str) -> str:
        path = tmp_path / f"{name}.py"
        path.write_text(source)
        return str(path)

    return write
