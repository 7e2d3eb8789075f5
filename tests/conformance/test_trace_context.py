"""CONTRACT §4: W3C Trace Context (traceparent, tracestate) read into the context, a span per call."""

from __future__ import annotations

import re

import pytest

TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT = "b7ad6b7169203331"
HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")


def handlers(runtime) -> list[str]:
    """The context functions: `async def` and `def` in Python, one in Node.js."""
    return ["context", "context_sync"] if runtime.name == "python" else ["context"]


def trace_of(server, handler: str, headers=None) -> dict:
    response = server.get(f"/{handler}", headers=headers or [])
    assert response.status_code == 200, response.text
    return response.json()


def assert_new_trace(trace: dict, not_trace: str | None = None) -> None:
    assert HEX32.match(trace["trace-id"]) and trace["trace-id"] != "0" * 32, trace
    assert trace["trace-id"] != not_trace
    assert trace["parent-span-id"] is None
    assert trace["trace-flags"] == "01"
    assert trace["tracestate"] is None
    assert HEX16.match(trace["span-id"]) and trace["span-id"] != "0" * 16, trace
    assert trace["traceparent"] == f"00-{trace['trace-id']}-{trace['span-id']}-01"


@pytest.mark.smoke
def test_a_received_trace_is_continued(serve, runtime):
    for handler in handlers(runtime):
        server = serve("k8s", handler, shared=True)
        trace = trace_of(server, handler, {"traceparent": f"00-{TRACE}-{PARENT}-01",
                                           "tracestate": "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"})
        assert trace["trace-id"] == TRACE
        assert trace["parent-span-id"] == PARENT
        assert HEX16.match(trace["span-id"]) and trace["span-id"] not in (PARENT, "0" * 16), trace
        assert trace["trace-flags"] == "01"
        assert trace["traceparent"] == f"00-{TRACE}-{trace['span-id']}-01"
        assert trace["tracestate"] == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"


@pytest.mark.parametrize("flags, kept", [("00", "00"), ("01", "01"), ("03", "01"), ("02", "00"), ("ff", "01")])
def test_the_sampled_flag_is_kept_as_received(serve, runtime, flags, kept):
    server = serve("k8s", "context", shared=True)
    trace = trace_of(server, "context", {"traceparent": f"00-{TRACE}-{PARENT}-{flags}"})
    assert trace["trace-id"] == TRACE
    assert trace["trace-flags"] == kept
    assert trace["traceparent"].endswith(f"-{kept}")


def test_every_call_is_a_span_of_its_own(serve, runtime):
    server = serve("k8s", "context", shared=True)
    spans = {trace_of(server, "context", {"traceparent": f"00-{TRACE}-{PARENT}-01"})["span-id"] for _ in range(5)}
    assert len(spans) == 5


def test_without_traceparent_a_new_trace_starts(serve, runtime):
    for handler in handlers(runtime):
        server = serve("k8s", handler, shared=True)
        first, second = trace_of(server, handler), trace_of(server, handler)
        assert_new_trace(first)
        assert_new_trace(second)
        assert first["trace-id"] != second["trace-id"]


@pytest.mark.parametrize("traceparent", [
    f"00-{TRACE.upper()}-{PARENT}-01",           # upper-case hex
    f"ff-{TRACE}-{PARENT}-01",                   # version ff is invalid
    f"00-{'0' * 32}-{PARENT}-01",                # all-zero trace id
    f"00-{TRACE}-{'0' * 16}-01",                 # all-zero parent id
    f"00-{TRACE[:-1]}-{PARENT}-01",              # short trace id
    f"00-{TRACE}-{PARENT}-01-extra",             # version 00 is exactly 55 characters
    f"00-{TRACE}-{PARENT}-1",                    # short flags
    f"00_{TRACE}_{PARENT}_01",                   # wrong separators
    "garbage",
    "",
], ids=["uppercase", "version-ff", "zero-trace", "zero-parent", "short-trace", "v00-suffix",
        "short-flags", "separators", "garbage", "empty"])
def test_an_invalid_traceparent_starts_a_new_trace_and_ignores_tracestate(serve, runtime, traceparent):
    server = serve("k8s", "context", shared=True)
    trace = trace_of(server, "context", {"traceparent": traceparent, "tracestate": "rojo=00f067aa0ba902b7"})
    assert_new_trace(trace, not_trace=TRACE)


def test_a_later_version_is_read_as_version_00(serve, runtime):
    server = serve("k8s", "context", shared=True)
    trace = trace_of(server, "context", {"traceparent": f"01-{TRACE}-{PARENT}-01-what-comes-later"})
    assert trace["trace-id"] == TRACE and trace["parent-span-id"] == PARENT
    assert trace["traceparent"].startswith(f"00-{TRACE}-")  # we speak version 00
    # ... but after its first 55 characters a later version must go on with "-".
    trace = trace_of(server, "context", {"traceparent": f"01-{TRACE}-{PARENT}-01x"})
    assert_new_trace(trace, not_trace=TRACE)


def test_tracestate_header_lines_are_joined(serve, runtime):
    server = serve("k8s", "context", shared=True)
    trace = trace_of(server, "context", [("traceparent", f"00-{TRACE}-{PARENT}-01"),
                                         ("tracestate", "rojo=00f067aa0ba902b7"), ("tracestate", "congo=t61rcWkgMzE")])
    assert [part.strip() for part in trace["tracestate"].split(",")] == ["rojo=00f067aa0ba902b7", "congo=t61rcWkgMzE"]
