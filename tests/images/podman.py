"""Just enough podman for the image tests: run a container detached, watch it, stop it.

The conformance suite has its own launcher (tests/harness.py) that always adds `--init`; these
tests need what it hides: running without an init (the runtime as PID 1, as under Kubernetes),
`podman stop` itself, the install-phase command, and the image's metadata.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

PODMAN = os.environ.get("PODMAN", "podman")


def podman(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([PODMAN, *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def readable_by_anyone(folder: Path) -> Path:
    """The container's user (uid 1000) must read a folder the tests (root) made."""
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder


def image_config(image: str) -> dict:
    return json.loads(podman("image", "inspect", image).stdout)[0]


def run_to_exit(image: str, command: Sequence[str], env: Mapping[str, str] = {},
                volumes: Mapping[Path, str] = {}, extra: Sequence[str] = (),
                timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`podman run --rm` a one-off command (the install phase) and return how it ended."""
    args = ["run", "--rm", "--network", "host", *extra]
    for host, target in volumes.items():
        args += ["-v", f"{host}:{target}"]
    for key, value in env.items():
        args += ["-e", f"{key}={value}"]
    result = podman(*args, image, *command, timeout=timeout, check=False)
    if not result.stdout and not result.stderr:
        # podman 4.3 can lose the whole output of a container that exits within milliseconds
        # (seen once: the install phase's one-line error, exit 2, arrived as nothing). Every
        # command run here prints something, so a run that printed nothing is run once more.
        result = podman(*args, image, *command, timeout=timeout, check=False)
    return result


class Container:
    """A runtime container serving on a loopback port of this machine (`--network host`)."""

    def __init__(self, image: str, module: str, function: str, func_dir: Path,
                 env: Mapping[str, str] | None = None, volumes: Mapping[Path, str] | None = None,
                 init: bool = False, extra: Sequence[str] = ()) -> None:
        self.name = f"kubeless-image-test-{uuid.uuid4().hex[:12]}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = ["run", "-d", "--name", self.name, "--network", "host",
                "-v", f"{func_dir}:/kubeless:ro",
                "-e", f"MOD_NAME={module}", "-e", f"FUNC_HANDLER={function}",
                "-e", f"FUNC_PORT={self.port}", "-e", "FUNC_HOST=127.0.0.1"]
        if init:
            args.append("--init")
        for host, target in (volumes or {}).items():
            args += ["-v", f"{host}:{target}"]
        for key, value in (env or {}).items():
            args += ["-e", f"{key}={value}"]
        podman(*args, *extra, image)

    def logs(self) -> str:
        out = podman("logs", self.name, check=False)
        return out.stdout + out.stderr

    def state(self) -> dict:
        return json.loads(podman("inspect", self.name).stdout)[0]["State"]

    def wait_ready(self, timeout: float = 30) -> "Container":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if not self.state().get("Running"):
                break
            time.sleep(0.1)
        raise AssertionError(f"{self.name} is not ready after {timeout}s; its output:\n{self.logs()}")

    def stop(self, grace: float = 10) -> float:
        """`podman stop` (SIGTERM, SIGKILL after `grace` s); returns the seconds it took."""
        started = time.monotonic()
        podman("stop", "--time", str(int(grace)), self.name, timeout=grace + 30)
        return time.monotonic() - started

    def exit_code(self) -> int:
        return int(self.state()["ExitCode"])

    def remove(self) -> None:
        podman("rm", "--force", "--time", "0", self.name, check=False)
