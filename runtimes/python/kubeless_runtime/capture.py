"""What the function writes, as JSON records of its call (`FUNC_LOG_FORMAT=json`; logformat.py).

With `json`, `sys.stdout` and `sys.stderr` become `CaptureStream`s: a `print`, a `sys.stderr.write`
or a `warnings` message is cut into lines, and each line becomes one record (scope `function`,
`log.iostream` stdout / stderr, severity INFO / ERROR) with the ids of the call that wrote it. A
partial line is held per call and per stream until its newline or the call's end. The function's
`logging` keeps its own handlers, levels and filters (`basicConfig` included): a `StreamHandler` that
writes to one of these streams (basicConfig's, logging's last resort) hands over the record itself
instead of its text, so the record's level, logger name and message make the JSON record.

Which call is writing: `current`, a context variable the worker sets in the request's task (an
`async def` call's tasks inherit it; the invoker copies the context into the thread of a `def`
call); in an executor, which runs one call at a time, `begin_process_call` sets it for the whole
process (threads the function starts included). Output outside any call (the module's top level,
threads the function started itself in `worker` isolation) has no call ids.

Records go to stdout, each whole in one `write` (logformat.write). Writes to the file descriptors
themselves (C code, a subprocess, `sys.__stdout__`) are not seen here and pass through as they are.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
from contextvars import ContextVar
from typing import Any

from . import logformat
from .tracecontext import Trace

OUT = 1  # every record goes to stdout


class CallLog:
    """One call as its log records see it: its ids, and the partial lines it has written so far."""

    __slots__ = ("event_id", "trace", "partial", "ended")

    def __init__(self, event_id: str, trace: Trace) -> None:
        self.event_id = event_id
        self.trace = trace
        self.partial: dict[str, str] = {}  # stream name → text after its last newline
        self.ended = False


current: ContextVar[CallLog | None] = ContextVar("kubeless_call", default=None)
_process_call: CallLog | None = None  # an executor's call (one at a time per process)


def current_call() -> CallLog | None:
    return current.get() or _process_call


def begin_process_call(event_id: str, trace: Trace) -> CallLog:
    global _process_call
    _process_call = CallLog(event_id, trace)
    return _process_call


def end_process_call() -> None:
    global _process_call
    if _process_call is not None:
        end(_process_call)
        _process_call = None


def end(call: CallLog) -> None:
    """The call is over: its partial lines are written now; later writes are not held."""
    call.ended = True
    for stream in _streams:
        stream.flush_partial(call)


class _Outside:
    """Stands in for a call for output outside any call: no ids, partial lines held per process."""

    __slots__ = ("partial", "ended")

    def __init__(self) -> None:
        self.partial: dict[str, str] = {}
        self.ended = False


_outside = _Outside()


class CaptureStream(io.TextIOBase):
    """sys.stdout / sys.stderr in JSON mode: each line written becomes a record of the writing call."""

    def __init__(self, name: str, fd: int, severity: tuple[str, int]) -> None:
        super().__init__()
        self._name = name
        self._fd = fd  # what fileno() reports: writes to it bypass the capture
        self._severity = severity
        self._attributes = {"log.iostream": name}
        self._lock = threading.Lock()
        self.buffer = _BinaryCapture(self)

    # -- io.TextIOBase ---------------------------------------------------------------------------

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"<{self._name}>"

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "strict"

    @property
    def line_buffering(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        try:
            return os.isatty(self._fd)
        except OSError:
            return False

    def flush(self) -> None:
        pass  # records are written as their lines end; a partial line waits for its end

    def close(self) -> None:
        pass  # closing sys.stdout must not stop the runtime's own records

    @property
    def closed(self) -> bool:  # type: ignore[override]
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        call = current.get() or _process_call
        holder: Any = call if call is not None else _outside
        name = self._name
        with self._lock:
            pending = holder.partial.pop(name, "") + text if holder.partial else text
            if "\n" not in pending:
                if holder.ended:
                    lines = [pending] if pending else []
                else:
                    if pending:
                        holder.partial[name] = pending
                    return len(text)
            else:
                lines = pending.split("\n")
                rest = lines.pop()
                if rest:
                    if holder.ended:
                        lines.append(rest)
                    else:
                        holder.partial[name] = rest
        if lines:
            self._write_lines(lines, call)
        return len(text)

    # -- records ---------------------------------------------------------------------------------

    def _write_lines(self, lines: list[str], call: CallLog | None) -> None:
        record, severity, attributes = logformat.record, self._severity, self._attributes
        data = b"".join(
            record(line[:-1] if line.endswith("\r") else line, severity, logformat.FUNCTION, call, attributes)
            for line in lines
        )
        logformat.write(OUT, data)

    def flush_partial(self, call: Any) -> None:
        with self._lock:
            pending = call.partial.pop(self._name, "")
        if pending:
            self._write_lines([pending], call if call is not _outside else None)

    def log_record(self, record: logging.LogRecord) -> None:
        """A `logging` record a StreamHandler would have written here, as one JSON record."""
        body = record.getMessage()
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            body = f"{body}\n{record.exc_text}"
        if record.stack_info:
            body = f"{body}\n{_FORMATTER.formatStack(record.stack_info)}"
        logformat.write(OUT, logformat.record(body, severity_of(record.levelno), record.name, current_call()))


class _BinaryCapture:
    """sys.stdout.buffer: bytes written are taken as UTF-8 text."""

    def __init__(self, text: CaptureStream) -> None:
        self._text = text

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._text.write(bytes(data).decode("utf-8", "replace"))
        return len(data)

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        return self._text.fileno()

    def writable(self) -> bool:
        return True


def severity_of(level: int) -> tuple[str, int]:
    """logging's level → the record's severity: WARNING is WARN, CRITICAL is FATAL."""
    if level >= logging.CRITICAL:
        return logformat.FATAL
    if level >= logging.ERROR:
        return logformat.ERROR
    if level >= logging.WARNING:
        return logformat.WARN
    if level >= logging.INFO:
        return logformat.INFO
    return logformat.DEBUG


_FORMATTER = logging.Formatter()
_streams: list[CaptureStream] = []
_stream_emit = logging.StreamHandler.emit


def _emit(self: logging.StreamHandler, record: logging.LogRecord) -> None:  # type: ignore[type-arg]
    stream = self.stream
    if type(stream) is CaptureStream:
        try:
            stream.log_record(record)
        except RecursionError:
            raise
        except Exception:  # noqa: BLE001 - what logging does with a record it cannot format
            self.handleError(record)
        return
    _stream_emit(self, record)


def install() -> None:
    """From now on (in this process and the ones forked from it) output is captured as records."""
    if _streams:
        return
    _streams.extend(
        [CaptureStream("stdout", 1, logformat.INFO), CaptureStream("stderr", 2, logformat.ERROR)]
    )
    sys.stdout, sys.stderr = _streams
    logging.StreamHandler.emit = _emit  # type: ignore[method-assign]


def flush_outside() -> None:
    """Write what is held of a line written outside any call (before a fork, and at exit)."""
    for stream in _streams:
        stream.flush_partial(_outside)
