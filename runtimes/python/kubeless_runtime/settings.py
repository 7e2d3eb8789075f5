"""Settings: the environment (CONTRACT §1) and the CLI flags, read once into a frozen `Settings`.

Everything a request needs is decided here, at start-up, so that nothing on the hot path parses
an environment variable again. Invalid values raise `SettingsError`, which the CLI turns into one
line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NoReturn

DEFAULT_BODY_LIMIT = 104_857_600  # Kubeless Python's FUNC_MEMFILE_MAX: 100 MiB
DEFAULT_TIMEOUT = 180.0
DEFAULT_PORT = 8080
DEFAULT_HOST = "0.0.0.0"
DEFAULT_FUNC_DIR = "/kubeless"
DEFAULT_THREADS = 40
DEFAULT_WORKERS = 1
DEFAULT_GRACE_PERIOD = 25.0
DEFAULT_EXECUTORS_MIN = 1
DEFAULT_EXECUTOR_IDLE = 30.0
ISOLATIONS = ("auto", "call", "worker")
DEFAULT_MAX_HEADER_SIZE = 65536
DEFAULT_HEADER_TIMEOUT = 10.0
LOG_FORMATS = ("apache", "json")
# FUNC_SIGNATURE (shared decisions 11): how the function is called and its result answered.
# `kubeless` is the contract's own; the others are adapters in kubeless_runtime/signatures/.
SIGNATURES = ("kubeless", "lambda", "lambda-v1", "openwhisk", "openfaas", "knative", "gcf", "fission")

# Upper bounds (shared decision 15): a value past these is a typo or a unit mistake, and some of them
# break the runtime later in confusing ways (1e308 seconds overflows the event loop's clock).
MAX_TIMEOUT = 86400.0
MAX_GRACE_PERIOD = 3600.0
MAX_WORKERS = 64
MIN_HEADER_SIZE, MAX_HEADER_SIZE = 1024, 1_048_576
MAX_HEADER_TIMEOUT = 3600.0
MAX_CONCURRENCY = 1000
MAX_EXECUTOR_IDLE = 86400.0
MAX_INFLIGHT = 1_000_000

USAGE = (
    "python -m kubeless_runtime --from-file PATH --handler MODULE.FUNCTION [--port N] [--host H] [--timeout S]"
    " [--isolation auto|call|worker] [--max-inflight N] [--log-format apache|json]"
    " [--signature kubeless|lambda|lambda-v1|openwhisk|openfaas|knative|gcf|fission]"
)


class SettingsError(Exception):
    """A flag or an environment variable has a value the runtime cannot start with.

    `handler` and `source` are filled in when they were known before the bad value was met, so
    the error line can name them as CONTRACT §1.3 asks.
    """

    handler: str | None = None
    source: str | None = None


class UsageExit(Exception):
    """`--help` was asked for: the usage has been printed and the process should exit 0."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the runtime was told, validated.

    `source` is what the user pointed at: the function file in container mode, or whatever
    `--from-file` named (a file, a zip or a folder) in CLI mode.
    """

    source: str
    module_name: str
    function_name: str
    install_volume: str | None
    timeout: float
    port: int
    host: str
    runtime: str
    memory_limit: str | None
    body_limit: int
    threads: int
    workers: int
    grace_period: float
    cors_origins: frozenset[str] | None  # None: CORS off; {"*"}: any origin
    access_log: bool
    max_header_size: int  # bytes of request line + headers; more is answered 431
    header_timeout: float  # seconds from a request's first byte to the end of its headers; then 408
    isolation: str = "auto"  # auto | call | worker (CONTRACT §5); `isolation_for` resolves auto
    executors_min: int = DEFAULT_EXECUTORS_MIN
    executor_idle: float = DEFAULT_EXECUTOR_IDLE
    max_inflight: int = 0  # requests to the function in flight per worker before 429; 0: no limit
    log_format: str = "apache"  # apache (text lines, as Kubeless) | json (one record per line on stdout)
    signature: str = "kubeless"  # how the function is called and answered (SIGNATURES; signatures/)

    def isolation_for(self, is_async: bool) -> str:
        """`call` or `worker`: auto runs `def` functions in executors, `async def` ones in the worker."""
        if self.isolation != "auto":
            return self.isolation
        return "worker" if is_async else "call"

    @property
    def handler(self) -> str:
        return f"{self.module_name}.{self.function_name}"


class _Parser(argparse.ArgumentParser):
    """argparse prints usage and exits on a bad flag; we want our own single error line instead."""

    def error(self, message: str) -> NoReturn:
        raise SettingsError(f"{message} (usage: {USAGE})")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m kubeless_runtime",
        usage=USAGE,
        description=(
            "Serve a Kubeless function over HTTP. Without --from-file the runtime runs in container "
            "mode and reads MOD_NAME, FUNC_HANDLER and KUBELESS_FUNC_DIR from the environment."
        ),
        epilog="Every other setting comes from the environment (FUNC_TIMEOUT, FUNC_THREADS, FUNC_WORKERS, ...).",
        add_help=False,
        allow_abbrev=False,
    )
    parser.add_argument("--from-file", dest="from_file", metavar="PATH", help="a .py file, a .zip archive or a folder")
    parser.add_argument("--handler", metavar="MODULE.FUNCTION", help="module name and function name")
    parser.add_argument("--port", metavar="N", help="TCP port (FUNC_PORT, default 8080)")
    parser.add_argument("--host", metavar="H", help="address to listen on (FUNC_HOST, default 0.0.0.0)")
    parser.add_argument("--timeout", metavar="S", help="seconds a call may run (FUNC_TIMEOUT, default 180)")
    parser.add_argument(
        "--isolation", metavar="MODE", help="auto, call or worker (FUNC_ISOLATION, default auto)"
    )
    parser.add_argument(
        "--max-inflight", dest="max_inflight", metavar="N",
        help="requests in flight per worker before 429, 0 for no limit (FUNC_MAX_INFLIGHT, default 0)",
    )
    parser.add_argument(
        "--log-format", dest="log_format", metavar="FORMAT", help="apache or json (FUNC_LOG_FORMAT, default apache)"
    )
    parser.add_argument(
        "--signature", metavar="NAME",
        help="kubeless, lambda, lambda-v1, openwhisk, openfaas, gcf or fission (FUNC_SIGNATURE, default kubeless)",
    )
    parser.add_argument("-h", "--help", action="store_true", help="show this help and exit")
    return parser


def _plain(value: float) -> str:
    """1048576, not 1.04858e+06."""
    return str(int(value)) if value == int(value) else f"{value:g}"


def _number(
    name: str, raw: str, *, integer: bool, minimum: float, maximum: float | None = None, above: bool = False
) -> float:
    """`raw` as a number within [minimum, maximum] (or above `minimum` when `above`), else one clear line."""
    low, high = _plain(minimum), _plain(maximum) if maximum is not None else None
    if above:
        allowed = f"greater than {low}" + (f" and at most {high}" if high is not None else "")
    elif high is not None:
        allowed = f"from {low} to {high}"
    else:
        allowed = f"at least {low}"
    kind = "an integer" if integer else "a number"
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be {kind} {allowed}, got {raw!r}") from None
    if not math.isfinite(value):
        raise SettingsError(f"{name} must be a finite number {allowed}, got {raw!r}")
    if value < minimum or (above and value == minimum) or (maximum is not None and value > maximum):
        raise SettingsError(f"{name} must be {allowed}, got {raw!r}")
    return value


def _split_handler(handler: str) -> tuple[str, str]:
    module, dot, function = handler.rpartition(".")
    if not dot or not module.isidentifier() or not function.isidentifier():
        raise SettingsError(f"--handler must be MODULE.FUNCTION with plain names, got {handler!r}")
    return module, function


def _parse_cors(raw: str) -> frozenset[str] | None:
    value = raw.strip()
    if value.lower() == "off":
        return None
    origins = frozenset(o.strip() for o in value.split(",") if o.strip())
    if not origins:
        raise SettingsError(f"FUNC_CORS_ORIGINS must be '*', a comma-separated list of origins or 'off', got {raw!r}")
    return frozenset({"*"}) if "*" in origins else origins


def _parse_switch(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("on", "true", "1", "yes"):
        return True
    if value in ("off", "false", "0", "no"):
        return False
    raise SettingsError(f"{name} must be 'on' or 'off', got {raw!r}")


def _body_limit(env: Mapping[str, str]) -> int:
    if env.get("FUNC_MEMFILE_MAX"):
        return int(_number("FUNC_MEMFILE_MAX", env["FUNC_MEMFILE_MAX"], integer=True, minimum=0, maximum=1e18))
    if env.get("REQ_MB_LIMIT"):
        megabytes = _number("REQ_MB_LIMIT", env["REQ_MB_LIMIT"], integer=False, minimum=0, maximum=1e12)
        return int(megabytes * 1_000_000)
    return DEFAULT_BODY_LIMIT


def load_settings(argv: Sequence[str], env: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from command-line flags (which win) and the environment."""
    env = os.environ if env is None else env
    parser = _parser()
    args, extra = parser.parse_known_args(list(argv))
    if args.help:
        parser.print_help(sys.stdout)
        raise UsageExit()
    if extra:
        raise SettingsError(f"unknown argument {extra[0]!r} (usage: {USAGE})")

    if args.from_file is not None:
        if not args.handler:
            raise SettingsError("--handler MODULE.FUNCTION is required with --from-file")
        module_name, function_name = _split_handler(args.handler)
        source = os.path.abspath(args.from_file)
    else:
        if args.handler:
            raise SettingsError("--handler needs --from-file (container mode reads MOD_NAME and FUNC_HANDLER)")
        module_name = env.get("MOD_NAME", "").strip()
        function_name = env.get("FUNC_HANDLER", "").strip()
        if not module_name or not function_name:
            raise SettingsError("MOD_NAME and FUNC_HANDLER must be set (or use --from-file PATH --handler MODULE.FUNCTION)")
        if not module_name.isidentifier():
            raise SettingsError(f"MOD_NAME must be a plain module name, got {module_name!r}")
        if not function_name.isidentifier():
            raise SettingsError(f"FUNC_HANDLER must be a plain function name, got {function_name!r}")
        func_dir = env.get("KUBELESS_FUNC_DIR") or DEFAULT_FUNC_DIR
        source = os.path.join(os.path.abspath(func_dir), module_name + ".py")

    try:
        return _rest(args, env, source, module_name, function_name)
    except SettingsError as exc:
        exc.handler, exc.source = f"{module_name}.{function_name}", source
        raise


