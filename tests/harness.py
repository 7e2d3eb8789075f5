"""Start a runtime the way a user or a platform would, and watch it from outside.

The conformance suite is black-box: every case talks HTTP to a real runtime on a loopback port and
reads the runtime's real stdout/stderr. Two launchers hide *how* the runtime is started:

- `ProcessLauncher` runs the runtime's CLI (`--from-file FILE --handler MOD.FUNC`) as a child process;
- `ContainerLauncher` runs the runtime's image with `podman run`, the function folder mounted at
  `/kubeless` and the Kubeless environment (`MOD_NAME`, `FUNC_HANDLER`, `FUNC_PORT`, ...).

Both hand back a `Server` (a running runtime) or, through `run_to_exit`, an `Exit` (a runtime that
was expected to refuse to start). Output always goes to files, never to pipes: a chatty runtime can
fill a pipe buffer and block, which would look like a hang of the runtime itself.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import signal as signals
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Protocol, Sequence

import httpx

TESTS_DIR = Path(__file__).resolve().parent
REPO_DIR = TESTS_DIR.parent
FUNCTIONS_DIR = TESTS_DIR / "functions"

#: Where the function folder is mounted inside the images (Kubeless's path).
CONTAINER_FUNC_DIR = "/kubeless"

READY_TIMEOUT = 15.0


class HarnessError(AssertionError):
    """A runtime did not do what the harness needs to run a case (start, stop, answer)."""


@dataclass(frozen=True)
class Runtime:
    """One language runtime under test: how to start it and where its test functions live."""

    name: str
    extensions: tuple[str, ...]
    cli: tuple[str, ...]
    image: str | None = None

    @property
    def functions_dir(self) -> Path:
        return FUNCTIONS_DIR / self.name

    def source_file(self, module: str, func_dir: Path | None = None) -> Path:
        """The file that holds `module` in a function folder (first extension that exists)."""
        folder = func_dir or self.functions_dir
        for ext in self.extensions:
            candidate = folder / f"{module}{ext}"
            if candidate.exists():
                return candidate
        # A file that does not exist: start-up error cases point the runtime at it on purpose.
        return folder / f"{module}{self.extensions[0]}"

    def command(self, from_file: Path | str, handler: str, host: str, port: int,
                args: Sequence[str] = ()) -> list[str]:
        """The CLI invocation of harness.md: `... --from-file F --handler H --host H --port N`."""
        cmd = [*self.cli]
        if from_file is not None:
            cmd += ["--from-file", str(from_file)]
        if handler is not None:
            cmd += ["--handler", handler]
        return cmd + ["--host", host, "--port", str(port), *args]


def python_runtime(image: str | None = None) -> Runtime:
    # The interpreter running pytest is the project's venv, where kubeless_runtime is installed.
    return Runtime("python", (".py",), (sys.executable, "-m", "kubeless_runtime"), image)


def nodejs_runtime(image: str | None = None) -> Runtime:
    return Runtime("nodejs", (".js", ".mjs", ".cjs"),
                   (shutil.which("node") or "node", str(REPO_DIR / "runtimes" / "nodejs")), image)


RUNTIME_FACTORIES = {"python": python_runtime, "nodejs": nodejs_runtime}


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel picks it; never a fixed number)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.2) -> bool:
    """Whether a TCP connection to the port is accepted now."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


@dataclass
class Launch:
    """Everything that decides how one runtime instance starts.

    `volumes` maps a path *as the runtime sees it* (inside the container) to a host folder. In
    container mode each becomes `-v host:path`; in process mode there is no mount, so every
    environment value that starts with such a path is rewritten to the host folder. A case can thus
    write `env={"KUBELESS_INSTALL_VOLUME": "/deps"}, volumes={"/deps": tmp_path}` once for both modes.
    Volumes are mounted read-only, but those named in `writable` (a folder the function writes to).

    `func_dir` replaces `tests/functions/<runtime>` (mounted at /kubeless in container mode; the
    module's file is taken from it in process mode). `from_file` is CLI-only (zip, folder, naming).
    """

    module: str | None
    function: str | None
    env: Mapping[str, str] = field(default_factory=dict)
    args: Sequence[str] = ()
    from_file: Path | str | None = None
    volumes: Mapping[str, Path] = field(default_factory=dict)
    func_dir: Path | None = None
    # Process mode only: start without --from-file/--handler, from the Kubeless environment alone.
    env_only: bool = False
    writable: Sequence[str] = ()  # volumes mounted read-write (container mode)

    @property
    def handler(self) -> str | None:
        if self.module is None and self.function is None:
            return None
        if self.function is None:
            return self.module
        return f"{self.module}.{self.function}"


