"""The calls a worker has in flight, where the supervisor can read them after the worker died.

CONTRACT §5 (`worker` isolation): calls lost with a worker that dies are logged with their event id
and counted as failures by the process that survives. The worker cannot do it (it is dead), so it
keeps its calls in flight in a small table in shared memory that the supervisor mapped before
forking it: one fixed-size slot per call, `length byte | "METHOD event-id"`, written when the call
starts and cleared when it ends (about a microsecond each). Only the dead worker's table is read,
so there is no concurrent reader to guard against. With JSON logs (`with_trace`) the slot starts
with the call's trace id, span id and flags, so the supervisor's record of a lost call carries them.
"""

from __future__ import annotations

import mmap
from typing import Any

SLOTS = 2048  # calls in flight tracked per worker; more are still served, only not reported if lost
SLOT_SIZE = 128


class InFlight:
    def __init__(self, with_trace: bool = False) -> None:
        self.memory = mmap.mmap(-1, SLOTS * SLOT_SIZE)  # MAP_SHARED: the supervisor reads the worker's writes
        self.free = list(range(SLOTS - 1, -1, -1))
        self.with_trace = with_trace

    def add(self, method: str, event_id: str, trace: Any = None) -> int:
        """Record a call; returns its slot (-1 when the table is full). `trace`: a tracecontext.Trace."""
        if not self.free:
            return -1
        slot = self.free.pop()
        text = f"{method} {event_id}"
        if self.with_trace:
            text = f"{trace[0]} {trace[1]} {trace[3]} {text}"
        data = text.encode("utf-8", "replace")[: SLOT_SIZE - 1]
        base = slot * SLOT_SIZE
        self.memory[base + 1 : base + 1 + len(data)] = data
        self.memory[base] = len(data)
        return slot

    def remove(self, slot: int) -> None:
        if slot >= 0:
            self.memory[slot * SLOT_SIZE] = 0
            self.free.append(slot)

    def lost(self) -> list[tuple[str, str, tuple[str, str, str] | None]]:
        """(method, event id, (trace id, span id, flags) or None) of every call still recorded:
        read after the worker died."""
        calls = []
        for slot in range(SLOTS):
            base = slot * SLOT_SIZE
            length = self.memory[base]
            if length:
                text = bytes(self.memory[base + 1 : base + 1 + length]).decode("utf-8", "replace")
                ids = None
                if self.with_trace:
                    trace_id, span_id, flags, text = text.split(" ", 3)
                    ids = (trace_id, span_id, flags)
                method, _, event_id = text.partition(" ")
                calls.append((method, event_id, ids))
        return calls

    def close(self) -> None:
        self.memory.close()
