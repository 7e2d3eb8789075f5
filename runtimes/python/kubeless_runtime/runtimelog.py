"""The runtime's own messages: the start-up line, notices and `error: ...` lines with their stacks.

`apache` (the default): the text on stderr, as it always was. `json`: one record on stdout, scope
`kubeless.runtime`, the whole text (a traceback included) in its body, with the ids of the call it
is about (the current one unless given). The runtime never writes its messages through
`sys.stderr` in JSON mode: that stream is the function's (capture.py).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from . import logformat
from .capture import current_call, severity_of

_json = False
_CURRENT: Any = object()  # "the call that is running here", whichever it is


def use_json() -> None:
    global _json
    _json = True


def is_json() -> bool:
    return _json


def say(text: str, severity: tuple[str, int] = logformat.INFO, call: Any = _CURRENT) -> None:
    """One message; `text` may hold several lines (a traceback) and end with a newline or not."""
    if not _json:
        sys.stderr.write(text if text.endswith("\n") else text + "\n")
        return
    if call is _CURRENT:
        call = current_call()
    logformat.write(1, logformat.record(text.rstrip("\n"), severity, logformat.RUNTIME, call))


def error(text: str, call: Any = _CURRENT) -> None:
    say(text, logformat.ERROR, call)


def notice(text: str, severity: tuple[str, int] = logformat.INFO) -> None:
    """`kubeless-runtime: ...`: a notice of the runtime's own, about no call."""
    say(f"kubeless-runtime: {text}", severity, None)


class RuntimeHandler(logging.Handler):
    """For uvicorn's logger in JSON mode: its messages are the runtime's, not the function's (with
    the ids of the call whose task logs one, "Exception in ASGI application")."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = f"{self.prefix} {record.levelname}: {self.format(record)}"
            say(text, severity_of(record.levelno))
        except Exception:  # noqa: BLE001
            self.handleError(record)