class Handle(Protocol):
    """A started runtime, whatever started it."""

    def poll(self) -> int | None: ...
    def wait(self, timeout: float) -> int: ...
    def send_signal(self, sig: int) -> None: ...
    def kill(self) -> None: ...
    def root_pid(self) -> int | None: ...


class ProcessHandle:
    """A runtime started as a child process in its own process group."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc

    def poll(self) -> int | None:
        return self.proc.poll()

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout)

    def send_signal(self, sig: int) -> None:
        # To the runtime's main process only, as a platform would: the runtime forwards it.
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def kill(self) -> None:
        # The group is ours (start_new_session): this also ends workers a runtime left behind.
        try:
            os.killpg(self.proc.pid, signals.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass

    def root_pid(self) -> int | None:
        return self.proc.pid if self.proc.poll() is None else None


class ContainerHandle:
    """A runtime started with `podman run` (attached, so the client's exit code is the container's)."""

    def __init__(self, proc: subprocess.Popen, name: str, podman: str) -> None:
        self.proc = proc
        self.name = name
        self.podman = podman

    def poll(self) -> int | None:
        return self.proc.poll()

    def wait(self, timeout: float) -> int:
        # `podman run` (without -d) exits with the container's exit code; with --rm the container
        # is gone afterwards, so `podman wait` could not be asked later.
        return self.proc.wait(timeout)

    def send_signal(self, sig: int) -> None:
        # Reaches the container's init (--init), which forwards it to the runtime.
        if self.proc.poll() is None:
            subprocess.run([self.podman, "kill", "--signal", str(int(sig)), self.name],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)

    def kill(self) -> None:
        subprocess.run([self.podman, "rm", "--force", "--time", "0", self.name],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def root_pid(self) -> int | None:
        out = subprocess.run([self.podman, "inspect", "--format", "{{.State.Pid}}", self.name],
                             capture_output=True, text=True, timeout=30)
        try:
            pid = int(out.stdout.strip())
        except ValueError:
            return None
        return pid or None


class Launcher:
    """Starts runtimes in one mode; `mode` names it in messages and skips."""

    mode = "?"

    def start(self, runtime: Runtime, launch: Launch, port: int, logdir: Path) -> Handle:
        raise NotImplementedError


def _open_logs(logdir: Path) -> tuple[Path, Path]:
    logdir.mkdir(parents=True, exist_ok=True)
    return logdir / "stdout.log", logdir / "stderr.log"


class ProcessLauncher(Launcher):
    """harness.md's process mode: the runtime's CLI with `--host 127.0.0.1 --port N`."""

    mode = "process"

    def start(self, runtime: Runtime, launch: Launch, port: int, logdir: Path) -> Handle:
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)  # the suite's own import path is no business of the runtime
        for key, value in launch.env.items():
            env[key] = _host_path(value, launch.volumes)
        if launch.env_only:
            # Kubeless's own interface in a local process: the folder comes from KUBELESS_FUNC_DIR.
            env.setdefault("KUBELESS_FUNC_DIR", str(launch.func_dir or runtime.functions_dir))
            if launch.module is not None:
                env.setdefault("MOD_NAME", launch.module)
            if launch.function is not None:
                env.setdefault("FUNC_HANDLER", launch.function)
            env.setdefault("FUNC_PORT", str(port))
            env.setdefault("FUNC_HOST", "127.0.0.1")
            cmd = [*runtime.cli, *launch.args]
        else:
            from_file = launch.from_file
            if from_file is None and launch.module is not None:
                from_file = runtime.source_file(launch.module, launch.func_dir)
            cmd = runtime.command(from_file, launch.handler, "127.0.0.1", port, launch.args)
        out_path, err_path = _open_logs(logdir)
        (logdir / "command").write_text(" ".join(cmd) + "\n")
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env,
                                    cwd=logdir, start_new_session=True)
        return ProcessHandle(proc)


def _host_path(value: str, volumes: Mapping[str, Path]) -> str:
    """In process mode, a value naming a volume's in-container path names the host folder."""
    for inside, host in volumes.items():
        if value == inside or value.startswith(inside.rstrip("/") + "/"):
            return str(host) + value[len(inside.rstrip("/")):]
    return value


