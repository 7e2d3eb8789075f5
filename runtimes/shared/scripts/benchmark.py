#!/usr/bin/env python3
"""Compare each runtime with the bare server it is built on, in one run on loopback.

Not a test: these machines are shared and noisy, so absolute figures mean little. What this script
reports is a *ratio*, measured in the same run under the same load: each round runs wrk against the
runtime and then against its reference, and the medians over the rounds are compared.

Cases (a trivial function returning "hello world" against a bare app returning the same body):
  python-def         the runtime serving a `def` function, default isolation (auto → call: every
                     call in an executor process)            vs  Starlette `def` endpoint on uvicorn
  python-async       the runtime serving an `async def` (auto → worker)  vs  Starlette `async def` endpoint
  python-def-worker  `def` with FUNC_ISOLATION=worker (thread pool)      vs  Starlette `def` endpoint
  nodejs             the runtime serving a plain JS function             vs  bare `http.createServer`

Then, for Python (default isolation, against the bare Starlette `def` app):
  cold start   spawn → first 200 (`/healthz` for the runtime, `/` for the bare app), median of 5
  PSS idle     proportional set size summed over the process tree (/proc/PID/smaps_rollup): forked
               processes share pages, so PSS is what the tree really costs; RSS would count shared
               pages once per process
  PSS busy     the same under 40 concurrent blocking calls (`time.sleep(0.5)` in a `def`)
  sustained    with `--sustained SECONDS`: RSS/PSS at idle, then after SECONDS of load, for the
               default isolation and for FUNC_ISOLATION=worker (memory must not follow FUNC_TIMEOUT)
Then for Node.js: call isolation, cold start and PSS at idle (bench/nodejs_figures.py).

Needs wrk (`apt-get install wrk`). Run from the repository root, with the project's venv:
  .venv/bin/python runtimes/shared/scripts/benchmark.py [--duration 5] [--rounds 3] [--connections 16]
      [--runtime python|nodejs] [--sustained SECONDS]
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "runtimes" / "shared" / "examples"
BENCH = Path(__file__).resolve().parent / "bench"
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float


@dataclass
class Case:
    name: str
    runtime: list[str]
    reference: list[str]
    env: dict[str, str] | None = None  # for the runtime only


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ours_python(handler: str) -> list[str]:
    return [sys.executable, "-m", "kubeless_runtime", "--from-file", str(EXAMPLES / "hello.py"),
            "--handler", handler, "--host", "127.0.0.1", "--port", "{port}"]


def bare_starlette(app: str) -> list[str]:
    return [sys.executable, "-m", "uvicorn", f"bare_starlette:{app}", "--app-dir", str(BENCH),
            "--host", "127.0.0.1", "--port", "{port}", "--loop", "uvloop", "--http", "httptools",
            "--no-access-log", "--no-proxy-headers", "--log-level", "warning"]


def cases(selected: set[str]) -> list[Case]:
    node = shutil.which("node") or "node"
    everything = [
        Case("python-def", ours_python("hello.bench"), bare_starlette("sync_app")),
        Case("python-async", ours_python("hello.bench_async"), bare_starlette("async_app")),
        Case("python-def-worker", ours_python("hello.bench"), bare_starlette("sync_app"),
             {"FUNC_ISOLATION": "worker"}),
        Case("nodejs",
             [node, str(ROOT / "runtimes" / "nodejs"), "--from-file", str(EXAMPLES / "hello.js"),
              "--handler", "hello.bench", "--host", "127.0.0.1", "--port", "{port}"],
             [node, str(BENCH / "bare_node.js"), "{port}"]),
    ]
    return [case for case in everything if case.name.split("-")[0] in selected]


class Server:
    """A server process on a free loopback port, its output discarded (the access log included)."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        argv = [arg.replace("{port}", str(self.port)) for arg in argv]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        env={**os.environ, **(env or {})})
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"benchmark: {argv[0]} exited: {self.process.stderr.read().decode()}")
            try:
                urllib.request.urlopen(self.url, timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit(f"benchmark: {' '.join(argv)} did not answer within 20 s")

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def wrk(url: str, duration: float, connections: int) -> Sample:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--latency", url],
        check=True, capture_output=True, text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def percentile(p: str) -> float:
        value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * UNITS[unit]

    if re.search(r"Non-2xx or 3xx responses|Socket errors", out):
        raise SystemExit(f"benchmark: errors while loading {url}:\n{out}")
    return Sample(rps, percentile("50"), percentile("99"))


def median(samples: list[Sample]) -> Sample:
    return Sample(*(statistics.median(getattr(s, f) for s in samples) for f in ("rps", "p50_ms", "p99_ms")))


def run(case: Case, rounds: int, duration: float, connections: int) -> tuple[Sample, Sample]:
    ours, reference = Server(case.runtime, case.env), Server(case.reference)
    try:
        for server in (ours, reference):  # warm up: connections, JIT, lazy imports
            wrk(server.url, 1, connections)
        samples: dict[Server, list[Sample]] = {ours: [], reference: []}
        for _ in range(rounds):
            for server in (ours, reference):
                samples[server].append(wrk(server.url, duration, connections))
        return median(samples[ours]), median(samples[reference])
    finally:
        ours.close()
        reference.close()


# -- cold start and memory (Linux /proc) ------------------------------------------------------------

def process_tree(root: int) -> list[int]:
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo.extend(int(child) for child in f.read().split())
        except OSError:
            continue
    return pids


def memory_mb(root: int) -> tuple[float, float, int]:
    """(PSS MB, RSS MB, processes) summed over the process tree."""
    pss = rss = 0
    pids = process_tree(root)
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                    elif line.startswith("Rss:"):
                        rss += int(line.split()[1])
        except OSError:
            continue
    return pss / 1024, rss / 1024, len(pids)


def http_ok(port: int, path: str) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            return sock.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def cold_start(argv: list[str], path: str, env: dict[str, str] | None = None) -> float:
    """Seconds from spawn to the first 200 on `path`."""
    port = free_port()
    argv = [arg.replace("{port}", str(port)) for arg in argv]
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, **(env or {})})
    try:
        while not http_ok(port, path):
            if process.poll() is not None or time.perf_counter() - start > 20:
                raise SystemExit(f"benchmark: {' '.join(argv)} did not start")
            time.sleep(0.002)
        return time.perf_counter() - start
    finally:
        process.terminate()
        process.wait(10)


