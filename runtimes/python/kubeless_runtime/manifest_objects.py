"""The Kubernetes objects of `python -m kubeless_runtime manifest` (manifest.py reads the input).

Plain dicts in the order `kubectl get -o yaml` shows fields, so the YAML reads as people write it.
deploy/kubernetes/README.md explains each choice; the numbers that depend on each other are
computed here: the pod's termination grace covers the preStop sleep and the runtime's own drain
(CONTRACT §8), and Knative's concurrency limit is the runtime's in-flight limit.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .manifest import Function

# The images docker-bake.hcl builds, REGISTRY/LANGUAGE:VERSION (tests/deploy checks both against it).
DEFAULT_REGISTRY = "localhost/kubeless"
VERSIONS = {"python": ("3.11", "3.12", "3.13", "3.14", "3.15"), "nodejs": ("22", "24", "26")}

PORT = 8080
FUNCTION_DIR = "/kubeless"  # the image's KUBELESS_FUNC_DIR
DEPS_DIR = "/deps"          # the install phase's volume (KUBELESS_INSTALL_VOLUME)
UID = 1000                  # the images' user and group
DEFAULT_CPU = "250m"
DEFAULT_MEMORY = "512Mi"
DEFAULT_MAX_INFLIGHT = 100  # per worker process (FUNC_MAX_INFLIGHT)
PRESTOP_SECONDS = 5         # endpoints converge before SIGTERM (CONTRACT §8)
GRACE_MARGIN = 5            # seconds past preStop + FUNC_GRACE_PERIOD before SIGKILL
MIN_REPLICAS, MAX_REPLICAS, CPU_TARGET = 2, 10, 70
KNATIVE_MAX_CONCURRENCY = 1000
# The runtime's defaults (CONTRACT §1), for the numbers derived from them.
RUNTIME_GRACE, RUNTIME_TIMEOUT = 25, 180


def runtime_names() -> list[str]:
    return [language + version for language, versions in VERSIONS.items() for version in versions]


def image(registry: str, language: str, version: str) -> str:
    return f"{registry.rstrip('/')}/{language}:{version}"


def _plain(value: float) -> str:
    """1000000, not 1e+06 (the runtime's wording)."""
    return str(int(value)) if value == int(value) else f"{value:g}"


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float,
            integer: bool = False, above: bool = False) -> float:
    raw = env.get(name, "")
    if raw.strip() == "":
        return default
    low_text, high_text = _plain(low), _plain(high)
    allowed = f"greater than {low_text} and at most {high_text}" if above else f"from {low_text} to {high_text}"
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        raise ValueError(f"{name} must be {'an integer' if integer else 'a number'} {allowed}, got {raw!r}") from None
    if not math.isfinite(value) or value < low or value > high or (above and value == low):
        raise ValueError(f"{name} must be {allowed}, got {raw!r}")
    return value


def check_settings(env: Mapping[str, str]) -> None:
    """The settings the objects are computed from must be ones the runtime accepts."""
    _grace(env), _timeout(env), _inflight(env), _workers(env)
    log_format = env.get("FUNC_LOG_FORMAT")
    if log_format is not None and log_format not in ("apache", "json"):
        raise ValueError(f"FUNC_LOG_FORMAT must be apache or json, got {log_format!r}")


def _grace(env: Mapping[str, str]) -> float:
    return _number(env, "FUNC_GRACE_PERIOD", RUNTIME_GRACE, 0, 3600)


def _timeout(env: Mapping[str, str]) -> float:
    return _number(env, "FUNC_TIMEOUT", RUNTIME_TIMEOUT, 0, 86400, above=True)


def _inflight(env: Mapping[str, str]) -> int:
    if "FUNC_MAX_INFLIGHT" in env and not env["FUNC_MAX_INFLIGHT"].strip():
        return 0  # set but empty: no limit, as the runtime reads it (unset: the manifest's default)
    return int(_number(env, "FUNC_MAX_INFLIGHT", DEFAULT_MAX_INFLIGHT, 0, 1_000_000, integer=True))


def _workers(env: Mapping[str, str]) -> int:
    return int(_number(env, "FUNC_WORKERS", 1, 1, 64, integer=True))


def _metadata(fn: Function, labels: bool = True) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": fn.name}
    if fn.namespace:
        meta["namespace"] = fn.namespace
    if labels:
        meta["labels"] = _labels(fn)
    return meta


def _labels(fn: Function) -> dict[str, str]:
    # `function: NAME` is the label Kubeless put on a function's objects.
    return {"app.kubernetes.io/name": fn.name, "app.kubernetes.io/component": "function", "function": fn.name}


def _selector(fn: Function) -> dict[str, str]:
    return {"app.kubernetes.io/name": fn.name}


def configmap(fn: Function) -> dict[str, Any]:
    data, binary = fn.configmap_data()
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _metadata(fn)}
    if data:
        obj["data"] = data
    if binary:
        obj["binaryData"] = binary
    return obj


