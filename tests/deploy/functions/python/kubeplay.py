"""The function tests/deploy/test_kube_play.py runs in a pod: it imports what the install phase put
in the volume, and reports what the pod's security settings left it (uid, a read-only root, no
capabilities), or sleeps `?sleep=S` seconds (a call in flight during the drain)."""

import os
import tempfile
import time

import six  # from requirements.txt, installed by the init container

ENV = ("MOD_NAME", "FUNC_HANDLER", "KUBELESS_INSTALL_VOLUME", "FUNC_MEMORY_LIMIT", "FUNC_LOG_FORMAT",
       "FUNC_MAX_INFLIGHT", "FUNC_GRACE_PERIOD")
CGROUP_MEMORY = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")


def writable(path):
    try:
        with open(path, "w"):
            pass
        os.unlink(path)
        return True
    except OSError:
        return False


def main(event, context):
    seconds = float(event["extensions"]["request"].query.get("sleep") or 0)
    if seconds:
        time.sleep(seconds)
        return f"slept {seconds:g}"
    with open("/proc/self/status") as handle:
        status = dict(line.split(":\t", 1) for line in handle.read().splitlines() if ":\t" in line)
    memory = next((open(p).read().strip() for p in CGROUP_MEMORY if os.path.exists(p)), None)
    return {
        "dependency": six.__version__,
        "dependencyFile": six.__file__,
        "works": six.PY3,
        "uid": os.getuid(),
        "gid": os.getgid(),
        "rootWritable": writable("/kubeplay-probe"),
        "tmpWritable": writable(os.path.join(tempfile.gettempdir(), "kubeplay-probe")),
        "capBnd": status["CapBnd"].strip(),
        "noNewPrivs": status["NoNewPrivs"].strip(),
        "seccomp": status["Seccomp"].strip(),
        "memoryCgroupLimit": memory,
        "memoryLimit": context["memory-limit"],
        "env": {name: os.environ.get(name) for name in ENV},
    }
