"""`docker stop` / `podman stop` (SIGTERM, then SIGKILL after the grace time): the runtime, as
PID 1 of the container, drains the calls in flight and exits 0 at once, rather than being killed
after the 10 s default. Checked with and without an init process in front of it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from podman import Container

# How long `podman stop` may take beyond the call it waits for (CONTAINER stop budget).
STOP_BUDGET = 2.0


@pytest.mark.parametrize("init", [False, True], ids=["pid1", "init"])
def test_stop_exits_at_once_when_idle(image: str, func_dir: Path, containers: list[Container],
                                      init: bool) -> None:
    server = Container(image, "imgtest", "whoami", func_dir, init=init)
    containers.append(server)
    server.wait_ready()
    took = server.stop(grace=10)
    assert took < STOP_BUDGET, f"podman stop took {took:.1f}s:\n{server.logs()}"
    assert server.exit_code() == 0, server.logs()


@pytest.mark.parametrize("init", [False, True], ids=["pid1", "init"])
def test_stop_lets_the_call_in_flight_finish(image: str, func_dir: Path, containers: list[Container],
                                             init: bool) -> None:
    server = Container(image, "imgtest", "slow", func_dir, init=init)
    containers.append(server)
    server.wait_ready()
    answers: list[httpx.Response | Exception] = []

    def call() -> None:
        try:
            answers.append(httpx.get(f"{server.url}/?seconds=1", timeout=15))
        except Exception as error:  # reported below, with the container's output
            answers.append(error)

    caller = threading.Thread(target=call)
    caller.start()
    time.sleep(0.3)  # the call is in the function now
    took = server.stop(grace=10)
    caller.join(timeout=15)

    assert answers and isinstance(answers[0], httpx.Response), f"{answers}\n{server.logs()}"
    assert (answers[0].status_code, answers[0].text) == (200, "finished")
    # It waited for the call (about 0.7 s left of it), and not much longer.
    assert 0.4 < took < 1 + STOP_BUDGET, f"podman stop took {took:.1f}s:\n{server.logs()}"
    assert server.exit_code() == 0, server.logs()
