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

import shutil
import statistics
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


def report(bench, args) -> None:
    """Prints the rows above; `bench` is benchmark.py (its Case, run, Server, cold_start, memory_mb)."""
    call = bench.Case("nodejs-call", ours("call"), bare())
    runtime, reference = bench.run(call, args.rounds, args.duration, args.connections)
    for label, sample in (("runtime", runtime), ("reference", reference)):
        print(f"{call.name:<14}{label:<11}{sample.rps:>10.0f}{sample.p50_ms:>9.2f}{sample.p99_ms:>9.2f}", end="")
        print(f"{runtime.rps / reference.rps:>13.2f}" if label == "runtime" else "")

    print(f"\n{'nodejs, against bare http.createServer':<44}{'runtime':>10}{'reference':>11}{'ratio':>8}")
    bare_cold = statistics.median(bench.cold_start(bare(), "/") for _ in range(5))
    for isolation in ("worker", "call"):
        cold = statistics.median(bench.cold_start(ours(isolation), "/healthz") for _ in range(5))
        print(f"{f'  cold start, {isolation} (median of 5)':<44}{cold * 1000:>8.0f}ms{bare_cold * 1000:>9.0f}ms"
              f"{cold / bare_cold:>8.2f}")
    reference_server = bench.Server(bare())
    try:
        time.sleep(1.0)
        bare_pss, _, bare_n = bench.memory_mb(reference_server.process.pid)
    finally:
        reference_server.close()
    for isolation in ("worker", "call"):
        server = bench.Server(ours(isolation))  # answered one request: loaded and warm
        try:
            time.sleep(1.0)
            pss, _, n = bench.memory_mb(server.process.pid)
        finally:
            server.close()
        print(f"{f'  PSS idle, {isolation} ({n} / {bare_n} processes)':<44}{pss:>8.1f}MB{bare_pss:>9.1f}MB"
              f"{pss / bare_pss:>8.2f}")
