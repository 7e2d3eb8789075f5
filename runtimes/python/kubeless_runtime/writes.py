"""One system call per response: the writes of one loop iteration on a connection, gathered.

uvicorn writes a response's head and its body with two `transport.write` calls, and uvloop sends
each at once: two `send` system calls, each taking the loopback/TCP path on its own, where one
would do. The protocol wraps its transport in `GatheringTransport`, which keeps what is written
during one iteration of the event loop and hands it to the transport in one `write` at the end of
it (`loop.call_soon`): a whole small response leaves in one segment. Order is kept (every write
goes through here), nothing waits longer than the current iteration, and past `FLUSH_BYTES` the
gathered bytes go at once, so a stream written in one step never piles up here. Whatever ends or
hands over the connection (`close`, `abort`, `write_eof`, `set_protocol`) sends what is gathered
first; everything else is the transport's own.
"""

from __future__ import annotations

import asyncio
from typing import Any

FLUSH_BYTES = 64 * 1024


class GatheringTransport:
    __slots__ = ("transport", "loop", "pending", "size", "scheduled")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self.loop = loop
        self.pending: list[bytes] = []
        self.size = 0
        self.scheduled = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        self.pending.append(bytes(data) if type(data) is not bytes else data)
        self.size += len(data)
        if self.size >= FLUSH_BYTES:
            self.flush()
        elif not self.scheduled:
            self.scheduled = True
            self.loop.call_soon(self._flush_soon)

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def _flush_soon(self) -> None:
        self.scheduled = False
        self.flush()

    def flush(self) -> None:
        pending = self.pending
        if not pending:
            return
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        self.pending = []
        self.size = 0
        self.transport.write(data)  # on a closing transport too: it decides, as without us

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def abort(self) -> None:
        self.pending = []
        self.size = 0
        self.transport.abort()

    def write_eof(self) -> None:
        self.flush()
        self.transport.write_eof()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.flush()
        self.transport.set_protocol(protocol)

    def get_write_buffer_size(self) -> int:
        return self.size + self.transport.get_write_buffer_size()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)