def print_start_and_memory(connections: int) -> None:
    print()
    ours_argv, bare_argv = ours_python("hello.bench"), bare_starlette("sync_app")
    ours_cold = statistics.median(cold_start(ours_argv, "/healthz") for _ in range(5))
    bare_cold = statistics.median(cold_start(bare_argv, "/") for _ in range(5))
    print(f"{'cold start (spawn → first 200), median of 5':<52}{'runtime':>10}{'reference':>11}{'ratio':>8}")
    print(f"{'  python-def, default isolation':<52}{ours_cold * 1000:>8.0f}ms{bare_cold * 1000:>9.0f}ms"
          f"{ours_cold / bare_cold:>8.2f}")

    print(f"{'memory, summed over the process tree':<52}{'runtime':>10}{'reference':>11}{'ratio':>8}")
    rows = []
    ours, bare = Server(ours_argv), Server(bare_argv)
    try:
        time.sleep(1.0)
        (o_pss, o_rss, o_n), (b_pss, b_rss, b_n) = memory_mb(ours.process.pid), memory_mb(bare.process.pid)
        rows.append((f"  PSS idle (processes: {o_n} / {b_n})", o_pss, b_pss))
        rows.append(("  RSS idle", o_rss, b_rss))
    finally:
        ours.close()
        bare.close()
    for label, argv in (("runtime", ours_python("hello.bench_sleep")), ("reference", bare_starlette("sleep_app"))):
        server = Server(argv)
        try:
            load = subprocess.Popen(["wrk", "-t1", "-c40", "-d4s", server.url], stdout=subprocess.DEVNULL)
            time.sleep(2.5)
            busy = memory_mb(server.process.pid)
            load.wait(10)
        finally:
            server.close()
        if label == "runtime":
            ours_busy = busy
        else:
            rows.append((f"  PSS, 40 concurrent blocking calls (processes: {ours_busy[2]} / {busy[2]})",
                         ours_busy[0], busy[0]))
    for label, ours_mb, bare_mb in rows:
        print(f"{label:<52}{ours_mb:>8.1f}MB{bare_mb:>9.1f}MB{ours_mb / bare_mb:>8.2f}")