def _rest(
    args: argparse.Namespace, env: Mapping[str, str], source: str, module_name: str, function_name: str
) -> Settings:
    def pick(flag: str | None, name: str, default: str) -> tuple[str, str]:
        if flag is not None:
            return "--" + name.split("_", 1)[1].lower().replace("_", "-"), flag
        return name, env.get(name) or default

    port_name, port_raw = pick(args.port, "FUNC_PORT", str(DEFAULT_PORT))
    timeout_name, timeout_raw = pick(args.timeout, "FUNC_TIMEOUT", str(DEFAULT_TIMEOUT))
    host = args.host if args.host is not None else (env.get("FUNC_HOST") or DEFAULT_HOST)
    if not host.strip():
        raise SettingsError("the host to listen on must not be empty")

    timeout = _number(timeout_name, timeout_raw, integer=False, minimum=0, maximum=MAX_TIMEOUT, above=True)

    isolation_name, isolation = pick(args.isolation, "FUNC_ISOLATION", "auto")
    isolation = isolation.strip().lower()
    if isolation not in ISOLATIONS:
        raise SettingsError(f"{isolation_name} must be auto, call or worker, got {isolation!r}")
    log_format_name, log_format_raw = pick(args.log_format, "FUNC_LOG_FORMAT", "apache")
    log_format = log_format_raw.strip().lower()
    if log_format not in LOG_FORMATS:
        raise SettingsError(f"{log_format_name} must be apache or json, got {log_format_raw!r}")
    signature_name, signature_raw = pick(args.signature, "FUNC_SIGNATURE", "kubeless")
    signature = signature_raw.strip().lower()
    if signature not in SIGNATURES:
        raise SettingsError(f"{signature_name} must be one of {', '.join(SIGNATURES)}, got {signature_raw!r}")
    max_inflight_name, max_inflight_raw = pick(args.max_inflight, "FUNC_MAX_INFLIGHT", "0")
    max_inflight = int(
        _number(max_inflight_name, max_inflight_raw or "0", integer=True, minimum=0, maximum=MAX_INFLIGHT)
    )
    # FUNC_CONCURRENCY is the name; FUNC_THREADS, the old one, is kept as an alias.
    concurrency_name = "FUNC_CONCURRENCY" if env.get("FUNC_CONCURRENCY") else "FUNC_THREADS"
    concurrency = int(
        _number(concurrency_name, env.get(concurrency_name) or str(DEFAULT_THREADS), integer=True, minimum=1, maximum=MAX_CONCURRENCY)
    )
    executors_min = int(
        _number(
            "FUNC_EXECUTORS_MIN",
            env.get("FUNC_EXECUTORS_MIN") or str(min(DEFAULT_EXECUTORS_MIN, concurrency)),
            integer=True,
            minimum=0,
            maximum=concurrency,
        )
    )
    executor_idle = _number(
        "FUNC_EXECUTOR_IDLE", env.get("FUNC_EXECUTOR_IDLE") or str(DEFAULT_EXECUTOR_IDLE), integer=False,
        minimum=0, maximum=MAX_EXECUTOR_IDLE, above=True,
    )

    return Settings(
        source=source,
        module_name=module_name,
        function_name=function_name,
        install_volume=env.get("KUBELESS_INSTALL_VOLUME") or None,
        timeout=timeout,
        port=int(_number(port_name, port_raw, integer=True, minimum=0, maximum=65535)),
        host=host.strip(),
        runtime=env.get("FUNC_RUNTIME") or f"python{sys.version_info.major}.{sys.version_info.minor}",
        memory_limit=env.get("FUNC_MEMORY_LIMIT") or None,
        body_limit=_body_limit(env),
        threads=concurrency,
        workers=int(
            _number(
                "FUNC_WORKERS", env.get("FUNC_WORKERS") or str(DEFAULT_WORKERS), integer=True, minimum=1, maximum=MAX_WORKERS
            )
        ),
        grace_period=_number(
            "FUNC_GRACE_PERIOD",
            env.get("FUNC_GRACE_PERIOD") or str(DEFAULT_GRACE_PERIOD),
            integer=False,
            minimum=0,
            maximum=MAX_GRACE_PERIOD,
        ),
        cors_origins=_parse_cors(env.get("FUNC_CORS_ORIGINS") or "*"),
        access_log=_parse_switch("FUNC_ACCESS_LOG", env.get("FUNC_ACCESS_LOG") or "on"),
        max_header_size=int(
            _number(
                "FUNC_MAX_HEADER_SIZE",
                env.get("FUNC_MAX_HEADER_SIZE") or str(DEFAULT_MAX_HEADER_SIZE),
                integer=True,
                minimum=MIN_HEADER_SIZE,
                maximum=MAX_HEADER_SIZE,
            )
        ),
        header_timeout=_number(
            "FUNC_HEADER_TIMEOUT",
            env.get("FUNC_HEADER_TIMEOUT") or str(DEFAULT_HEADER_TIMEOUT),
            integer=False,
            minimum=0,
            maximum=MAX_HEADER_TIMEOUT,
            above=True,
        ),
        isolation=isolation,
        executors_min=executors_min,
        executor_idle=executor_idle,
        max_inflight=max_inflight,
        log_format=log_format,
        signature=signature,
    )