def _readable_by_anyone(folder: Path) -> None:
    """Make a mounted folder readable by the image's non-root user (uid 1000).

    pytest creates its temporary folders with mode 0700 and the suite runs as root; a bind mount
    keeps those modes, so without this the runtime in the container could not read the function.
    """
    for root, dirs, files in os.walk(folder):
        os.chmod(root, os.stat(root).st_mode | 0o755)
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | 0o644)


class ContainerLauncher(Launcher):
    """harness.md's container mode: `podman run --rm --network host --init -v DIR:/kubeless:ro ...`."""

    mode = "container"

    def __init__(self, podman: str = "podman") -> None:
        self.podman = podman

    def start(self, runtime: Runtime, launch: Launch, port: int, logdir: Path) -> Handle:
        if runtime.image is None:
            raise HarnessError(f"no image given for {runtime.name} (--image-{runtime.name})")
        if launch.from_file is not None or launch.args:
            raise HarnessError("from_file and CLI args exist only in process mode (mark the case cli_only)")
        func_dir = launch.func_dir or runtime.functions_dir
        if launch.func_dir is not None:
            _readable_by_anyone(func_dir)
        name = f"kl-conformance-{uuid.uuid4().hex[:12]}"
        cmd = [self.podman, "run", "--rm", "--network", "host", "--init", "--name", name,
               "-v", f"{func_dir}:{CONTAINER_FUNC_DIR}:ro"]
        for inside, host in launch.volumes.items():
            _readable_by_anyone(Path(host))
            cmd += ["-v", f"{host}:{inside}:{'rw' if inside in launch.writable else 'ro'}"]
        env: dict[str, str] = {"FUNC_PORT": str(port), "FUNC_HOST": "127.0.0.1"}
        if launch.module is not None:
            env["MOD_NAME"] = launch.module
        if launch.function is not None:
            env["FUNC_HANDLER"] = launch.function
        env.update(launch.env)
        for key, value in env.items():
            cmd += ["-e", f"{key}={value}"]
        cmd.append(runtime.image)
        out_path, err_path = _open_logs(logdir)
        (logdir / "command").write_text(" ".join(cmd) + "\n")
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                    start_new_session=True)
        return ContainerHandle(proc, name, self.podman)


