"""The Node.js runtime's production dependencies are plain JavaScript: nothing to build per CPU.

The image installs them with `npm ci --omit=dev` on whatever CPU it is built for; native code
(an addon built by node-gyp or downloaded by an install script, or a package for one os/cpu)
would make the arm64 image differ from the tested amd64 one, or fail to build. Checked twice:
in package-lock.json, and in a tree that `npm ci --omit=dev` installed (KUBELESS_PLATFORMS_NODE_MODULES,
made by check-platforms; else the repository's runtimes/nodejs/node_modules).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "runtimes/nodejs/package-lock.json"
INSTALL_SCRIPTS = ("preinstall", "install", "postinstall")


def production_packages() -> dict[str, dict]:
    """package-lock.json's entries that `npm ci --omit=dev` installs: {"node_modules/x": entry}."""
    lock = json.loads(LOCK.read_text())
    assert lock.get("lockfileVersion", 1) >= 2, "package-lock.json has no `packages` map (lockfile v1)"
    return {path: entry for path, entry in lock["packages"].items()
            if path and not entry.get("dev") and not entry.get("link")}


def native_traits(meta: dict) -> list[str]:
    """What in a package.json (or a lock entry) means native code or a platform restriction."""
    traits = [key for key in ("hasInstallScript", "gypfile", "os", "cpu") if meta.get(key)]
    scripts = meta.get("scripts") or {}
    return traits + [f"scripts.{name}" for name in INSTALL_SCRIPTS if name in scripts]


@pytest.fixture(scope="module")
def node_modules() -> Path:
    folder = Path(os.environ.get("KUBELESS_PLATFORMS_NODE_MODULES") or ROOT / "runtimes/nodejs/node_modules")
    if not folder.is_dir():
        pytest.skip(f"no {folder}: run `make setup`, or runtimes/shared/scripts/check-platforms nodejs")
    return folder


def test_lock_has_no_native_or_platform_specific_package() -> None:
    found = {path: traits for path, entry in production_packages().items() if (traits := native_traits(entry))}
    assert not found, f"package-lock.json: native or platform-specific production packages: {found}"


def test_installed_tree_is_the_locked_one(node_modules: Path) -> None:
    installed = {
        str(package.parent.relative_to(node_modules.parent))
        for package in node_modules.rglob("package.json")
        if package.parent.parent.name == "node_modules"
        or (package.parent.parent.name.startswith("@") and package.parent.parent.parent.name == "node_modules")
    }
    locked = set(production_packages())
    assert installed == locked, (f"{node_modules} is not the locked production tree: "
                                 f"not locked {sorted(installed - locked)}, missing {sorted(locked - installed)}")


def test_installed_tree_has_no_native_code(node_modules: Path) -> None:
    found = []
    for path in node_modules.rglob("*"):
        if path.is_file() and (path.suffix == ".node" or path.suffix == ".gyp" or path.name == "binding.gyp"):
            found.append(str(path.relative_to(node_modules)))
    for package in production_packages():
        meta = json.loads((node_modules.parent / package / "package.json").read_text())
        found += [f"{package}: {trait}" for trait in native_traits(meta)]
    assert not found, f"native code in the production tree: {found}"
