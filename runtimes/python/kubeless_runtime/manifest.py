"""`python -m kubeless_runtime manifest`: the Kubernetes objects that run one function.

    python -m kubeless_runtime manifest --from-file PATH --handler MODULE.FUNCTION --runtime RUNTIME
        [--dependencies FILE] [--name NAME] [--namespace NS] [--registry REG] [--knative]
        [--env KEY=VALUE ...] [--cpu Q] [--memory Q]
    python -m kubeless_runtime manifest --kubeless-config [--registry REG]

prints multi-document YAML on stdout (deploy/kubernetes/README.md says what each object is for).
This module reads and checks the input; manifest_objects.py builds the objects. Errors end with one
line on stderr, as the runtime's own start-up errors do: exit 2 for bad flags or values, 1 for a
file that cannot go into the ConfigMap (missing, unreadable, too large). PyYAML is an optional
extra (`pip install 'kubeless-runtime[manifest]'`): the images never run this command.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NoReturn

from . import manifest_objects as objects

USAGE = (
    "python -m kubeless_runtime manifest --from-file PATH --handler MODULE.FUNCTION --runtime RUNTIME "
    "[--dependencies FILE] [--name NAME] [--namespace NS] [--registry REG] [--knative] "
    "[--env KEY=VALUE ...] [--cpu Q] [--memory Q]\n"
    "       python -m kubeless_runtime manifest --kubeless-config [--registry REG]"
)

# What the language of a runtime serves, and its dependencies file (Kubeless's depName).
EXTENSIONS = {"python": (".py",), "nodejs": (".js", ".mjs", ".cjs")}
DEPS_FILE = {"python": "requirements.txt", "nodejs": "package.json"}
LOCK_FILES = ("package-lock.json", "npm-shrinkwrap.json")
# Set by the manifest itself: a value from --env would break what the objects around it assume.
RESERVED_ENV = {
    "MOD_NAME": "--handler",
    "FUNC_HANDLER": "--handler",
    "KUBELESS_INSTALL_VOLUME": "the install phase's volume",
    "KUBELESS_FUNC_DIR": "the ConfigMap's mount",
    "FUNC_PORT": "the container port, the probes and the Service",
    "FUNC_HOST": "the container port, the probes and the Service",
    "FUNC_MEMORY_LIMIT": "--memory",
}
# Kubernetes' own formats: a quantity, an environment variable name, a ConfigMap key, DNS labels.
QUANTITY = re.compile(r"^\+?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[numkMGTPE]|[KMGTPE]i)?$")
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
CONFIGMAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
SERVICE_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CONFIGMAP_MAX = 1024 * 1024  # bytes: what the API server stores in one object


class ManifestError(Exception):
    """One line for stderr, and the exit code."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _file_error(message: str) -> ManifestError:
    return ManifestError(message, exit_code=1)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise ManifestError(f"{message} (python -m kubeless_runtime manifest --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m kubeless_runtime manifest",
        usage=USAGE,
        description="Print the Kubernetes manifests that run one function (multi-document YAML on stdout).",
        allow_abbrev=False,
    )
    parser.add_argument("--from-file", metavar="PATH", help="the function: a source file or a folder")
    parser.add_argument("--handler", metavar="MODULE.FUNCTION", help="module name and function name")
    parser.add_argument("--runtime", metavar="RUNTIME", help=f"one of {', '.join(objects.runtime_names())}")
    parser.add_argument("--dependencies", metavar="FILE",
                        help="requirements.txt / package.json (a lock beside it comes along)")
    parser.add_argument("--name", help="name of every object (default: the module name)")
    parser.add_argument("--namespace", help="namespace of every object (default: none, kubectl's)")
    parser.add_argument("--registry", default=objects.DEFAULT_REGISTRY,
                        help=f"where the images are: REGISTRY/python:3.13 (default {objects.DEFAULT_REGISTRY})")
    parser.add_argument("--knative", action="store_true",
                        help="a Knative Service (scale to zero) instead of a Deployment")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="a setting for the runtime and the install phase (repeatable)")
    parser.add_argument("--cpu", default=objects.DEFAULT_CPU, help=f"CPU request (default {objects.DEFAULT_CPU})")
    parser.add_argument("--memory", default=objects.DEFAULT_MEMORY,
                        help=f"memory request and limit (default {objects.DEFAULT_MEMORY})")
    parser.add_argument("--kubeless-config", action="store_true",
                        help="print the kubeless-config runtime-images patch for an existing Kubeless instead")
    return parser