class Server:
    """A running runtime on `url`, with its output captured so far and process control."""

    def __init__(self, runtime: Runtime, launch: Launch, handle: Handle, port: int, logdir: Path) -> None:
        self.runtime = runtime
        self.launch = launch
        self.handle = handle
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.logdir = logdir
        self._client: httpx.Client | None = None

    # -- output -------------------------------------------------------------------------------
    def stdout(self) -> str:
        return (self.logdir / "stdout.log").read_bytes().decode("utf-8", "replace")

    def stderr(self) -> str:
        return (self.logdir / "stderr.log").read_bytes().decode("utf-8", "replace")

    def wait_for_output(self, pattern: str | re.Pattern, stream: str = "stdout", timeout: float = 5.0,
                        since: int = 0) -> re.Match:
        """Wait until `pattern` appears in stdout/stderr after offset `since`; fail with the output."""
        regex = re.compile(pattern, re.M) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        while True:
            text = getattr(self, stream)()[since:]
            match = regex.search(text)
            if match:
                return match
            if time.monotonic() > deadline:
                raise AssertionError(f"{regex.pattern!r} not on {stream} within {timeout} s; "
                                     f"{stream} since the mark:\n{text[-3000:]}")
            time.sleep(0.02)

    # -- HTTP -----------------------------------------------------------------------------------
    @property
    def client(self) -> httpx.Client:
        """A keep-alive client bound to this server (closed with it)."""
        if self._client is None:
            self._client = httpx.Client(base_url=self.url, timeout=30.0)
        return self._client

    def request(self, method: str, path: str = "/", **kwargs) -> httpx.Response:
        return self.client.request(method, path, **kwargs)

    def get(self, path: str = "/", **kwargs) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def post(self, path: str = "/", **kwargs) -> httpx.Response:
        return self.client.post(path, **kwargs)

    # -- process control ----------------------------------------------------------------------
    def alive(self) -> bool:
        return self.handle.poll() is None

    def signal(self, sig: int) -> None:
        self.handle.send_signal(sig)

    def wait(self, timeout: float) -> int:
        """The exit code; raises `subprocess.TimeoutExpired` if still running after `timeout` s."""
        return self.handle.wait(timeout)

    def pids(self) -> list[int]:
        """The runtime's process and all its descendants (for CPU accounting)."""
        root = self.handle.root_pid()
        return process_tree(root) if root else []

    def host_pid(self, pid: int) -> int | None:
        """The host's pid of a process the runtime names by its own pid (a container has its own
        pid namespace: the innermost `NSpid` entry in /proc/PID/status is the container's view)."""
        if self.runtime.image is None or not isinstance(self.handle, ContainerHandle):
            return pid
        for candidate in self.pids():
            try:
                status = Path(f"/proc/{candidate}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("NSpid:") and int(line.split()[-1]) == pid:
                    return candidate
        return None

    def cpu_seconds(self) -> dict[int, float]:
        """User+system CPU seconds used so far by each process of the runtime's tree."""
        return {pid: cpu for pid in self.pids() if (cpu := process_cpu_seconds(pid)) is not None}

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, wait for the drain, then kill whatever is left; the exit code if it exited."""
        if self._client is not None:
            self._client.close()
            self._client = None
        code = None
        if self.handle.poll() is None:
            self.handle.send_signal(signals.SIGTERM)
            try:
                code = self.handle.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        else:
            code = self.handle.poll()
        self.handle.kill()  # also reaps what a runtime left behind in its process group
        return code

    def describe(self) -> str:
        return (f"{self.runtime.name} ({(self.logdir / 'command').read_text().strip()})\n"
                f"--- stdout ---\n{self.stdout()[-3000:]}\n--- stderr ---\n{self.stderr()[-5000:]}")


def wait_ready(server: Server, timeout: float = READY_TIMEOUT) -> None:
    """Poll `GET /healthz` until 200; fail with the runtime's output if it exits or never answers."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1.0) as client:
        while True:
            code = server.handle.poll()
            if code is not None:
                raise HarnessError(f"runtime exited with {code} before it was ready\n{server.describe()}")
            try:
                if client.get(server.url + "/healthz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise HarnessError(f"runtime not ready within {timeout} s\n{server.describe()}")
            time.sleep(0.05)


def start_server(launcher: Launcher, runtime: Runtime, launch: Launch, logdir: Path,
                 ready_timeout: float = READY_TIMEOUT) -> Server:
    """Start a runtime and return it once `/healthz` answers 200 from it.

    `free_port` cannot reserve its port: a suite run beside this one (`make test-conformance` runs
    four; the image chains run two, on the host's network) may start a runtime on the same port,
    and while ours still loads, theirs answers our probe. Our runtime's process tree (a container's
    too: its processes are the host's) must own the socket listening on its port; when another
    process does, ours is stopped and started again on another port.
    """
    for attempt in range(3):
        port = free_port()
        handle = launcher.start(runtime, launch, port, logdir)
        server = Server(runtime, launch, handle, port, logdir)
        try:
            wait_ready(server, ready_timeout)
        except BaseException:
            server.stop(timeout=2)
            raise
        root = handle.root_pid()
        if root is None or listens_on(process_tree(root), port):
            return server
        server.stop(timeout=2)
    raise HarnessError(f"another process answered on the port of {runtime.name} three times")


@dataclass
class Exit:
    """A runtime run to its end (a start-up error case)."""

    code: int
    stdout: str
    stderr: str
    listened: bool  # whether its port ever accepted a connection while it ran

    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("error:")]


def run_to_exit(launcher: Launcher, runtime: Runtime, launch: Launch, logdir: Path,
                timeout: float = 30.0) -> Exit:
    """Run a runtime that must refuse to start; watch its port the whole time it lives."""
    port = free_port()
    handle = launcher.start(runtime, launch, port, logdir)
    listened = False
    deadline = time.monotonic() + timeout
    try:
        while handle.poll() is None:
            if port_open(port, timeout=0.1):
                listened = True
            if time.monotonic() > deadline:
                raise HarnessError(f"runtime still running after {timeout} s (it should have exited)\n"
                                   f"{Server(runtime, launch, handle, port, logdir).describe()}")
            time.sleep(0.02)
        code = handle.wait(5)
    finally:
        handle.kill()
    server = Server(runtime, launch, handle, port, logdir)
    return Exit(code, server.stdout(), server.stderr(), listened)


# -- /proc accounting (Linux) ----------------------------------------------------------------------
_CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after its last ')'.
    return raw[raw.rindex(")") + 2:].split()


def parent_pid(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[1]) if fields is not None else None


def process_tree(root: int) -> list[int]:
    """`root` and every descendant alive now, from the parent pids in /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def listens_on(pids: Sequence[int], port: int) -> bool:
    """Whether one of `pids` holds the socket listening on 127.0.0.1/0.0.0.0:`port` (Linux /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return True
            except OSError:
                continue
    return False


def process_cpu_seconds(pid: int) -> float | None:
    """utime + stime of one process, in seconds (None when it is gone)."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    # After the name: state(0) ppid(1) ... utime(11) stime(12).
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def cpu_used_between(before: Mapping[int, float], after: Mapping[int, float]) -> float:
    """CPU seconds a process tree used between two samples (new processes count whole)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


# -- raw HTTP (for what httpx will not send: lying Content-Length, endless chunked bodies) ---------
def raw_exchange(port: int, head: bytes, body_chunks: Sequence[bytes] = (), chunk_pause: float = 0.0,
                 timeout: float = 10.0) -> tuple[bytes, bool]:
    """Send a request head then body pieces, reading the answer meanwhile.

    Returns what the server sent and whether it closed the connection. Stops sending as soon as a
    response starts, so a case can prove the server answered *before* the body ended.
    """
    received = b""
    closed = False
    pieces = list(body_chunks)
    deadline = time.monotonic() + timeout
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(head)
            while time.monotonic() < deadline:
                readable, _, _ = select.select([sock], [], [], chunk_pause if pieces else 0.05)
                if readable:
                    data = sock.recv(65536)
                    if not data:
                        closed = True
                        break
                    received += data
                elif pieces and not received:
                    sock.sendall(pieces.pop(0))
        except (ConnectionResetError, BrokenPipeError):
            closed = True
            try:  # what the server sent before resetting may still be readable
                received += sock.recv(65536)
            except OSError:
                pass
    return received, closed


def temp_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


def python_version(launcher: Launcher, runtime: Runtime) -> str:
    """`X.Y` of the interpreter that runs the Python runtime (for `$VOL/lib/pythonX.Y/site-packages`)."""
    code = "import sys; print('%d.%d' % sys.version_info[:2])"
    if isinstance(launcher, ContainerLauncher):
        cmd = [launcher.podman, "run", "--rm", "--entrypoint", "python", runtime.image, "-c", code]
    else:
        cmd = [runtime.cli[0], "-c", code]
    return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120).stdout.strip()
