"""What each image is, beyond the contract the conformance suite checks: its user, its metadata,
what it leaves out, and that it serves from a read-only root."""

from __future__ import annotations

from pathlib import Path

import httpx

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


def test_image_metadata(image: str, language: str) -> None:
    config = image_config(image)["Config"]
    labels = config.get("Labels") or {}
    for key in ("source", "version", "licenses", "description"):
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