@dataclass
class Function:
    """Everything the objects are built from, checked."""

    name: str
    namespace: str | None
    language: str
    version: str
    image: str
    module: str
    function: str
    files: dict[str, bytes]
    env: dict[str, str] = field(default_factory=dict)
    cpu: str = objects.DEFAULT_CPU
    memory: str = objects.DEFAULT_MEMORY

    @property
    def runtime(self) -> str:
        return self.language + self.version

    @property
    def has_dependencies(self) -> bool:
        return DEPS_FILE[self.language] in self.files

    def configmap_data(self) -> tuple[dict[str, str], dict[str, str]]:
        """`data` (UTF-8 text) and `binaryData` (base64, anything else), by file name."""
        data, binary = {}, {}
        for key, content in sorted(self.files.items()):
            try:
                data[key] = content.decode("utf-8")
            except UnicodeDecodeError:
                binary[key] = base64.b64encode(content).decode("ascii")
        return data, binary


def parse_runtime(value: str | None) -> tuple[str, str]:
    if not value:
        raise ManifestError(f"--runtime is required: one of {', '.join(objects.runtime_names())}")
    for language, versions in objects.VERSIONS.items():
        if value.startswith(language) and value[len(language):] in versions:
            return language, value[len(language):]
    raise ManifestError(f"--runtime must be one of {', '.join(objects.runtime_names())}, got {value!r}")


def _handler(value: str | None) -> tuple[str, str]:
    if not value:
        raise ManifestError("--handler MODULE.FUNCTION is required")
    module, dot, function = value.rpartition(".")
    if not dot or not PLAIN_NAME.match(module) or not PLAIN_NAME.match(function):
        raise ManifestError(f"--handler must be MODULE.FUNCTION with plain names, got {value!r}")
    return module, function


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise _file_error(f"cannot read {path}: {exc.strerror or exc}") from None


def _function_files(source: str, language: str, module: str) -> dict[str, bytes]:
    """The files the ConfigMap holds, by key: the function renamed MODULE.<ext> (Kubeless's rule:
    the module name comes from the handler), or every file of a folder as it is."""
    extensions = EXTENSIONS[language]
    if os.path.isdir(source):
        found = [ext for ext in extensions if os.path.isfile(os.path.join(source, module + ext))]
        if not found:
            wanted = " or ".join(module + ext for ext in extensions)
            raise _file_error(f"no {wanted} in the folder {source}")
        files = {}
        for entry in sorted(os.scandir(source), key=lambda e: e.name):
            if entry.name.startswith(".") or entry.name == "__pycache__":
                continue
            if entry.is_dir():
                raise _file_error(
                    f"{entry.path}: a ConfigMap holds the files of one folder, not its subfolders "
                    f"(list packages in {DEPS_FILE[language]}; the install phase fetches them)"
                )
            if not CONFIGMAP_KEY.match(entry.name):
                raise _file_error(f"{entry.path}: a ConfigMap key may only hold letters, digits, '-', '_' and '.'")
            files[entry.name] = _read(entry.path)
        return files
    if not os.path.exists(source):
        raise _file_error(f"no such file or folder: {source}")
    ext = os.path.splitext(source)[1]
    if ext not in extensions:
        hint = " (unpack the .zip and give the folder)" if ext == ".zip" else ""
        raise ManifestError(f"a {language} runtime serves {', '.join(extensions)} files, got {source}{hint}")
    return {module + ext: _read(source)}


def _dependencies(path: str, language: str) -> dict[str, bytes]:
    """The dependencies file under the name the install phase reads, and a lock beside it."""
    if not os.path.isfile(path):
        raise _file_error(f"no such dependencies file: {path}")
    files = {DEPS_FILE[language]: _read(path)}
    if language == "nodejs":
        for lock in LOCK_FILES:
            beside = os.path.join(os.path.dirname(path) or ".", lock)
            if os.path.isfile(beside):
                files[lock] = _read(beside)
    return files


