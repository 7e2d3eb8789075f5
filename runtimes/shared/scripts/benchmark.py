#!/usr/bin/env python3
"""Compare each runtime with the bare server it is built on, in one run on loopback.

Not a test: these machines are shared and noisy, so absolute figures mean little. What this script
reports is a *ratio*, measured in the same run under the same load: each round runs wrk against the
runtime and then against its reference, and the medians over the rounds are compared.

Cases (a trivial function returning "hello world" against a bare app returning the same body):
  python-def    the runtime serving a `def` function      vs  Starlette `def` endpoint on uvicorn
  python-async  the runtime serving an `async def`         vs  Starlette `async def` endpoint on uvicorn
  nodejs        the runtime serving a plain JS function    vs  bare `http.createServer`
  then for Node.js: call isolation, cold start and PSS at idle (bench/nodejs_figures.py)

Needs wrk (`apt-get install wrk`). Run from the repository root, with the project's venv:
  .venv/bin/python runtimes/shared/scripts/benchmark.py [--duration 5] [--rounds 3] [--connections 16]
"""

from __future__ import annotations

import argparse
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cases(selected: set[str]) -> list[Case]:
    python, node = sys.executable, shutil.which("node") or "node"

    def ours_python(handler: str) -> list[str]:
        return [python, "-m", "kubeless_runtime", "--from-file", str(EXAMPLES / "hello.py"),
                "--handler", handler, "--host", "127.0.0.1", "--port", "{port}"]

    def bare_starlette(app: str) -> list[str]:
        return [python, "-m", "uvicorn", f"bare_starlette:{app}", "--app-dir", str(BENCH),
                "--host", "127.0.0.1", "--port", "{port}", "--loop", "uvloop", "--http", "httptools",
                "--no-access-log", "--no-proxy-headers", "--log-level", "warning"]

    everything = [
        Case("python-def", ours_python("hello.bench"), bare_starlette("sync_app")),
        Case("python-async", ours_python("hello.bench_async"), bare_starlette("async_app")),
        Case("nodejs",
             [node, str(ROOT / "runtimes" / "nodejs"), "--from-file", str(EXAMPLES / "hello.js"),
              "--handler", "hello.bench", "--host", "127.0.0.1", "--port", "{port}"],
             [node, str(BENCH / "bare_node.js"), "{port}"]),
    ]
    return [case for case in everything if case.name.split("-")[0] in selected]


class Server:
    """A server process on a free loopback port, its output discarded (the access log included)."""

    def __init__(self, argv: list[str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        argv = [arg.replace("{port}", str(self.port)) for arg in argv]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url],
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
    ours, reference = Server(case.runtime), Server(case.reference)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5, help="seconds per wrk run (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per case (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--runtime", action="append", choices=["python", "nodejs"],
                        help="runtime to measure (repeatable; default both)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("benchmark: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    os.chdir(ROOT)
    print(f"wrk -t1 -c{args.connections} -d{args.duration}s, {args.rounds} alternating rounds, medians; "
          f"{os.cpu_count()} cores")
    header = f"{'case':<14}{'server':<11}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
    print(header + f"{'ratio req/s':>13}")
    for case in cases(set(args.runtime or ["python", "nodejs"])):
        ours, reference = run(case, args.rounds, args.duration, args.connections)
        for label, sample in (("runtime", ours), ("reference", reference)):
            print(f"{case.name:<14}{label:<11}{sample.rps:>10.0f}{sample.p50_ms:>9.2f}{sample.p99_ms:>9.2f}",
                  end="")
            print(f"{ours.rps / reference.rps:>13.2f}" if label == "runtime" else "")
    if "nodejs" in set(args.runtime or ["python", "nodejs"]):
        sys.path.insert(0, str(BENCH))
        import nodejs_figures  # call isolation, cold start, memory (bench/nodejs_figures.py)
        nodejs_figures.report(sys.modules[__name__], args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
