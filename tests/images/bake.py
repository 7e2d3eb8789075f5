"""Resolve docker-bake.hcl into the targets `docker buildx bake --print` would show.

The real check is `docker buildx bake --print`, used whenever buildx is installed. This machine
has no buildx (Debian 12 does not package it and no registry we reach ships it), so as a fallback
we parse the file with python-hcl2 and evaluate the small part of bake's language the file uses:
variables (defaults, overridden from the environment as bake does), `inherits`, `matrix`, `name`,
string templates, list literals, `==` / `!=`, the conditional `c ? a : b`, and the `replace` and
`concat` functions. Anything else raises `Unsupported`, so the fallback
never passes a file it did not understand; extend it when the bake file grows.

The result has bake's own shape: ``{"group": {name: {"targets": [...]}}, "target": {name: {...}}}``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from itertools import product
from pathlib import Path
from typing import Any

import hcl2

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")

FUNCTIONS: dict[str, Callable[..., Any]] = {
    "replace": lambda s, old, new: str(s).replace(str(old), str(new)),
    "concat": lambda *lists: [item for items in lists for item in items],
}


class Unsupported(ValueError):
    """The bake file uses something this fallback does not evaluate."""


def buildx_print(bake_file: Path, env: Mapping[str, str] | None = None) -> dict | None:
    """`docker buildx bake --print` of every target in the file, or None without buildx."""
    docker = shutil.which("docker")
    if docker is None:
        return None
    probe = subprocess.run([docker, "buildx", "version"], capture_output=True, text=True)
    if probe.returncode != 0:
        return None
    out = subprocess.run(
        [docker, "buildx", "bake", "--file", str(bake_file), "--print", "default"],
        capture_output=True, text=True, cwd=bake_file.parent, env={**os.environ, **(env or {})},
        check=True,
    )
    return json.loads(out.stdout)


def _scan(text: str) -> tuple[list[tuple[int, int]], int, bool]:
    """`(index, depth)` of each character outside quotes (depth: brackets open around it, a
    bracket itself counted outside), then the depth and the quoting at the end."""
    found, depth, quoted, i = [], 0, False, 0
    while i < len(text):
        char = text[i]
        if quoted:
            if char == "\\":
                i += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        else:
            if char in ")]}":
                depth -= 1
            found.append((i, depth))
            if char in "([{":
                depth += 1
        i += 1
    return found, depth, quoted


def _top_level(text: str) -> list[int]:
    """Indexes of the characters of `text` that are outside quotes and brackets."""
    return [i for i, depth in _scan(text)[0] if depth == 0 and text[i] not in "([{)]}"]


def _split_args(text: str) -> list[str]:
    """Split a call's arguments (or a list's items) at top-level commas."""
    args, start = [], 0
    for i in _top_level(text):
        if text[i] == ",":
            args.append(text[start:i])
            start = i + 1
    args.append(text[start:])
    return [a.strip() for a in args if a.strip()]


def _is_wrapped(text: str, opening: str, closing: str) -> bool:
    """`text` is one bracketed whole: `[...]`, `${...}` (not `[a] == [b]`)."""
    if not (text.startswith(opening) and text.endswith(closing)):
        return False
    positions, depth, quoted = _scan(text[len(opening) : -len(closing)])
    return depth == 0 and not quoted and all(d >= 0 for _, d in positions)


def _template(body: str, scope: Mapping[str, Any]) -> str:
    """Expand ``${expr}`` inside a string literal's body."""
    out, i = [], 0
    while i < len(body):
        if body.startswith("${", i):
            depth, j, quoted = 1, i + 2, False
            while depth:
                if j >= len(body):
                    raise Unsupported(f"unterminated ${{ in {body!r}")
                char = body[j]
                if quoted:
                    if char == "\\":
                        j += 1
                    elif char == '"':
                        quoted = False
                elif char == '"':
                    quoted = True
                elif char == "{":
                    depth += 1
                elif char == "}":
                    depth -= 1
                j += 1
            out.append(str(evaluate(body[i + 2 : j - 1], scope)))
            i = j
        elif body[i] == "\\" and i + 1 < len(body):
            out.append({"n": "\n", "t": "\t"}.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def evaluate(expr: Any, scope: Mapping[str, Any]) -> Any:
    """Evaluate one attribute value as python-hcl2 returns it (strings keep their quotes)."""
    if isinstance(expr, list):
        return [evaluate(item, scope) for item in expr]
    if isinstance(expr, dict):
        return {k.strip('"'): evaluate(v, scope) for k, v in expr.items() if not k.startswith("__")}
    if not isinstance(expr, str):
        return expr
    text = expr.strip()
    if _is_wrapped(text, "${", "}"):  # an expression that is not a string: `tags = concat(...)`
        return evaluate(text[2:-1], scope)
    top = _top_level(text)
    question = next((i for i in top if text[i] == "?"), None)
    if question is not None:
        colon = next((i for i in top if i > question and text[i] == ":"), None)
        if colon is None:
            raise Unsupported(f"conditional without ':' in {text!r}")
        chosen = text[question + 1 : colon] if evaluate(text[:question], scope) else text[colon + 1 :]
        return evaluate(chosen, scope)
    for op in ("==", "!="):
        at = next((i for i in top if text.startswith(op, i)), None)
        if at is not None:
            equal = evaluate(text[:at], scope) == evaluate(text[at + 2 :], scope)
            return equal if op == "==" else not equal
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return _template(text[1:-1], scope)
    if _is_wrapped(text, "[", "]"):
        return [evaluate(item, scope) for item in _split_args(text[1:-1])]
    if IDENTIFIER.fullmatch(text):
        if text in scope:
            return scope[text]
        raise Unsupported(f"unknown name {text!r}")
    call = re.fullmatch(r"([A-Za-z_]\w*)\((.*)\)", text, re.S)
    if call and call.group(1) in FUNCTIONS:
        return FUNCTIONS[call.group(1)](*(evaluate(a, scope) for a in _split_args(call.group(2))))
    raise Unsupported(f"expression {text!r}")


def _blocks(doc: dict, kind: str) -> dict[str, dict]:
    """`{label: body}` of every `kind "label" { ... }` block."""
    found: dict[str, dict] = {}
    for block in doc.get(kind, []):
        for label, body in block.items():
            found[label.strip('"')] = body
    return found


def resolve(bake_file: Path, env: Mapping[str, str] | None = None) -> dict:
    """The file's groups and targets, resolved like `docker buildx bake --print`."""
    env = os.environ if env is None else env
    doc = hcl2.load(bake_file.open())
    unknown = {k for k in doc if not k.startswith("__")} - {"variable", "group", "target"}
    if unknown:
        raise Unsupported(f"top-level blocks {sorted(unknown)}")

    variables: dict[str, Any] = {}
    for name, body in _blocks(doc, "variable").items():
        variables[name] = env[name] if name in env else evaluate(body.get("default", '""'), variables)

    raw_targets = _blocks(doc, "target")

    def flattened(name: str, seen: tuple[str, ...] = ()) -> dict:
        """A target's own attributes over those it inherits (maps are merged, as bake does)."""
        if name in seen:
            raise Unsupported(f"inheritance cycle through {name!r}")
        body = raw_targets[name]
        merged: dict[str, Any] = {}
        for parent in evaluate(body.get("inherits", []), variables):
            for key, value in flattened(parent, seen + (name,)).items():
                merged[key] = value
        for key, value in body.items():
            if key.startswith("__") or key == "inherits":
                continue
            if isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "matrix":
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
        return merged

    groups: dict[str, dict] = {}
    targets: dict[str, dict] = {}
    for name in raw_targets:
        body = flattened(name)
        matrix = evaluate(body.pop("matrix", {}), variables)
        name_expr = body.pop("name", None)
        if not matrix:
            targets[name] = {k: evaluate(v, variables) for k, v in body.items()}
            continue
        if name_expr is None:
            raise Unsupported(f"matrix target {name!r} without a name")
        keys = list(matrix)
        expanded = []
        for values in product(*(matrix[k] for k in keys)):
            scope = {**variables, **dict(zip(keys, values))}
            target_name = evaluate(name_expr, scope)
            targets[target_name] = {k: evaluate(v, scope) for k, v in body.items()}
            expanded.append(target_name)
        groups[name] = {"targets": expanded}

    for name, body in _blocks(doc, "group").items():
        groups[name] = {"targets": evaluate(body.get("targets", []), variables)}
    for body in targets.values():
        body.setdefault("context", ".")
        body.setdefault("dockerfile", "Dockerfile")
    return {"group": groups, "target": targets}


def expand(resolved: dict, names: list[str]) -> list[str]:
    """The concrete targets that building `names` builds (groups expanded, in order, once each)."""
    out: list[str] = []
    for name in names:
        if name in resolved["group"]:
            out.extend(t for t in expand(resolved, resolved["group"][name]["targets"]) if t not in out)
        elif name in resolved["target"] and name not in out:
            out.append(name)
        elif name not in resolved["target"]:
            raise KeyError(f"no target or group named {name!r}")
    return out


def versions(bake_file: Path) -> list[tuple[str, str]]:
    """`(language, version)` of every image the default group builds, in the file's order.

    The language is the Dockerfile's folder (runtimes/LANGUAGE/Dockerfile); the version, the
    target's PYTHON_VERSION or NODE_VERSION argument.
    """
    printed = buildx_print(bake_file)
    config = printed if printed is not None else resolve(bake_file)
    out = []
    for name in expand(config, ["default"]):
        target = config["target"][name]
        language = Path(target["dockerfile"]).parent.name
        args = target.get("args", {})
        version = args.get("PYTHON_VERSION") or args.get("NODE_VERSION")
        if version is None:
            raise Unsupported(f"target {name!r} has no PYTHON_VERSION or NODE_VERSION argument")
        out.append((language, version))
    return out


if __name__ == "__main__":
    # `python tests/images/bake.py versions`: one "LANGUAGE VERSION" line per image (test-images).
    import sys

    if sys.argv[1:] != ["versions"]:
        sys.exit("usage: bake.py versions")
    for language, version in versions(Path(__file__).resolve().parents[2] / "docker-bake.hcl"):
        print(language, version)
