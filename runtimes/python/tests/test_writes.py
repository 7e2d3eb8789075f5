"""GatheringTransport: the writes of one loop iteration reach the transport as one, in order."""

from __future__ import annotations

import asyncio

from kubeless_runtime.writes import FLUSH_BYTES, GatheringTransport


class Recording:
    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes]] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.calls.append(("write", bytes(data)))

    def close(self) -> None:
        self.calls.append(("close", b""))
        self.closing = True

    def abort(self) -> None:
        self.calls.append(("abort", b""))

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


def run(steps) -> Recording:  # type: ignore[no-untyped-def]
    async def main() -> Recording:
        recording = Recording()
        transport = GatheringTransport(recording, asyncio.get_running_loop())  # type: ignore[arg-type]
        await steps(transport, recording)
        return recording
    return asyncio.run(main())


def test_a_head_and_a_body_written_in_one_step_leave_in_one_write() -> None:
    async def steps(t: GatheringTransport, r: Recording) -> None:
        t.write(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n")
        t.write(memoryview(b"hello"))
        assert r.calls == [] and t.get_write_buffer_size() == 43
        await asyncio.sleep(0)
        assert r.calls == [("write", b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello")]
        t.write(b"next")  # a later step: its own write
        await asyncio.sleep(0)
    assert [data for _, data in run(steps).calls] == [b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello", b"next"]


def test_past_the_flush_size_the_bytes_go_at_once_in_order() -> None:
    async def steps(t: GatheringTransport, r: Recording) -> None:
        t.write(b"a")
        t.write(b"b" * FLUSH_BYTES)
        assert r.calls == [("write", b"a" + b"b" * FLUSH_BYTES)]
        t.write(b"c")
        await asyncio.sleep(0)
    assert [data[-1:] for _, data in run(steps).calls] == [b"b", b"c"]


def test_close_sends_what_is_gathered_first_and_abort_drops_it() -> None:
    async def steps(t: GatheringTransport, r: Recording) -> None:
        t.write(b"answer")
        t.close()
        assert r.calls == [("write", b"answer"), ("close", b"")]
        t.write(b"late")  # the transport decides what a write after close means, as without us
        await asyncio.sleep(0)
        assert r.calls[-1] == ("write", b"late")
        t.write(b"dropped")
        t.abort()
        await asyncio.sleep(0)
        assert r.calls[-1] == ("abort", b"")
    run(steps)


def test_everything_else_is_the_transport_s_own() -> None:
    async def steps(t: GatheringTransport, r: Recording) -> None:
        assert t.get_extra_info("peername") == "info:peername"
        assert t.is_closing() is False
    run(steps)
