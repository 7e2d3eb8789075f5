"""The access log: Apache combined format on stdout, as Kubeless Python wrote it (CONTRACT §7).

Lines are gathered and written together, when `BATCH_LINES` are waiting or `BATCH_DELAY` after
the first of them, whichever comes first: under load that is one `write` for dozens of requests
instead of one each, and a line still reaches stdout within a few milliseconds when idle. The
timestamp is formatted once per second; the quoted Referer and User-Agent are escaped once per
distinct value (clients send the same few over and over).
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from .timefmt import SecondStamp

BATCH_LINES = 64
BATCH_DELAY = 0.01
_QUOTED_CACHE_SIZE = 512


class AccessLog:
    __slots__ = ("_fd", "_pending", "_scheduled", "_stamp", "_quoted_cache")

    def __init__(self, fd: int = 1) -> None:
        self._fd = fd
        self._pending: list[str] = []
        self._scheduled = False
        self._stamp = SecondStamp("[%d/%b/%Y:%H:%M:%S +0000]")
        self._quoted_cache: dict[bytes, str] = {}

    def _quoted(self, value: bytes | None) -> str:
        if not value:
            return "-"
        text = self._quoted_cache.get(value)
        if text is None:
            text = value.decode("latin-1").replace("\\", "\\\\").replace('"', '\\"')
            if len(self._quoted_cache) < _QUOTED_CACHE_SIZE:
                self._quoted_cache[value] = text
        return text

    def log(self, scope: dict[str, Any], status: int, size: int, referer: bytes | None, agent: bytes | None) -> None:
        """Queue one line: host, time, request line, status, body size, Referer, User-Agent."""
        client = scope.get("client")
        query = scope["query_string"]
        target = scope["raw_path"].decode("latin-1") if "raw_path" in scope else scope["path"]
        if query:
            target = target + "?" + query.decode("latin-1")
        self._append(
            f'{client[0] if client else "-"} - - {self._stamp(int(time.time()))} '
            f'"{scope["method"]} {target} HTTP/{scope["http_version"]}" {status} {size or "-"} '
            f'"{self._quoted(referer)}" "{self._quoted(agent)}"\n'
        )

    def log_line(self, host: str | None, request_line: str, status: int, size: int) -> None:
        """A line for a request answered before it was parsed whole: `request_line` as received, or "-"."""
        request = request_line.replace("\\", "\\\\").replace('"', '\\"')
        self._append(f'{host or "-"} - - {self._stamp(int(time.time()))} "{request}" {status} {size or "-"} "-" "-"\n')

    def _append(self, line: str) -> None:
        self._pending.append(line)
        if len(self._pending) >= BATCH_LINES:
            self.flush()
        elif not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_later(BATCH_DELAY, self._flush_later)

    def _flush_later(self) -> None:
        self._scheduled = False
        self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        # Every field is ASCII or bytes from the request decoded as latin-1: encoding back to
        # latin-1 writes the client's bytes exactly as they came.
        data = "".join(self._pending).encode("latin-1", "replace")
        self._pending.clear()
        try:
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except BlockingIOError:  # a non-blocking stdout that is full: drop the rest, never stall
            pass
        except OSError:  # stdout closed: nothing to log to
            pass