def _env(fn: Function, *, install: bool, deps: bool) -> list[dict[str, Any]]:
    """The runtime container's environment (install=False) or the install phase's."""
    fixed = {"KUBELESS_INSTALL_VOLUME": DEPS_DIR} if deps else {}
    if not install:
        fixed = {"MOD_NAME": fn.module, "FUNC_HANDLER": fn.function, **fixed,
                 # As Kubeless set it: the limit as written (256Mi), which is also what Knative
                 # accepts without its kubernetes.podspec-fieldref flag.
                 "FUNC_MEMORY_LIMIT": fn.memory,
                 "FUNC_LOG_FORMAT": "json", "FUNC_MAX_INFLIGHT": str(DEFAULT_MAX_INFLIGHT)}
    merged = {**fixed, **fn.env}  # --env wins over the defaults, in the defaults' place
    return [{"name": key, "value": value} for key, value in merged.items()]


def _security(knative: bool = False) -> dict[str, Any]:
    """The container's security context: Kubernetes' "restricted" Pod Security Standard."""
    context: dict[str, Any] = {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    if knative:  # Knative keeps the pod's security context behind a flag: all of it goes here
        context.update({"runAsNonRoot": True, "runAsUser": UID, "runAsGroup": UID,
                        "seccompProfile": {"type": "RuntimeDefault"}})
    return context


def _resources(fn: Function) -> dict[str, Any]:
    # A memory limit equal to the request (the pod is not killed for memory it was promised);
    # no CPU limit: CFS throttling stalls calls mid-way, the HPA adds pods instead.
    return {"requests": {"cpu": fn.cpu, "memory": fn.memory}, "limits": {"memory": fn.memory}}


def _volume_names(fn: Function) -> tuple[str, str]:
    """The emptyDirs' names: the function's own, because podman kube play makes an emptyDir a
    volume named like it, shared by every pod on the host that has one of that name."""
    return f"{fn.name}-deps", f"{fn.name}-tmp"


def _mounts(fn: Function, *, install: bool, deps: bool) -> list[dict[str, Any]]:
    deps_volume, tmp_volume = _volume_names(fn)
    mounts = [{"name": "function", "mountPath": FUNCTION_DIR, "readOnly": True}]
    if deps:
        mounts.append({"name": deps_volume, "mountPath": DEPS_DIR} if install
                      else {"name": deps_volume, "mountPath": DEPS_DIR, "readOnly": True})
    mounts.append({"name": tmp_volume, "mountPath": "/tmp"})
    return mounts


def _install_container(fn: Function, knative: bool = False) -> dict[str, Any]:
    return {
        "name": "install",
        "image": fn.image,
        "command": ["kubeless-install-deps"],
        "env": _env(fn, install=True, deps=True),
        "resources": _resources(fn),
        "securityContext": _security(knative),
        "volumeMounts": _mounts(fn, install=True, deps=True),
    }


def _volumes(fn: Function, deps: bool) -> list[dict[str, Any]]:
    deps_volume, tmp_volume = _volume_names(fn)
    volumes: list[dict[str, Any]] = [{"name": "function", "configMap": {"name": fn.name}}]
    if deps:
        volumes.append({"name": deps_volume, "emptyDir": {}})
    volumes.append({"name": tmp_volume, "emptyDir": {}})
    return volumes


def _probe(path: str, **timing: int) -> dict[str, Any]:
    # The port's number, not its name: podman reads no name, and Knative takes only its own names.
    return {"httpGet": {"path": path, "port": PORT}, **timing}


def deployment(fn: Function) -> list[dict[str, Any]]:
    grace = math.ceil(_grace(fn.env))
    container = {
        "name": "function",
        "image": fn.image,
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "env": _env(fn, install=False, deps=True),
        "resources": _resources(fn),
        "livenessProbe": _probe("/healthz", initialDelaySeconds=3, periodSeconds=10,
                                timeoutSeconds=5, failureThreshold=3),
        # Not ready while starting, and at the in-flight limit: the Service sends calls elsewhere.
        "readinessProbe": _probe("/readyz", periodSeconds=2, timeoutSeconds=2,
                                 failureThreshold=1, successThreshold=1),
        # Kubernetes removes a terminating pod from the endpoints while SIGTERM is already on its
        # way: the sleep lets them converge before the runtime closes its port (CONTRACT §8).
        "lifecycle": {"preStop": {"exec": {"command": ["sleep", str(PRESTOP_SECONDS)]}}},
        "securityContext": _security(),
        "volumeMounts": _mounts(fn, install=False, deps=True),
    }
    pod_spec = {
        "automountServiceAccountToken": False,
        # Service links would put e.g. FUNC_PORT=tcp://... in the environment for a Service named func.
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": PRESTOP_SECONDS + grace + GRACE_MARGIN,
        "securityContext": {"runAsNonRoot": True, "runAsUser": UID, "runAsGroup": UID, "fsGroup": UID,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": [_install_container(fn)],
        "containers": [container],
        "volumes": _volumes(fn, deps=True),
    }
    template = {
        "metadata": {
            "labels": _labels(fn),
            "annotations": {"prometheus.io/scrape": "true", "prometheus.io/path": "/metrics",
                            "prometheus.io/port": str(PORT)},
        },
        "spec": pod_spec,
    }
    return [
        configmap(fn),
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _metadata(fn),
         "spec": {
             # No replicas: the HPA owns the count (a re-apply must not reset it).
             "selector": {"matchLabels": _selector(fn)},
             "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
             "template": template,
         }},
        {"apiVersion": "v1", "kind": "Service", "metadata": _metadata(fn),
         "spec": {"type": "ClusterIP", "selector": _selector(fn),
                  "ports": [{"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"}]}},
        {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": _metadata(fn),
         "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": fn.name},
                  "minReplicas": MIN_REPLICAS, "maxReplicas": MAX_REPLICAS,
                  "metrics": [{"type": "Resource", "resource": {
                      "name": "cpu", "target": {"type": "Utilization", "averageUtilization": CPU_TARGET}}}]}},
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": _metadata(fn),
         "spec": {"maxUnavailable": 1, "selector": {"matchLabels": _selector(fn)}}},
    ]


