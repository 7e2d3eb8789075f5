"""Metrics numbers and their sharing between workers through the board."""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from kubeless_runtime.metrics import Board, Metrics, merge


def samples(metrics: Metrics) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_exposition_names_labels_and_buckets() -> None:
    metrics = Metrics(CollectorRegistry())
    numbers = metrics.for_method("POST")
    numbers.calls += 2
    numbers.failures += 1
    numbers.timeouts += 1
    numbers.observe(0.005)  # bucket bounds are inclusive
    numbers.observe(20)
    metrics.in_flight = 3
    got = samples(metrics)
    post = (("method", "POST"),)
    assert got[("function_calls_total", post)] == 2
    assert got[("function_failures_total", post)] == 1
    assert got[("function_timeouts_total", post)] == 1
    assert got[("function_duration_seconds_count", post)] == 2
    assert got[("function_duration_seconds_bucket", (("le", "0.005"), ("method", "POST")))] == 1
    assert got[("function_duration_seconds_bucket", (("le", "10.0"), ("method", "POST")))] == 1
    assert got[("function_duration_seconds_bucket", (("le", "+Inf"), ("method", "POST")))] == 2
    assert got[("function_duration_seconds_sum", post)] == 20.005
    assert got[("function_calls_in_flight", ())] == 3


def test_workers_see_each_others_numbers_and_ended_workers_are_kept() -> None:
    board = Board(slots=4)
    first = Metrics(CollectorRegistry(), board, slot=1)
    second = Metrics(CollectorRegistry(), board, slot=2)
    first.for_method("GET").calls += 5
    first.in_flight = 1
    first.publish()
    second.for_method("GET").calls += 2
    second.for_method("PUT").calls += 1
    assert samples(second)[("function_calls_total", (("method", "GET"),))] == 7
    assert samples(second)[("function_calls_in_flight", ())] == 1

    # The supervisor folds an ended worker into slot 0, as it does on reaping it.
    last = board.read(1)
    last.pop("")
    retired = board.read(0)
    merge(retired, last)
    board.write(0, retired)
    board.clear(1)
    got = samples(second)
    assert got[("function_calls_total", (("method", "GET"),))] == 7
    assert got[("function_calls_in_flight", ())] == 0


def test_a_forked_process_writes_into_the_same_board() -> None:
    board = Board(slots=2)
    pid = os.fork()
    if pid == 0:
        child = Metrics(CollectorRegistry(), board, slot=1)
        child.for_method("DELETE").calls = 4
        child.publish()
        os._exit(0)
    os.waitpid(pid, 0)
    assert board.read(1)["DELETE"][0] == 4


def test_a_slot_left_half_written_is_not_read_and_is_usable_again() -> None:
    board = Board(slots=2)
    board.write(1, {"GET": [1, 0, 0, 0.0, *[0] * 15]})
    version = board._HEADER.unpack_from(board.memory, board.SLOT_SIZE)[0]
    board._HEADER.pack_into(board.memory, board.SLOT_SIZE, version + 1, 5)  # a writer killed mid-write
    assert board.read(1) == {}
    board.write(1, {"": 2})
    assert board.read(1) == {"": 2}
