"""W3C Trace Context: the traceparent parser, and the trace a call gets from its headers."""

from __future__ import annotations

import re

import pytest

from kubeless_runtime.call import make_context
from kubeless_runtime.tracecontext import parse_traceparent, trace_of

TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT = "b7ad6b7169203331"


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        (f"00-{TRACE}-{PARENT}-01", (TRACE, PARENT, "01")),
        (f"00-{TRACE}-{PARENT}-00", (TRACE, PARENT, "00")),
        (f"00-{TRACE}-{PARENT}-03", (TRACE, PARENT, "01")),  # only the sampled bit is kept
        (f"00-{TRACE}-{PARENT}-fe", (TRACE, PARENT, "00")),
        (f"01-{TRACE}-{PARENT}-01", (TRACE, PARENT, "01")),  # a later version, exactly 55 characters
        (f"cc-{TRACE}-{PARENT}-01-and-more", (TRACE, PARENT, "01")),  # ... or more after a "-"
        (f"01-{TRACE}-{PARENT}-01-", (TRACE, PARENT, "01")),
    ],
)
def test_valid_traceparents(value: str, parsed: tuple[str, str, str]) -> None:
    assert parse_traceparent(value.encode()) == parsed


@pytest.mark.parametrize(
    "value",
    [
        f"ff-{TRACE}-{PARENT}-01",  # version ff is invalid
        f"00-{TRACE}-{PARENT}-01-x",  # version 00 is exactly 55 characters
        f"00-{TRACE}-{PARENT}-01 ",
        f"01-{TRACE}-{PARENT}-01x",  # a later version goes on only after a "-"
        f"00-{TRACE.upper()}-{PARENT}-01",  # lowercase hex only
        f"00-{TRACE}-{PARENT.upper()}-01",
        f"0A-{TRACE}-{PARENT}-01",
        f"00-{TRACE}-{PARENT}-0F",
        f"00-{'0' * 32}-{PARENT}-01",  # all-zero ids
        f"00-{TRACE}-{'0' * 16}-01",
        f"00-{TRACE[:-1]}-{PARENT}-01",  # lengths
        f"00-{TRACE}0-{PARENT}-01",
        f"00-{TRACE}-{PARENT[:-1]}-01",
        f"00-{TRACE}-{PARENT}-1",
        f"0-{TRACE}-{PARENT}-01",
        f"00_{TRACE}_{PARENT}_01",  # separators
        f"00-{TRACE}-{PARENT}",
        f"00-{TRACE[:16]}-{TRACE[16:]}-{PARENT}-01",
        "00-" + "g" * 32 + f"-{PARENT}-01",  # not hex
        "",
        "garbage",
    ],
)
def test_invalid_traceparents(value: str) -> None:
    assert parse_traceparent(value.encode()) is None


HEX32, HEX16 = re.compile(r"[0-9a-f]{32}\Z"), re.compile(r"[0-9a-f]{16}\Z")


def _trace(*headers: tuple[bytes, bytes]):  # type: ignore[no-untyped-def]
    return trace_of(dict(headers), list(headers))


def test_a_received_trace_is_continued_with_a_span_of_its_own() -> None:
    trace = _trace((b"traceparent", f"00-{TRACE}-{PARENT}-01".encode()), (b"tracestate", b"rojo=1"),
                   (b"tracestate", b"congo=2"))
    assert (trace.trace_id, trace.parent_id, trace.flags) == (TRACE, PARENT, "01")
    assert HEX16.match(trace.span_id) and trace.span_id != PARENT
    assert trace.tracestate == "rojo=1,congo=2"  # several header lines, joined
    spans = {_trace((b"traceparent", f"00-{TRACE}-{PARENT}-01".encode())).span_id for _ in range(100)}
    assert len(spans) == 100


@pytest.mark.parametrize("headers", [(), ((b"traceparent", b"garbage"), (b"tracestate", b"rojo=1"))])
def test_without_a_valid_traceparent_a_new_sampled_trace_starts(headers) -> None:  # type: ignore[no-untyped-def]
    trace = _trace(*headers)
    assert HEX32.match(trace.trace_id) and trace.trace_id != "0" * 32
    assert HEX16.match(trace.span_id) and trace.span_id != "0" * 16
    assert (trace.parent_id, trace.flags, trace.tracestate) == (None, "01", None)  # tracestate ignored
    assert len({_trace(*headers).trace_id for _ in range(100)}) == 100


def test_the_context_keys() -> None:
    trace = _trace((b"traceparent", f"00-{TRACE}-{PARENT}-00".encode()))
    context = make_context("f", 3.0, "python3.11", None, 12.5, trace)
    assert context["trace-id"] == TRACE and context["span-id"] == trace.span_id
    assert context["parent-span-id"] == PARENT and context["trace-flags"] == "00"
    assert context["traceparent"] == f"00-{TRACE}-{trace.span_id}-00"
    assert context["tracestate"] is None
    assert make_context("f", 3.0, "python3.11", None, 12.5, tuple(trace)) == context  # as an executor gets it
