"""Big results in worker isolation: encoded in batches, byte for byte what json.dumps gives."""

from __future__ import annotations

import json
import threading
import time

import pytest

from kubeless_runtime.bigjson import BATCH, encode, is_big


def reference(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


@pytest.mark.parametrize(
    "value",
    [
        [0.5] * (BATCH * 2 + 3),
        {"a": [1] * (BATCH + 1), "b": {"c": list(range(BATCH + 5))}, 3: "x", "d": None},
        {str(i): i for i in range(BATCH * 2 + 1)},
        {"k\u00e9y": ["\u00e9\"\\"] * (BATCH + 1)},
        [[1, 2]] * 3,
        [],
        {},
    ],
)
def test_the_same_bytes_as_json_dumps(value: object) -> None:
    assert encode(value) == reference(value)


def test_what_counts_as_big() -> None:
    assert is_big([0] * (BATCH + 1))
    assert is_big({"data": {"rows": [0] * (BATCH + 1)}})
    assert not is_big([0] * BATCH)
    assert not is_big("x" * 10**6)


def test_errors_are_json_dumps_errors() -> None:
    with pytest.raises(ValueError):
        encode([float("nan")] * (BATCH + 1))
    with pytest.raises(TypeError):
        encode([object()] * (BATCH + 1))


def test_the_gil_is_let_go_between_batches() -> None:
    """Another thread (the event loop, in a worker) keeps running while a big list is encoded."""
    ticks: list[float] = []
    done = threading.Event()

    def ticker() -> None:
        while not done.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.005)

    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        encode([0.5] * 3_000_000)
    finally:
        done.set()
        thread.join()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert gaps and max(gaps) < 0.2, f"the other thread stalled for {max(gaps):.2f} s"
