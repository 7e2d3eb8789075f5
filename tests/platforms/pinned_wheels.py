"""The wheels the Python runtime installs on one platform, found without building anything.

For an interpreter (3.11 ... 3.15) and a CPU (x86_64, aarch64), `resolve` takes the runtime's
requirements from runtimes/python/pyproject.toml (its dependencies and every extra), lets pip
download them with `--only-binary=:all:` for that platform, pinned by constraints.txt, then walks
the dependency closure itself from the wheels' metadata: pip evaluates the markers of dependencies
for the interpreter that runs it (pypa/pip#11198), not for the target, so its closure for 3.15
could be that of 3.11. Every package of the closure must be pinned and have a wheel (binary or
pure). Downloads stay in the cache, one folder per platform; a rerun walks the closure from there
without pip and only asks the index for what is not there yet (a new pin or dependency).

`install` puts exactly that closure into a folder (`pip install --target`), for running the
runtime with a foreign interpreter (tests/platforms/test_arm64.py).
"""

from __future__ import annotations

import email.parser
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "runtimes/python/pyproject.toml"
CONSTRAINTS = ROOT / "constraints.txt"
CACHE = Path(os.environ.get("KUBELESS_PLATFORMS_CACHE") or ROOT / ".cache/platforms")

PYTHONS = ("3.11", "3.12", "3.13", "3.14", "3.15")
ARCHES = ("x86_64", "aarch64")
# The images' oldest Debian base is bookworm (glibc 2.36): a manylinux wheel built for any glibc up
# to that one runs on every base.
GLIBC_MINOR_MAX = 36


@dataclass
class Cell:
    """One interpreter on one CPU: the closure's wheel files, or what is wrong."""

    python: str
    arch: str
    wheels: dict[str, Path] = field(default_factory=dict)  # canonical name -> wheel file
    problem: str | None = None

    @property
    def binary(self) -> list[str]:
        return sorted(name for name, path in self.wheels.items()
                      if any(tag.platform != "any" for tag in parse_wheel_filename(path.name)[3]))

    def summary(self) -> str:
        if self.problem:
            return self.problem
        return f"ok: {len(self.wheels)} wheels ({', '.join(self.binary) or 'none'} binary)"


def pins() -> dict[str, str]:
    """constraints.txt as {canonical name: version}."""
    found = {}
    for line in CONSTRAINTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = req.specifier  # every line is NAME==VERSION
            found[canonicalize_name(req.name)] = spec.version
    return found


def target_environment(python: str, arch: str) -> dict[str, str]:
    """PEP 508 marker variables of CPython `python` on Linux `arch`."""
    return {
        "python_version": python, "python_full_version": f"{python}.0",
        "implementation_name": "cpython", "implementation_version": f"{python}.0",
        "platform_python_implementation": "CPython", "platform_machine": arch,
        "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
    }


def applies(req: Requirement, env: dict[str, str], extras: frozenset[str] = frozenset()) -> bool:
    if req.marker is None:
        return True
    return any(req.marker.evaluate({**env, "extra": extra}) for extra in (extras or {""}))


def runtime_requirements() -> list[Requirement]:
    """The runtime's dependencies and those of every extra (e.g. `fast`), itself left out."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    lines = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        lines += extra
    own = canonicalize_name(project["name"])
    return [req for req in map(Requirement, lines) if canonicalize_name(req.name) != own]


def _platforms(arch: str) -> list[str]:
    # pip takes these names literally, but for manylinux2014, after which it adds manylinux2010/1.
    return [*(f"manylinux_2_{minor}_{arch}" for minor in range(GLIBC_MINOR_MAX, 4, -1)),
            f"manylinux2014_{arch}"]


def platform_options(python: str, arch: str) -> list[str]:
    """pip's options for wheels of CPython `python` on manylinux `arch`, and nothing to build."""
    return ["--only-binary=:all:", "--python-version", python, "--implementation", "cp",
            "--abi", f"cp{python.replace('.', '')}",
            *(option for platform in _platforms(arch) for option in ("--platform", platform))]


def supported_tags(python: str, arch: str) -> list[Tag]:
    """The wheel tags pip accepts with `platform_options`, best first."""
    version = tuple(map(int, python.split(".")))
    platforms = _platforms(arch) + (["manylinux2010_x86_64", "manylinux1_x86_64"] if arch == "x86_64" else [])
    return [*cpython_tags(version, [f"cp{python.replace('.', '')}", "abi3", "none"], platforms),
            *compatible_tags(version, f"cp{python.replace('.', '')}", platforms)]


def _pip(args: list[str], log: Path) -> tuple[bool, str]:
    """Run pip; (succeeded, its output), the output also appended to `log`."""
    out = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    with log.open("a") as f:
        f.write(f"$ pip {' '.join(args)}\n{out.stdout}{out.stderr}\n")
    return out.returncode == 0, out.stdout + out.stderr