def print_sustained(seconds: float, connections: int) -> None:
    print(f"\nsustained load: wrk -t1 -c{connections} for {seconds:g} s, default FUNC_TIMEOUT (180 s)")
    print(f"{'isolation':<22}{'PSS idle':>10}{'PSS after':>11}{'RSS idle':>10}{'RSS after':>11}")
    for name, env in (("default (call)", {}), ("worker", {"FUNC_ISOLATION": "worker"})):
        server = Server(ours_python("hello.bench"), env)
        try:
            wrk(server.url, 1, connections)
            time.sleep(1.0)
            idle = memory_mb(server.process.pid)
            wrk(server.url, seconds, connections)
            time.sleep(1.0)
            after = memory_mb(server.process.pid)
        finally:
            server.close()
        print(f"{name:<22}{idle[0]:>8.1f}MB{after[0]:>9.1f}MB{idle[1]:>8.1f}MB{after[1]:>9.1f}MB")


def node_version() -> str:
    node = shutil.which("node")
    if node is None:
        return "none"
    return subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip() or "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5, help="seconds per wrk run (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per case (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--runtime", action="append", choices=["python", "nodejs"],
                        help="runtime to measure (repeatable; default both)")
    parser.add_argument("--sustained", type=float, default=0, metavar="SECONDS",
                        help="also load the Python runtime this long and compare its memory with idle")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("benchmark: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    os.chdir(ROOT)
    # The runtime as an image or a pip install runs it: from bytecode. A development checkout has
    # none where PYTHONDONTWRITEBYTECODE is set (an editable install), and compiling the runtime's
    # modules at every start would add ~40 ms to its cold start that no deployment pays; the bare
    # app's packages, installed by pip, are compiled already.
    compileall.compile_dir(str(ROOT / "runtimes" / "python" / "kubeless_runtime"), quiet=1)
    print(f"wrk -t1 -c{args.connections} -d{args.duration:g}s, {args.rounds} alternating rounds, medians; "
          f"{os.cpu_count()} cores; Python {sys.version.split()[0]}, Node.js {node_version()}")
    header = f"{'case':<19}{'server':<11}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
    print(header + f"{'ratio req/s':>13}")
    selected = set(args.runtime or ["python", "nodejs"])
    for case in cases(selected):
        ours, reference = run(case, args.rounds, args.duration, args.connections)
        for label, sample in (("runtime", ours), ("reference", reference)):
            print(f"{case.name:<19}{label:<11}{sample.rps:>10.0f}{sample.p50_ms:>9.2f}{sample.p99_ms:>9.2f}",
                  end="")
            print(f"{ours.rps / reference.rps:>13.2f}" if label == "runtime" else "")
    if "python" in selected:
        print_start_and_memory(args.connections)
        if args.sustained > 0:
            print_sustained(args.sustained, args.connections)
    if "nodejs" in selected:
        sys.path.insert(0, str(BENCH))
        import nodejs_figures  # call isolation, cold start, memory (bench/nodejs_figures.py)
        nodejs_figures.report(sys.modules[__name__], args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
