"""The Node.js part of benchmark.py beyond its default case (issue 8 §1), against a bare
`http.createServer` (bench/bare_node.js), in the same run:

  nodejs-call   throughput with FUNC_ISOLATION=call (every call in an executor process)
  cold start    spawn → first 200 (`/healthz` for the runtime, `/` for the bare server), median of 5,
                for the default (worker) isolation and for call isolation
  PSS idle      proportional set size summed over the process tree (/proc/PID/smaps_rollup), after
                one request and a second of rest: what the tree really costs (RSS would count the
                pages processes share once per process), with the number of processes

Kept in its own file so that the Python part of benchmark.py and this one change independently.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
EXAMPLES = ROOT / "runtimes" / "shared" / "examples"
BARE = Path(__file__).resolve().parent / "bare_node.js"


def ours(isolation: str) -> list[str]:
    node = shutil.which("node") or "node"
    return ["env", f"FUNC_ISOLATION={isolation}", node, str(ROOT / "runtimes" / "nodejs"), "--from-file",
            str(EXAMPLES / "hello.js"), "--handler", "hello.bench", "--host", "127.0.0.1", "--port", "{port}"]


def bare() -> list[str]:
    return [shutil.which("node") or "node", str(BARE), "{port}"]


def tree(root: int) -> list[int]:
    """`root` and every process below it."""
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


def pss_mb(root: int) -> tuple[float, int]:
    """PSS summed over the process tree (MB), and how many processes it has."""
    total = 0
    pids = tree(root)
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total += sum(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except OSError:
            continue
    return total / 1024, len(pids)


def answers(port: int, path: str) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            return sock.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def cold_start(free_port, argv: list[str], path: str) -> float:
    """Seconds from spawn to the first 200 on `path`."""
    port = free_port()
    argv = [arg.replace("{port}", str(port)) for arg in argv]
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not answers(port, path):
            if process.poll() is not None or time.perf_counter() - start > 20:
                raise SystemExit(f"benchmark: {' '.join(argv)} did not start")
            time.sleep(0.002)
        return time.perf_counter() - start
    finally:
        process.terminate()
        process.wait(10)


def report(bench, args) -> None:
    """Prints the rows above; `bench` is benchmark.py (its Case, run, Server, free_port)."""
    call = bench.Case("nodejs-call", ours("call"), bare())
    runtime, reference = bench.run(call, args.rounds, args.duration, args.connections)
    for label, sample in (("runtime", runtime), ("reference", reference)):
        print(f"{call.name:<14}{label:<11}{sample.rps:>10.0f}{sample.p50_ms:>9.2f}{sample.p99_ms:>9.2f}", end="")
        print(f"{runtime.rps / reference.rps:>13.2f}" if label == "runtime" else "")

    print(f"\n{'nodejs, against bare http.createServer':<44}{'runtime':>10}{'reference':>11}{'ratio':>8}")
    bare_cold = statistics.median(cold_start(bench.free_port, bare(), "/") for _ in range(5))
    for isolation in ("worker", "call"):
        cold = statistics.median(cold_start(bench.free_port, ours(isolation), "/healthz") for _ in range(5))
        print(f"{f'  cold start, {isolation} (median of 5)':<44}{cold * 1000:>8.0f}ms{bare_cold * 1000:>9.0f}ms"
              f"{cold / bare_cold:>8.2f}")
    reference_server = bench.Server(bare())
    try:
        time.sleep(1.0)
        bare_pss, bare_n = pss_mb(reference_server.process.pid)
    finally:
        reference_server.close()
    for isolation in ("worker", "call"):
        server = bench.Server(ours(isolation))  # answered one request: loaded and warm
        try:
            time.sleep(1.0)
            pss, n = pss_mb(server.process.pid)
        finally:
            server.close()
        print(f"{f'  PSS idle, {isolation} ({n} / {bare_n} processes)':<44}{pss:>8.1f}MB{bare_pss:>9.1f}MB"
              f"{pss / bare_pss:>8.2f}")
