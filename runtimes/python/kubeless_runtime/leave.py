"""How a forked process of the runtime ends: its output flushed, then `os._exit`.

Workers and executors are forked from the supervisor: unwinding the interpreter normally would run
what they inherited (atexit handlers, the supervisor's finalizers, threads of calls past their
deadline), so they leave through `os._exit`, which writes nothing buffered itself.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

from .capture import flush_outside


def leave(code: int) -> NoReturn:
    flush_outside()  # a partial line written outside any call (JSON logs)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: S110 - a closed or broken stream: nothing left to tell
            pass
    os._exit(code)
