"""The access log: Apache combined format on stdout, as Kubeless Python wrote it (CONTRACT §7).

Lines are gathered and written together, when `BATCH_LINES` are waiting or `BATCH_DELAY` after
the first of them, whichever comes first: under load that is one `write` for dozens of requests
instead of one each, and a line still reaches stdout within a few milliseconds when idle. The
timestamp is formatted once per second; the quoted Referer and User-Agent are escaped once per
distinct value (clients send the same few over and over).

`JsonAccessLog` (`FUNC_LOG_FORMAT=json`) batches the same way, a JSON record per request
(logformat.py) whose body is the same line, with the ids of the call (capture.current_call: the
request's task has its call set).
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from . import logformat
from .capture import current_call
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


class JsonAccessLog(AccessLog):
    """`FUNC_LOG_FORMAT=json`: each line becomes the body of a `kubeless.access` record, with the
    request's fields as OpenTelemetry HTTP attributes and the ids of the call it answered."""

    __slots__ = ()

    def log(self, scope: dict[str, Any], status: int, size: int, referer: bytes | None, agent: bytes | None) -> None:
        client = scope.get("client")
        query = scope["query_string"]
        method = scope["method"]
        version = scope["http_version"]
        path = scope["raw_path"].decode("latin-1") if "raw_path" in scope else scope["path"]
        target = path + "?" + query.decode("latin-1") if query else path
        now = time.time()
        line = (
            f'{client[0] if client else "-"} - - {self._stamp(int(now))} '
            f'"{method} {target} HTTP/{version}" {status} {size or "-"} '
            f'"{self._quoted(referer)}" "{self._quoted(agent)}"'
        )
        attributes: dict[str, Any] = {"http.request.method": method, "url.path": path}
        if query:
            attributes["url.query"] = query.decode("latin-1")
        attributes["http.response.status_code"] = status
        if size:
            attributes["http.response.body.size"] = size
        if agent:
            attributes["user_agent.original"] = agent.decode("latin-1")
        if client:
            attributes["client.address"] = client[0]
        attributes["network.protocol.version"] = version
        self._append(logformat.record(line, _severity(status), logformat.ACCESS, current_call(), attributes, now))  # type: ignore[arg-type]

    def log_line(self, host: str | None, request_line: str, status: int, size: int) -> None:
        request = request_line.replace("\\", "\\\\").replace('"', '\\"')
        now = time.time()
        line = f'{host or "-"} - - {self._stamp(int(now))} "{request}" {status} {size or "-"} "-" "-"'
        attributes: dict[str, Any] = {"http.response.status_code": status}
        if size:
            attributes["http.response.body.size"] = size
        if host:
            attributes["client.address"] = host
        self._append(logformat.record(line, _severity(status), logformat.ACCESS, None, attributes, now))  # type: ignore[arg-type]

    def flush(self) -> None:
        if not self._pending:
            return
        data = b"".join(self._pending)  # type: ignore[arg-type]
        self._pending.clear()
        logformat.write(self._fd, data)


def _severity(status: int) -> tuple[str, int]:
    return logformat.INFO if status < 400 else logformat.WARN if status < 500 else logformat.ERROR