def _download(requirements: list[str], cell: Cell, dest: Path, log: Path, deps: bool) -> str | None:
    """Download wheels into `dest`; None, or pip's reason on one line."""
    # Alone (--no-deps, NAME==PIN) a package needs no constraints, and pip then says plainly
    # that no wheel fits instead of reporting a conflict with the pin.
    pinning = ["-c", str(CONSTRAINTS)] if deps else ["--no-deps"]
    ok, output = _pip(["download", "--dest", str(dest), "--progress-bar", "off",
                       *platform_options(cell.python, cell.arch), *pinning, *requirements], log)
    if ok:
        return None
    found = re.findall(r"No matching distribution found for (\S+)", output)
    if found:
        return f"no wheel: {found[-1]}"
    # A pinned package without a fitting wheel shows up as a conflict with its pin: ask for it alone.
    conflict = re.search(r"Cannot install ([\w.-]+)", output)
    if conflict and deps:
        name = canonicalize_name(conflict.group(1))
        pinned = f"{name}=={pins()[name]}" if name in pins() else name
        return _download([pinned], cell, dest, log, deps=False) or f"conflict over {name} (log: {log})"
    errors = [line for line in output.splitlines() if line.startswith("ERROR:")]
    return (errors[-1] if errors else "pip download failed") + f" (log: {log})"


def _wheels_in(folder: Path, tags: list[Tag]) -> dict[tuple[str, str], Path]:
    """{(name, version): the best wheel for `tags`} of the wheels in `folder`."""
    rank = {tag: i for i, tag in enumerate(tags)}
    best: dict[tuple[str, str], tuple[int, Path]] = {}
    for path in folder.glob("*.whl"):
        name, version, _, wheel_tags = parse_wheel_filename(path.name)
        score = min((rank[tag] for tag in wheel_tags if tag in rank), default=None)
        key = (canonicalize_name(name), str(version))
        if score is not None and (key not in best or score < best[key][0]):
            best[key] = (score, path)
    return {key: path for key, (_, path) in best.items()}


def _requires(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as zf:
        (metadata,) = [n for n in zf.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
        message = email.parser.BytesParser().parsebytes(zf.read(metadata), headersonly=True)
    return [Requirement(line) for line in message.get_all("Requires-Dist") or []]


def _walk(cell: Cell, top: list[Requirement], files: dict[tuple[str, str], Path]) -> str | None:
    """Fill `cell.wheels` with the closure of `top` from `files`; a problem, or the first
    `name==version` that has no file yet (as `absent:name==version`)."""
    env, pinned = target_environment(cell.python, cell.arch), pins()
    cell.wheels.clear()
    todo = [(req, "the runtime") for req in top]
    while todo:
        req, wanted_by = todo.pop(0)
        name = canonicalize_name(req.name)
        version = pinned.get(name)
        if version is None:
            return f"not pinned in constraints.txt: {req.name} (needed by {wanted_by})"
        if not req.specifier.contains(version, prereleases=True):
            return f"the pin {name}=={version} does not satisfy {req} (needed by {wanted_by})"
        if name in cell.wheels:
            continue
        if (name, version) not in files:
            return f"absent:{name}=={version}"
        cell.wheels[name] = files[(name, version)]
        todo += [(dep, name) for dep in _requires(cell.wheels[name])
                 if applies(dep, env, frozenset(req.extras))]
    return None


def resolve(python: str, arch: str, cache: Path = CACHE) -> Cell:
    """The closure of the runtime's requirements on `python`/`arch`, every member a pinned wheel."""
    cell = Cell(python, arch)
    dest = cache / "wheels" / f"cp{python.replace('.', '')}-{arch}"
    log = dest.with_suffix(".log")
    dest.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    tags = supported_tags(python, arch)
    top = [req for req in runtime_requirements() if applies(req, target_environment(python, arch))]
    # From the cache alone first; then pip's own resolution, which fetches (nearly) the whole
    # closure at once and names what has no wheel; then one by one what pip left out by the
    # host's markers.
    problem, fetched_all = _walk(cell, top, _wheels_in(dest, tags)), False
    while problem and problem.startswith("absent:"):
        absent = problem.removeprefix("absent:")
        if fetched_all:
            problem = _download([absent], cell, dest, log, deps=False)
        else:
            problem, fetched_all = _download([str(req) for req in top], cell, dest, log, deps=True), True
        problem = problem or _walk(cell, top, _wheels_in(dest, tags))
        if problem == f"absent:{absent}":
            problem = f"no wheel: {absent} (pip saved none that fits; log: {log})"
    cell.problem = problem
    return cell


def install(cell: Cell, target: Path) -> None:
    """`pip install --target` of exactly the cell's wheels (skipped when `target` has them)."""
    stamp = target / ".wheels"
    wanted = "\n".join(sorted(path.name for path in cell.wheels.values())) + "\n"
    if stamp.is_file() and stamp.read_text() == wanted:
        return
    subprocess.run(["rm", "-rf", str(target)], check=True)
    ok, output = _pip(["install", "--target", str(target), "--no-index", "--no-deps",
                       *platform_options(cell.python, cell.arch),
                       *map(str, cell.wheels.values())], target.with_suffix(".log"))
    if not ok:
        raise RuntimeError(f"pip install --target {target} failed: {output.strip().splitlines()[-1]}")
    stamp.write_text(wanted)
