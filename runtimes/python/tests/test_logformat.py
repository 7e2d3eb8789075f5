"""JSON log records (FUNC_LOG_FORMAT=json): the record writer, and the capture of a call's output."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
from collections.abc import Iterator
from contextvars import copy_context

import pytest

from kubeless_runtime import capture, logformat
from kubeless_runtime.tracecontext import Trace

TRACE = Trace("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", None, "01", None)
KEYS = ["timestamp", "severity_text", "severity_number", "body", "scope", "trace_id", "span_id", "trace_flags",
        "attributes"]


def test_a_record_outside_any_call() -> None:
    data = logformat.record("serving", logformat.INFO, logformat.RUNTIME, now=1795755600.1234)
    assert data.endswith(b"\n") and data.count(b"\n") == 1
    assert json.loads(data) == {
        "timestamp": "2026-11-27T05:00:00.123Z", "severity_text": "INFO", "severity_number": 9,
        "body": "serving", "scope": "kubeless.runtime",
    }
    assert data.startswith(b'{"timestamp":"2026-11-27T05:00:00.123Z","severity_text":"INFO","severity_number":9,')


def test_a_record_of_a_call_in_the_contract_order() -> None:
    call = capture.CallLog("EVENT-ID", TRACE)
    data = logformat.record("line 1\nline 2", logformat.ERROR, "function", call, {"log.iostream": "stderr"})
    record = json.loads(data)
    assert list(record) == KEYS
    assert (record["severity_text"], record["severity_number"]) == ("ERROR", 17)
    assert record["body"] == "line 1\nline 2" and data.count(b"\n") == 1  # a stack stays in one line
    assert (record["trace_id"], record["span_id"], record["trace_flags"]) == (TRACE.trace_id, TRACE.span_id, "01")
    assert record["attributes"] == {"faas.invocation_id": "EVENT-ID", "log.iostream": "stderr"}
    assert b" " not in data.replace(b"line 1", b"").replace(b"line 2", b"")  # compact


@pytest.mark.parametrize("severity", [logformat.DEBUG, logformat.INFO, logformat.WARN, logformat.ERROR, logformat.FATAL])
def test_severities(severity: tuple[str, int]) -> None:
    record = json.loads(logformat.record("x", severity, "function"))
    assert (record["severity_text"], record["severity_number"]) == severity
    assert dict([logformat.DEBUG, logformat.INFO, logformat.WARN, logformat.ERROR, logformat.FATAL]) == {
        "DEBUG": 5, "INFO": 9, "WARN": 13, "ERROR": 17, "FATAL": 21,
    }


def test_text_is_utf8_and_a_lone_surrogate_stays_valid_json() -> None:
    data = logformat.record("héllo ✓ \x00 \"q\"", logformat.INFO, "function")
    assert "héllo ✓".encode() in data
    assert json.loads(data.decode("utf-8"))["body"] == "héllo ✓ \x00 \"q\""
    data = logformat.record(b"\xff".decode("utf-8", "surrogateescape"), logformat.INFO, "function")
    assert json.loads(data.decode("utf-8"))["body"] == "\udcff"


def test_timestamps_have_milliseconds_and_z() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", logformat.timestamp())
    assert logformat.timestamp(0.999) == "1970-01-01T00:00:00.999Z"


def test_write_writes_everything() -> None:
    read, write = os.pipe()
    try:
        data = b"x" * 200_000  # more than a pipe takes at once
        thread = threading.Thread(target=logformat.write, args=(write, data))
        thread.start()
        got = b""
        while len(got) < len(data):
            got += os.read(read, 1 << 16)
        thread.join(5)
        assert got == data
    finally:
        os.close(read)
        os.close(write)


# -- capture.py ----------------------------------------------------------------------------------


class Written:
    """What the capture streams write, each `write` checked to hold whole records only."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def __call__(self, fd: int, data: bytes) -> None:
        assert fd == capture.OUT
        assert data.endswith(b"\n")
        self.writes.append(data)

    def __iter__(self) -> Iterator[dict]:
        return iter([json.loads(line) for data in self.writes for line in data.splitlines()])


@pytest.fixture
def out(monkeypatch: pytest.MonkeyPatch) -> Written:
    written = Written()
    monkeypatch.setattr(logformat, "write", written)
    return written


def streams() -> tuple[capture.CaptureStream, capture.CaptureStream]:
    stdout = capture.CaptureStream("stdout", 1, logformat.INFO)
    stderr = capture.CaptureStream("stderr", 2, logformat.ERROR)
    return stdout, stderr


def in_call(call: capture.CallLog, fn, *args):  # type: ignore[no-untyped-def]
    def run():  # type: ignore[no-untyped-def]
        capture.current.set(call)
        return fn(*args)

    return copy_context().run(run)


