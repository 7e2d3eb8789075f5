"""What each image is, beyond the contract the conformance suite checks: its user, its metadata,
what it leaves out, and that it serves from a read-only root."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from podman import Container, image_config, podman


def test_function_runs_as_uid_1000_on_a_read_only_root(image: str, func_dir: Path,
                                                       containers: list[Container]) -> None:
    # No --init and no --user: the image's own settings, as a Kubernetes pod would run it, with
    # readOnlyRootFilesystem (podman keeps a tmpfs on /tmp, as an emptyDir would be).
    server = Container(image, "imgtest", "whoami", func_dir, extra=["--read-only"])
    containers.append(server)
    server.wait_ready()
    answer = httpx.get(server.url, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"uid": 1000, "gid": 1000, "euid": 1000}
    # PID 1 is the runtime itself, as the same user.
    status = podman("exec", server.name, "cat", "/proc/1/status").stdout
    assert "\nUid:\t1000\t1000\t1000\t1000\n" in status, status


def test_function_runs_under_an_arbitrary_uid(image: str, func_dir: Path, containers: list[Container]) -> None:
    # OpenShift and `docker run --user $(id -u)` pick a uid the image has never heard of.
    server = Container(image, "imgtest", "whoami", func_dir, extra=["--user", "4321:4321", "--read-only"])
    containers.append(server)
    server.wait_ready()
    answer = httpx.get(server.url, timeout=10)
    assert answer.status_code == 200, answer.text + server.logs()
    assert answer.json()["uid"] == 4321


HARDENINGS = {
    # Kubernetes' readOnlyRootFilesystem, with an emptyDir on /tmp.
    "read-only-root": ["--read-only", "--read-only-tmpfs=false", "--tmpfs", "/tmp"],
    # OpenShift's restricted SCC: an arbitrary uid in the root group.
    "arbitrary-uid-gid-0": ["--user", "123456:0"],
    "no-capabilities": ["--cap-drop", "ALL"],
    "no-new-privileges": ["--security-opt", "no-new-privileges"],
}
HARDENINGS["all-at-once"] = [arg for args in HARDENINGS.values() for arg in args]


@pytest.mark.parametrize("hardening", sorted(HARDENINGS))
def test_serves_under_hardened_settings(image: str, func_dir: Path, containers: list[Container],
                                        hardening: str) -> None:
    """Each restriction a hardened pod applies, alone and all at once: calls (in the default
    isolation: executor processes forked for Python), a deadline that kills one, metrics."""
    extra = HARDENINGS[hardening]
    server = Container(image, "imgtest", "busyWhoami", func_dir, extra=extra, env={"FUNC_TIMEOUT": "1"})
    containers.append(server)
    server.wait_ready()
    answer = httpx.get(server.url, timeout=10)
    assert answer.status_code == 200, answer.text + server.logs()
    assert answer.json()["uid"] == (123456 if "123456:0" in extra else 1000)
    stopped = httpx.get(server.url, params={"seconds": "5"}, timeout=10)
    assert stopped.status_code == 408, stopped.text + server.logs()
    again = httpx.get(server.url, timeout=10)
    assert again.status_code == 200, again.text + server.logs()
    # Counted at once in Python; in Node.js (worker isolation) once the supervisor has retired the
    # worker that looped, which may come a moment after the replacement answered.
    deadline = time.monotonic() + 5
    while True:
        metrics = httpx.get(server.url + "/metrics", timeout=10).text
        if re.search(r'^function_timeouts_total\{[^}]*\} 1(\.0)?$', metrics, re.M) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert re.search(r'^function_timeouts_total\{[^}]*\} 1(\.0)?$', metrics, re.M), metrics
    assert server.state()["Running"], server.logs()


def test_python_serves_on_uvloop_and_httptools(image: str, language: str, func_dir: Path,
                                                containers: list[Container]) -> None:
    """Where wheels exist the image has the fast stack, still loadable after its debug information
    was stripped: no fallback line at start-up, and both modules import."""
    if language != "python":
        pytest.skip("uvloop and httptools are the Python runtime's")
    server = Container(image, "imgtest", "whoami", func_dir)
    containers.append(server)
    server.wait_ready()
    assert "not installed" not in server.logs(), server.logs()
    out = podman("exec", server.name, "python", "-c", "import uvloop, httptools; print('loaded')").stdout
    assert out.strip() == "loaded"


def test_image_metadata(image: str, language: str) -> None:
    config = image_config(image)["Config"]
    labels = config.get("Labels") or {}
    for key in ("source", "version", "revision", "licenses", "description"):
        assert labels.get(f"org.opencontainers.image.{key}"), f"no org.opencontainers.image.{key} label"
    assert labels["org.opencontainers.image.version"] == "test"  # the VERSION build argument
    assert config["User"] == "1000:1000"
    assert "8080/tcp" in (config.get("ExposedPorts") or {})
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["FUNC_PORT"] == "8080" and env["KUBELESS_FUNC_DIR"] == "/kubeless"
    if language == "python":
        assert env["PYTHONUNBUFFERED"] == "1"
    assert config.get("Entrypoint") in (None, []), "the install phase needs the command to be free"


def test_final_stage_carries_no_build_leftovers(image: str, language: str) -> None:
    leftovers = ["/src", "/root/.cache", "/root/.npm", "/tmp/*",
                 "/opt/kubeless/venv/bin/pip", "/opt/kubeless/venv/lib/python3*/site-packages/pip"]
    found = podman("run", "--rm", "--network", "host", image, "sh", "-c",
                   "for p in " + " ".join(leftovers) + "; do [ -e \"$p\" ] && echo \"$p\"; done; "
                   "command -v gcc cc make g++ || true").stdout.split()
    assert found == [], f"left in the final image: {found}"
