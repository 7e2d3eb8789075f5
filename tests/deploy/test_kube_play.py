"""The Deployment `python -m kubeless_runtime manifest` renders, run for real with `podman kube play`:
its init container installs a real package from the registry (PyPI, npm) into the emptyDir, the
function imports it and serves through the pod's port, under the pod's security context; then the
runtime is stopped as the kubelet stops it (the preStop command, SIGTERM, SIGKILL at the end of
terminationGracePeriodSeconds) and the calls in flight end as CONTRACT §8 says, exit 0.

What the played YAML changes, and why (deploy/kubernetes/README.md lists what podman ignores):
- a hostPort on 127.0.0.1 (a free port) on the container port, so the test reaches the pod;
- podman before 4.4 gives init containers the pod's restart policy, and a Deployment's is Always:
  the install container is restarted as soon as it exits and the pod never starts (podman
  issue 16343). There the Deployment's pod template is played as a Pod with restartPolicy OnFailure.
- `podman kube down` before podman 5.1 stops the pod with a timeout of 0 (SIGKILL right after
  SIGTERM), and `podman pod stop` before 5.5 stops the infra container, and with it the pod's
  network, alongside the others: neither drains. So the runtime container is stopped first, with
  `podman stop --time`, as the kubelet does, and `kube down` removes the rest.

The images are those runtimes/shared/scripts/test-images builds (localhost/kubeless-test/python:3.11
and nodejs:26); when one is missing, or podman's settings for this machine are, the fixture runs that
script for just those two (`make test` runs test-images first, so they are fresh there).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from kubeless_runtime import manifest, manifest_objects

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = Path(__file__).parent / "functions"
CACHE = Path(os.environ.get("KUBELESS_IMAGES_CACHE") or ROOT / ".cache" / "images")
TEST_IMAGES = ROOT / "runtimes" / "shared" / "scripts" / "test-images"
REGISTRY = "localhost/kubeless-test"  # test-images tags localhost/kubeless-test/LANGUAGE:VERSION
RUNTIMES = {"python": "python3.11", "nodejs": "nodejs26"}
VERSIONS = "python:3.11 nodejs:26"
DEPENDENCY = {"python": ("six", "1.17.0"), "nodejs": ("is-number", "7.0.0")}
GRACE = 3  # FUNC_GRACE_PERIOD of the played pods: short, so the drain's 503 comes soon


def podman(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result


def podman_version() -> tuple[int, ...]:
    out = podman("version", "--format", "{{.Client.Version}}").stdout.strip()
    return tuple(int(part) for part in out.split("-")[0].split(".")[:3])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def down(yaml_file: Path, pod: str, volume: str) -> None:
    """`podman kube down`, and what it leaves: podman 4.3 keeps a ConfigMap's volume (named after
    the ConfigMap) after the pod is gone."""
    podman("kube", "down", str(yaml_file), timeout=120, check=False)
    podman("pod", "rm", "--force", "--ignore", pod, check=False)
    podman("volume", "rm", "--force", volume, check=False)


@pytest.fixture(scope="module")
def images() -> dict[str, str]:
    """The two images, built by test-images when missing; CONTAINERS_CONF set as it sets it."""
    conf = Path(os.environ.get("CONTAINERS_CONF") or CACHE / "containers.conf")
    wanted = {language: manifest_objects.image(REGISTRY, *manifest.parse_runtime(runtime))
              for language, runtime in RUNTIMES.items()}
    env = {k: v for k, v in os.environ.items() if k != "CONTAINERS_CONF"}

    def present() -> bool:
        return shutil.which("podman") is not None and all(
            subprocess.run(["podman", "image", "exists", image], env=env).returncode == 0 for image in wanted.values())

    if not conf.exists() or not present():
        # Installs podman if needed, writes containers.conf, builds exactly these two images.
        built = subprocess.run(["bash", str(TEST_IMAGES), "bases", "build"], cwd=ROOT, timeout=3600,
                               env={**env, "VERSIONS": VERSIONS})
        assert built.returncode == 0, "runtimes/shared/scripts/test-images bases build failed"
    assert conf.exists() and present(), f"no {conf} or no {list(wanted.values())} after test-images"
    os.environ["CONTAINERS_CONF"] = str(conf)
    return wanted


@dataclass
class Played:
    language: str
    name: str
    container: str
    url: str
    yaml_file: Path
    deployment: dict[str, Any]

    def pod_spec(self) -> dict[str, Any]:
        return self.deployment["spec"]["template"]["spec"]

    def logs(self) -> str:
        out = podman("logs", self.container, check=False)
        return out.stdout + out.stderr

    def state(self) -> dict[str, Any]:
        return json.loads(podman("inspect", self.container).stdout)[0]["State"]


def play(language: str, folder: Path, tmp: Path) -> Played:
    name = f"kubeplay-{language}-{uuid.uuid4().hex[:8]}"
    argv = ["--from-file", str(folder), "--handler", "kubeplay.main", "--runtime", RUNTIMES[language],
            "--registry", REGISTRY, "--name", name, "--env", f"FUNC_GRACE_PERIOD={GRACE}"]
    docs = list(yaml.safe_load_all(manifest.render(argv)))
    (deployment,) = [doc for doc in docs if doc["kind"] == "Deployment"]
    port = free_port()
    played = json.loads(json.dumps(deployment))
    (container,) = played["spec"]["template"]["spec"]["containers"]
    container["ports"][0].update({"hostPort": port, "hostIP": "127.0.0.1"})
    if podman_version() < (4, 4):
        template = played["spec"]["template"]
        played = {"apiVersion": "v1", "kind": "Pod",
                  "metadata": {**template["metadata"], "name": name},
                  "spec": {**template["spec"], "restartPolicy": "OnFailure"}}
        pod = name
    else:
        pod = f"{name}-pod-0"
    docs = [played if doc["kind"] == "Deployment" else doc for doc in docs]
    yaml_file = tmp / f"{name}.yaml"
    yaml_file.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    podman("kube", "play", str(yaml_file), timeout=600)
    return Played(language, name, f"{pod}-{container['name']}", f"http://127.0.0.1:{port}", yaml_file, deployment)


@pytest.fixture(scope="module", params=sorted(RUNTIMES))
def pod(request: pytest.FixtureRequest, images: dict[str, str],
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[Played]:
    language = request.param
    tmp = tmp_path_factory.mktemp(f"kubeplay-{language}")
    folder = tmp / "function"
    shutil.copytree(FUNCTIONS / language, folder)
    played = play(language, folder, tmp)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{played.url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"{played.name} never answered /healthz:\n{played.logs()}"
            time.sleep(0.2)
        yield played
    finally:
        down(played.yaml_file, played.container.rsplit("-", 1)[0], volume=played.name)


def test_the_init_container_installs_a_real_dependency_the_function_imports(pod: Played) -> None:
    answer = httpx.get(pod.url, timeout=30)
    assert answer.status_code == 200, answer.text + pod.logs()
    body = answer.json()
    name, version = DEPENDENCY[pod.language]
    assert (body["dependency"], body["works"]) == (version, True)
    assert body["dependencyFile"].startswith("/deps/"), body  # from the emptyDir, not from the image
    env = pod.pod_spec()["containers"][0]["env"]
    expected = {e["name"]: e["value"] for e in env}
    assert {k: v for k, v in body["env"].items() if v is not None} == expected
    assert body["memoryLimit"] == expected["FUNC_MEMORY_LIMIT"] == "512Mi"


def test_the_pod_s_security_context_is_applied_and_the_runtime_serves_under_it(pod: Played) -> None:
    body = httpx.get(pod.url, timeout=30).json()
    assert (body["uid"], body["gid"]) == (1000, 1000)            # runAsUser, runAsGroup
    assert body["rootWritable"] is False                          # readOnlyRootFilesystem
    assert body["tmpWritable"] is True                            # the /tmp emptyDir
    assert int(body["capBnd"], 16) == 0                           # capabilities: drop ALL
    assert body["noNewPrivs"] == "1"                              # allowPrivilegeEscalation: false
    assert body["seccomp"] == "2"                                 # a seccomp filter
    assert body["memoryCgroupLimit"] == str(512 * 1024 * 1024)    # limits.memory


def test_stopping_it_as_the_kubelet_does_drains_the_calls_in_flight(pod: Played) -> None:
    spec = pod.pod_spec()
    prestop = spec["containers"][0]["lifecycle"]["preStop"]["exec"]["command"]
    assert prestop[0] == "sleep"
    # Ends about a second after SIGTERM (preStop is in the way): in flight while the runtime drains.
    short_call = float(prestop[1]) + 2
    answers: dict[str, tuple[float, httpx.Response | Exception]] = {}

    def call(label: str, seconds: float) -> None:
        try:
            answer: httpx.Response | Exception = httpx.get(f"{pod.url}/?sleep={seconds:g}", timeout=60)
        except Exception as error:  # reported below with the pod's output
            answer = error
        answers[label] = (time.monotonic(), answer)

    callers = [threading.Thread(target=call, args=("short", short_call)),
               threading.Thread(target=call, args=("long", 120))]
    for caller in callers:
        caller.start()
    time.sleep(0.5)  # both calls are in the function now
    # The kubelet: the preStop command, then SIGTERM, then SIGKILL once the grace period is over.
    started = time.monotonic()
    podman("exec", pod.container, *prestop, timeout=60)
    left = spec["terminationGracePeriodSeconds"] - (time.monotonic() - started)
    signalled = time.monotonic()
    podman("stop", "--time", str(max(1, int(left))), pod.container, timeout=120)
    stopped = time.monotonic() - signalled
    for caller in callers:
        caller.join(timeout=60)
    logs = pod.logs()

    (short_at, short), (_, long) = answers["short"], answers["long"]
    assert isinstance(short, httpx.Response), f"{short!r}\n{logs}"
    assert (short.status_code, short.text) == (200, f"slept {short_call:g}"), logs
    assert short_at > signalled, "the call ended before SIGTERM: it tested nothing"
    assert isinstance(long, httpx.Response), f"{long!r}\n{logs}"
    assert long.status_code == 503, long.text + logs
    assert long.text.startswith("Service Unavailable: the runtime shut down before the call ended (event-id: ")
    # CONTRACT §8: the whole shutdown within FUNC_GRACE_PERIOD + 1 s, exit 0; not the kubelet's SIGKILL.
    assert stopped < GRACE + 2, f"stopping took {stopped:.1f}s:\n{logs}"
    assert pod.state()["ExitCode"] == 0, logs


# Kubeless ---------------------------------------------------------------------------------------

def kubeless_pod(language: str, name: str, folder: Path, port: int) -> list[dict[str, Any]]:
    """The pod Kubeless's controller (v1.0.8, pkg/utils/kubelessutil.go and pkg/langruntime) makes
    for a function with dependencies, once deploy/kubernetes/kubeless-config.yaml is its
    runtime-images: a `prepare` init container copies the function and its dependencies file from
    a ConfigMap into an emptyDir at /kubeless (Kubeless's own kubeless/unzip image; ours has the
    same sh, cp and sha256sum), the installation image runs its command under `sh -c` after
    checking the file's checksum, and the runtime image serves with the environment the controller
    sets. The images come from the kubeless-config that --registry renders."""
    (config,) = yaml.safe_load_all(manifest.render(["--kubeless-config", "--registry", REGISTRY]))
    runtime = RUNTIMES[language]
    entries = json.loads(config["data"]["runtime-images"])
    info = next(entry for entry in entries if runtime.startswith(entry["ID"]))
    version = next(v for v in info["versions"] if info["ID"] + v["version"] == runtime)
    phases = {image["phase"]: image for image in version["images"]}
    module, ext = "kubeplay", info["fileNameSuffix"]
    deps = (folder / info["depName"]).read_text()
    deps_file = f"/kubeless/{info['depName']}"
    checksum = hashlib.sha256(deps.encode()).hexdigest()
    # Kubeless names the ConfigMap like the emptyDir volume; podman 4.3 would make them one volume.
    source = f"{name}-src"
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": source},
                 "data": {f"{module}{ext}": (folder / f"{module}{ext}").read_text(), info["depName"]: deps}}
    runtime_volume = {"name": name, "mountPath": "/kubeless"}
    install = {
        "name": "install", "image": phases["installation"]["image"], "command": ["sh", "-c"],
        "args": [f"echo '{checksum}  {deps_file}' > /tmp/deps.sha256 && sha256sum -c /tmp/deps.sha256 && "
                 + phases["installation"]["command"]],
        "workingDir": "/kubeless", "volumeMounts": [runtime_volume],
        "env": [{"name": "KUBELESS_INSTALL_VOLUME", "value": "/kubeless"},
                {"name": "KUBELESS_DEPS_FILE", "value": deps_file}],
    }
    prepare = {
        "name": "prepare", "image": phases["installation"]["image"], "command": ["sh", "-c"],
        "args": [f"cp /src/{module}{ext} /kubeless/{module}{ext} && cp /src/{info['depName']} /kubeless"],
        "volumeMounts": [runtime_volume, {"name": f"{name}-deps", "mountPath": "/src"}],
    }
    function = {
        "name": name, "image": phases["runtime"]["image"],
        "env": [{"name": "FUNC_HANDLER", "value": "main"}, {"name": "MOD_NAME", "value": module},
                {"name": "FUNC_TIMEOUT", "value": "180"}, {"name": "FUNC_RUNTIME", "value": runtime},
                {"name": "FUNC_MEMORY_LIMIT", "value": "0"}, {"name": "FUNC_PORT", "value": "8080"},
                {"name": "KUBELESS_INSTALL_VOLUME", "value": "/kubeless"},
                *({"name": k, "value": v} for k, v in phases["runtime"].get("env", {}).items())],
        "ports": [{"containerPort": 8080, "hostPort": port, "hostIP": "127.0.0.1"}],
        "volumeMounts": [runtime_volume],
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "initialDelaySeconds": 3,
                          "periodSeconds": 30},
    }
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"function": name}},
           "spec": {"restartPolicy": "OnFailure" if podman_version() < (4, 4) else "Always",
                    "securityContext": {"runAsUser": 1000, "fsGroup": 1000},
                    "initContainers": [prepare, install], "containers": [function],
                    "volumes": [{"name": name, "emptyDir": {}},
                                {"name": f"{name}-deps", "configMap": {"name": source}}]}}
    return [configmap, pod]


@pytest.mark.parametrize("language", sorted(RUNTIMES))
def test_kubeless_s_own_pod_runs_our_images_from_kubeless_config(language: str, images: dict[str, str],
                                                                  tmp_path: Path) -> None:
    name = f"kubeless-{language}-{uuid.uuid4().hex[:8]}"
    port = free_port()
    yaml_file = tmp_path / f"{name}.yaml"
    yaml_file.write_text(yaml.safe_dump_all(kubeless_pod(language, name, FUNCTIONS / language, port),
                                            sort_keys=False))
    try:
        podman("kube", "play", str(yaml_file), timeout=600)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                answer = httpx.get(url, timeout=10)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, podman("logs", f"{name}-{name}", check=False).stderr
                time.sleep(0.2)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["dependency"] == DEPENDENCY[language][1]
        assert body["dependencyFile"].startswith("/kubeless/"), body  # Kubeless's one volume
        assert body["memoryLimit"] == "0"  # what Kubeless sets without a limit, passed on as it is
        assert body["uid"] == 1000
    finally:
        down(yaml_file, name, volume=f"{name}-src")