def test_lines_of_a_call_partial_lines_and_its_end(out: Written, monkeypatch: pytest.MonkeyPatch) -> None:
    stdout, stderr = streams()
    monkeypatch.setattr(capture, "_streams", [stdout, stderr])
    call = capture.CallLog("E1", TRACE)

    def function() -> None:
        print("hello", end="", file=stdout)
        print(" world", file=stdout)
        stderr.write("one\r\ntwo\nthree")
        stdout.write("tail")

    in_call(call, function)
    assert [r["body"] for r in out] == ["hello world", "one", "two"]  # partial lines are held
    capture.end(call)
    records = list(out)
    assert [r["body"] for r in records] == ["hello world", "one", "two", "tail", "three"]
    streams_of = {r["body"]: (r["attributes"]["log.iostream"], r["severity_text"]) for r in records}
    assert streams_of["hello world"] == ("stdout", "INFO") and streams_of["three"] == ("stderr", "ERROR")
    for record in records:
        assert record["scope"] == "function" and record["trace_id"] == TRACE.trace_id
        assert record["attributes"]["faas.invocation_id"] == "E1"
    in_call(call, stdout.write, "late")  # after its end nothing is held
    assert list(out)[-1]["body"] == "late"


def test_output_outside_any_call_has_no_ids(out: Written, monkeypatch: pytest.MonkeyPatch) -> None:
    stdout, stderr = streams()
    monkeypatch.setattr(capture, "_streams", [stdout, stderr])
    stdout.write("loading ")
    stdout.write("done\npartial")
    capture.flush_outside()
    records = list(out)
    assert [r["body"] for r in records] == ["loading done", "partial"]
    assert all("trace_id" not in r and r["attributes"] == {"log.iostream": "stdout"} for r in records)


def test_an_executor_call_is_the_process_call(out: Written, monkeypatch: pytest.MonkeyPatch) -> None:
    stdout, stderr = streams()
    monkeypatch.setattr(capture, "_streams", [stdout, stderr])
    capture.begin_process_call("E2", TRACE)
    try:
        thread = threading.Thread(target=stdout.write, args=("from a thread it started\n",))
        thread.start()
        thread.join()
        stdout.write("no newline")
    finally:
        capture.end_process_call()
    assert capture.current_call() is None
    assert [(r["body"], r["attributes"]["faas.invocation_id"]) for r in out] == [
        ("from a thread it started", "E2"), ("no newline", "E2")]


def test_concurrent_calls_keep_their_own_lines(out: Written, monkeypatch: pytest.MonkeyPatch) -> None:
    stdout, stderr = streams()
    monkeypatch.setattr(capture, "_streams", [stdout, stderr])
    calls = [capture.CallLog(f"E{i}", TRACE) for i in range(8)]

    async def function(call: capture.CallLog) -> None:
        capture.current.set(call)
        for i in range(20):
            stdout.write(f"{call.event_id} ")
            await asyncio.sleep(0)
            stdout.write(f"line {i}\n")
        capture.end(call)

    async def main() -> None:
        await asyncio.gather(*(asyncio.create_task(function(call)) for call in calls))

    asyncio.run(main())
    records = list(out)
    assert len(records) == 160
    for record in records:
        assert re.fullmatch(r"E\d line \d+", record["body"])
        assert record["body"].split()[0] == record["attributes"]["faas.invocation_id"]


def test_logging_records_keep_level_logger_and_exception(out: Written, monkeypatch: pytest.MonkeyPatch) -> None:
    stdout, stderr = streams()
    monkeypatch.setattr(logging.StreamHandler, "emit", capture._emit)
    logger = logging.getLogger("myapp.db")
    handler = logging.StreamHandler(stderr)  # what basicConfig() makes
    handler.setFormatter(logging.Formatter("%(levelname)s:%(name)s:%(message)s"))  # not used: the record is
    monkeypatch.setattr(logger, "handlers", [handler])
    monkeypatch.setattr(logger, "propagate", False)
    monkeypatch.setattr(logger, "level", logging.INFO)  # the function's own level keeps filtering

    def function() -> None:
        logger.debug("filtered out")
        logger.info("saved %d rows", 3)
        logger.warning("slow")
        try:
            1 / 0
        except ZeroDivisionError:
            logger.exception("failed")
        logger.critical("down")

    in_call(capture.CallLog("E3", TRACE), function)
    records = list(out)
    assert [(r["body"].split("\n")[0], r["severity_text"], r["scope"]) for r in records] == [
        ("saved 3 rows", "INFO", "myapp.db"), ("slow", "WARN", "myapp.db"), ("failed", "ERROR", "myapp.db"),
        ("down", "FATAL", "myapp.db")]
    assert "Traceback" in records[2]["body"] and "ZeroDivisionError: division by zero" in records[2]["body"]
    assert all(r["attributes"]["faas.invocation_id"] == "E3" for r in records)


def test_a_stream_handler_elsewhere_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logging.StreamHandler, "emit", capture._emit)
    import io

    text = io.StringIO()
    handler = logging.StreamHandler(text)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.emit(logging.LogRecord("x", logging.WARNING, __file__, 1, "plain %s", ("text",), None))
    assert text.getvalue() == "WARNING plain text\n"