def knative(fn: Function) -> list[dict[str, Any]]:
    """A Knative Service: scale to zero, the queue-proxy drains (no preStop, no grace of ours)."""
    inflight = _inflight(fn.env) * (_workers(fn.env) if fn.language == "python" else 1)
    # Knative refuses more than its container-concurrency-max-limit (1000 by default); 0 is no limit.
    inflight = min(inflight, KNATIVE_MAX_CONCURRENCY)
    container = {
        "name": "function",
        "image": fn.image,
        "ports": [{"name": "http1", "containerPort": PORT}],
        "env": _env(fn, install=False, deps=fn.has_dependencies),
        "resources": _resources(fn),
        "livenessProbe": _probe("/healthz", periodSeconds=10, timeoutSeconds=5, failureThreshold=3),
        # No period: the queue-proxy then probes every few milliseconds at start, the fastest cold start.
        "readinessProbe": _probe("/readyz"),
        "securityContext": _security(knative=True),
        "volumeMounts": _mounts(fn, install=False, deps=fn.has_dependencies),
    }
    spec: dict[str, Any] = {
        # The queue-proxy holds calls past the runtime's limit, so they wait instead of a 429.
        "containerConcurrency": inflight,
        # The runtime answers 408 at FUNC_TIMEOUT; Knative's own cut comes after it.
        "timeoutSeconds": math.ceil(_timeout(fn.env)) + GRACE_MARGIN,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
    }
    if fn.has_dependencies:  # needs Knative's kubernetes.podspec-init-containers flag
        spec["initContainers"] = [_install_container(fn, knative=True)]
    spec["containers"] = [container]
    spec["volumes"] = _volumes(fn, deps=fn.has_dependencies)
    template = {
        "metadata": {
            "labels": _labels(fn),
            "annotations": {"autoscaling.knative.dev/min-scale": "0",
                            "autoscaling.knative.dev/max-scale": str(MAX_REPLICAS)},
        },
        "spec": spec,
    }
    return [configmap(fn),
            {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "metadata": _metadata(fn),
             "spec": {"template": template}}]


def kubeless_config(registry: str) -> dict[str, Any]:
    """Kubeless's kubeless-config ConfigMap with only `runtime-images`, our two runtimes in the
    format its controller reads (pkg/langruntime: ID, versions[name, version, images[phase,
    image, command]], depName, fileNameSuffix)."""
    runtimes = []
    for language, suffix, dep in (("python", ".py", "requirements.txt"), ("nodejs", ".js", "package.json")):
        versions = []
        for version in VERSIONS[language]:
            ref = image(registry, language, version)
            versions.append({
                "name": language + version.replace(".", ""),
                "version": version,
                "images": [
                    # The controller runs it as `sh -c COMMAND` with KUBELESS_INSTALL_VOLUME and
                    # KUBELESS_DEPS_FILE set; the runtime finds the packages from the same volume.
                    {"phase": "installation", "image": ref, "command": "kubeless-install-deps"},
                    {"phase": "runtime", "image": ref},
                ],
            })
        runtimes.append({"ID": language, "versions": versions, "depName": dep, "fileNameSuffix": suffix})
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "kubeless-config", "namespace": "kubeless"},
            "data": {"runtime-images": json.dumps(runtimes, indent=2) + "\n"}}


def dumper(yaml: Any) -> Any:
    """PyYAML's SafeDumper, writing multi-line strings (the files) as literal blocks."""

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: Any, value: str) -> Any:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return Dumper
