"""pytest wiring of the conformance suite: options, the `runtime` parameter and server fixtures.

Options (see tests/README.md):
  --runtime NAME        python / nodejs, repeatable; default: every runtime
  --mode process|container
  --image-python IMG, --image-nodejs IMG   images for container mode
  --podman CMD          the podman binary (container mode)
  --isolation MODE      FUNC_ISOLATION given to every runtime started (unless a case sets its own);
                        default: none given, so each runtime's default applies

Markers: `cli_only` (skipped in container mode), `only("python")` / `only("nodejs")`.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

import pytest

import harness
from harness import Exit, Launch, Launcher, Runtime, Server


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "runtime conformance suite")
    group.addoption("--runtime", action="append", choices=sorted(harness.RUNTIME_FACTORIES),
                    help="runtime to test (repeatable; default: all)")
    group.addoption("--mode", choices=("process", "container"), default="process",
                    help="start runtimes as local processes (default) or as podman containers")
    group.addoption("--image-python", default=None, help="Python runtime image (container mode)")
    group.addoption("--image-nodejs", default=None, help="Node.js runtime image (container mode)")
    group.addoption("--podman", default="podman", help="podman command (container mode)")
    group.addoption("--isolation", choices=("auto", "call", "worker"), default=None,
                    help="FUNC_ISOLATION for every runtime started (a case's own value wins)")


def _selected_runtimes(config: pytest.Config) -> list[Runtime]:
    names = config.getoption("--runtime") or list(harness.RUNTIME_FACTORIES)
    return [harness.RUNTIME_FACTORIES[name](config.getoption(f"--image-{name}"))
            for name in dict.fromkeys(names)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every case once per selected runtime (`only(...)` deselects the others later)."""
    if "runtime" not in metafunc.fixturenames:
        return
    runtimes = _selected_runtimes(metafunc.config)
    params = []
    container = metafunc.config.getoption("--mode") == "container"
    for rt in runtimes:
        marks = []
        if container and rt.image is None:
            marks.append(pytest.mark.skip(reason=f"container mode without --image-{rt.name}"))
        params.append(pytest.param(rt, id=rt.name, marks=marks))
    # Module scope groups a file's cases by runtime, so each shared server starts once per file.
    metafunc.parametrize("runtime", params, scope="module")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect cases marked `only(...)` for other runtimes; skip `cli_only` ones in container mode."""
    kept, deselected = [], []
    for item in items:
        only = item.get_closest_marker("only")
        callspec = getattr(item, "callspec", None)
        runtime = callspec.params.get("runtime") if callspec else None
        if only is not None and runtime is not None and runtime.name not in only.args:
            deselected.append(item)
        else:
            kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
    if config.getoption("--mode") == "container":
        skip = pytest.mark.skip(reason="CLI-only case (zip, folder, flags, naming rule)")
        for item in items:
            if item.get_closest_marker("cli_only"):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def launcher(pytestconfig: pytest.Config) -> Launcher:
    if pytestconfig.getoption("--mode") == "container":
        return harness.ContainerLauncher(pytestconfig.getoption("--podman"))
    return harness.ProcessLauncher()


@pytest.fixture(scope="session")
def isolation(pytestconfig: pytest.Config) -> str | None:
    """The `--isolation` option: the FUNC_ISOLATION every runtime of this run starts with."""
    return pytestconfig.getoption("--isolation")


def _with_isolation(env: Mapping[str, str] | None, isolation: str | None) -> dict[str, str]:
    env = dict(env or {})
    if isolation is not None:
        env.setdefault("FUNC_ISOLATION", isolation)
    return env


@pytest.fixture(scope="session")
def logs_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runtime-logs")


_log_counter = itertools.count()


def _logdir(root: Path, runtime: Runtime, launch: Launch) -> Path:
    handler = (launch.handler or "nohandler").replace("/", "_")
    return root / f"{next(_log_counter):04d}-{runtime.name}-{handler}"


class ServerPool:
    """Servers shared by the cases of one test file, keyed by everything that starts them."""

    def __init__(self) -> None:
        self.servers: dict[tuple, Server] = {}

    def get(self, key: tuple, start: Callable[[], Server]) -> Server:
        server = self.servers.get(key)
        if server is None or not server.alive():
            if server is not None:
                server.stop(timeout=2)
            server = self.servers[key] = start()
        return server

    def close(self) -> None:
        for server in self.servers.values():
            server.stop(timeout=5)
        self.servers.clear()


@pytest.fixture(scope="module")
def server_pool() -> Iterator[ServerPool]:
    pool = ServerPool()
    yield pool
    pool.close()


ServeFactory = Callable[..., Server]


@pytest.fixture
def serve(runtime: Runtime, launcher: Launcher, logs_root: Path, server_pool: ServerPool,
          isolation: str | None) -> Iterator[ServeFactory]:
    """`serve(module, function, env=None, args=None, from_file=None, volumes=None, func_dir=None,
    shared=False, writable=(), ready_timeout=15)` → a ready `Server` (`writable`: volumes mounted
    read-write in container mode).

    With `shared=True` the server is reused by every case of the same test file that asks for the
    same settings (cheap cases with no side effects on the process). Otherwise the case owns it and
    it is stopped at teardown.
    """
    owned: list[Server] = []

    def factory(module: str | None, function: str | None, env: Mapping[str, str] | None = None,
                args: Sequence[str] | None = None, from_file: Path | str | None = None,
                volumes: Mapping[str, Path] | None = None, func_dir: Path | None = None,
                shared: bool = False, env_only: bool = False, writable: Sequence[str] = (),
                ready_timeout: float = harness.READY_TIMEOUT) -> Server:
        launch = Launch(module, function, _with_isolation(env, isolation), tuple(args or ()),
                        from_file, dict(volumes or {}), func_dir, env_only, tuple(writable))

        def start() -> Server:
            return harness.start_server(launcher, runtime, launch, _logdir(logs_root, runtime, launch),
                                        ready_timeout)

        if shared:
            key = (runtime.name, module, function, tuple(sorted(launch.env.items())), launch.args,
                   str(from_file), tuple(sorted((k, str(v)) for k, v in launch.volumes.items())),
                   str(func_dir), env_only, tuple(writable))
            return server_pool.get(key, start)
        server = start()
        owned.append(server)
        return server

    yield factory
    for server in owned:
        server.stop(timeout=5)


@pytest.fixture
def start_fails(runtime: Runtime, launcher: Launcher, logs_root: Path,
                isolation: str | None) -> Callable[..., Exit]:
    """`start_fails(module, function, env=None, args=None, from_file=None, func_dir=None,
    env_only=False, volumes=None)` → `Exit` of a runtime that must refuse to start."""

    def factory(module: str | None, function: str | None, env: Mapping[str, str] | None = None,
                args: Sequence[str] | None = None, from_file: Path | str | None = None,
                func_dir: Path | None = None, env_only: bool = False, timeout: float = 30.0,
                volumes: Mapping[str, Path] | None = None) -> Exit:
        launch = Launch(module, function, _with_isolation(env, isolation), tuple(args or ()),
                        from_file, dict(volumes or {}), func_dir, env_only)
        return harness.run_to_exit(launcher, runtime, launch, _logdir(logs_root, runtime, launch),
                                   timeout)

    return factory


@pytest.fixture
def mode(launcher: Launcher) -> str:
    return launcher.mode


def pytest_report_header(config: pytest.Config) -> list[str]:
    runtimes = ", ".join(f"{rt.name}{' ' + rt.image if rt.image else ''}" for rt in _selected_runtimes(config))
    isolation = config.getoption("--isolation") or "each runtime's default"
    return [f"conformance: mode={config.getoption('--mode')} isolation={isolation} runtimes={runtimes}"]