def _env(pairs: Sequence[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not ENV_NAME.match(key):
            raise ManifestError(f"--env must be KEY=VALUE with a variable name as KEY, got {pair!r}")
        if key in RESERVED_ENV:
            raise ManifestError(f"--env {key}: the manifest sets it ({RESERVED_ENV[key]})")
        env[key] = value
    return env


def _name(value: str, flag: str, pattern: re.Pattern[str], limit: int, what: str) -> str:
    if len(value) > limit or not pattern.match(value):
        raise ManifestError(f"{flag} must be {what} of at most {limit} characters, got {value!r}")
    return value


def parse(argv: Sequence[str]) -> tuple[argparse.Namespace, Function | None]:
    args = _parser().parse_args(list(argv))
    if args.kubeless_config:
        function_flags = ("from_file", "handler", "runtime", "dependencies", "name", "namespace", "knative", "env")
        if any(getattr(args, flag) for flag in function_flags):
            raise ManifestError("--kubeless-config takes only --registry")
        return args, None
    language, version = parse_runtime(args.runtime)
    module, function = _handler(args.handler)
    if not args.from_file:
        raise ManifestError("--from-file PATH is required")
    # A Knative revision is named NAME-00001: the name leaves room for it.
    limit = 57 if args.knative else 63
    name = args.name if args.name is not None else module.lower().replace("_", "-")
    name = _name(name, "--name" if args.name is not None else "the name (from the module; set --name)",
                 SERVICE_NAME, limit, "a lower-case DNS label starting with a letter")
    namespace = None
    if args.namespace is not None:
        namespace = _name(args.namespace, "--namespace", DNS_LABEL, 63, "a lower-case DNS label")
    for flag, value in (("--cpu", args.cpu), ("--memory", args.memory)):
        if not QUANTITY.match(value):
            raise ManifestError(f"{flag} must be a Kubernetes quantity (250m, 0.5, 512Mi, 1Gi), got {value!r}")
    env = _env(args.env)
    objects.check_settings(env)  # raises ValueError with the runtime's wording

    files = _function_files(args.from_file, language, module)
    if args.dependencies:
        files.update(_dependencies(args.dependencies, language))
    size = sum(len(key) + len(content) for key, content in files.items())
    if size > CONFIGMAP_MAX:
        raise _file_error(
            f"the function's files are {size} bytes: a ConfigMap holds at most {CONFIGMAP_MAX} "
            f"(build an image FROM the runtime's with the function in /kubeless instead)"
        )
    return args, Function(
        name=name, namespace=namespace, language=language, version=version,
        image=objects.image(args.registry, language, version), module=module, function=function,
        files=files, env=env, cpu=args.cpu, memory=args.memory,
    )


def render(argv: Sequence[str]) -> str:
    """The YAML text the command prints (raises ManifestError, ImportError without PyYAML)."""
    args, function = parse(argv)
    import yaml  # only now: a bad flag is reported even without PyYAML

    command = "python -m kubeless_runtime manifest " + shlex.join(argv)
    if function is None:
        header = (
            "# The runtime-images entry of Kubeless's kubeless-config ConfigMap (namespace kubeless)\n"
            "# for our python and nodejs images (deploy/kubernetes/README.md says how to apply it).\n"
        )
        docs = [objects.kubeless_config(args.registry)]
    else:
        kind = "a Knative Service" if args.knative else "a Deployment, Service, HPA and PDB"
        header = f"# The function {function.name} ({function.runtime}): its ConfigMap and {kind}.\n"
        docs = objects.knative(function) if args.knative else objects.deployment(function)
    text = yaml.dump_all(docs, Dumper=objects.dumper(yaml), explicit_start=True, sort_keys=False,
                         allow_unicode=True, width=1_000_000)
    return f"{header}# Rendered by: {command}\n{text}"


def main(argv: Sequence[str]) -> int:
    try:
        text = render(argv)
    except ManifestError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return exc.exit_code
    except ValueError as exc:  # a setting out of range, in the runtime's words
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except ImportError as exc:
        if getattr(exc, "name", None) != "yaml":
            raise
        sys.stderr.write("error: the manifest command needs PyYAML: pip install 'kubeless-runtime[manifest]'\n")
        return 1
    sys.stdout.write(text)
    return 0
