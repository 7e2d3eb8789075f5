"""CONTRACT §7: access log on stdout, no probe lines, FUNC_ACCESS_LOG=off, unbuffered prints."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest

from support import ACCESS_LINE, eventually


def access_lines(text: str) -> list[dict]:
    return [m.groupdict() for m in ACCESS_LINE.finditer(text)]


def test_one_access_line_per_request(serve):
    server = serve("returns", "dispatch", shared=True)
    token = uuid.uuid4().hex
    mark = len(server.stdout())
    response = server.post(f"/log/{token}?x=1", headers={"x-case": "text", "User-Agent": "conformance/1.0",
                                                        "Referer": "https://ref.example/page"})
    assert response.status_code == 200

    def logged() -> dict:
        lines = [line for line in access_lines(server.stdout()[mark:]) if token in line["request"]]
        assert len(lines) == 1, server.stdout()[mark:]
        return lines[0]

    line = eventually(logged)
    assert line["host"] == "127.0.0.1"
    assert line["request"] == f"POST /log/{token}?x=1 HTTP/1.1"
    assert line["status"] == "200"
    assert line["size"] == str(len(response.content))
    assert line["referer"] == "https://ref.example/page"
    assert line["agent"] == "conformance/1.0"


@pytest.mark.parametrize("case, status", [("raise", "500"), ("none", "200")])
def test_access_line_status_and_empty_size(serve, case, status):
    server = serve("returns", "dispatch", shared=True)
    token = uuid.uuid4().hex
    mark = len(server.stdout())
    response = server.post(f"/{token}", headers={"x-case": case})
    assert str(response.status_code) == status

    def logged() -> dict:
        lines = [line for line in access_lines(server.stdout()[mark:]) if token in line["request"]]
        assert len(lines) == 1, server.stdout()[mark:]
        return lines[0]

    line = eventually(logged)
    assert line["status"] == status
    if not response.content:
        assert line["size"] == "-"


def test_runtime_errors_are_logged_too(serve):
    server = serve("returns", "dispatch", shared=True)
    token = uuid.uuid4().hex
    mark = len(server.stdout())
    assert server.post(f"/{token}", content=b"{bad", headers={"Content-Type": "application/json"}).status_code == 400
    server.wait_for_output(rf'"POST /{token} HTTP/1.1" 400 ', since=mark)


def test_probes_are_not_logged(serve):
    server = serve("returns", "dispatch", shared=True)
    mark = len(server.stdout())
    for _ in range(3):
        assert server.get("/healthz").status_code == 200
        assert server.get("/metrics").status_code == 200
    # A request logged after the probes bounds the wait: lines are written in order.
    token = uuid.uuid4().hex
    server.get(f"/{token}")
    server.wait_for_output(token, since=mark)
    text = server.stdout()[mark:]
    assert "/healthz" not in text and "/metrics" not in text, text


def test_access_log_off(serve):
    server = serve("logs", "printer", env={"FUNC_ACCESS_LOG": "off"})
    token = uuid.uuid4().hex
    assert server.get(f"/{token}", headers={"x-token": token}).status_code == 200
    server.wait_for_output(f"^STDOUT {token}$")
    time.sleep(0.3)
    assert not access_lines(server.stdout()), server.stdout()


def prints_while_running(server) -> None:
    token = uuid.uuid4().hex
    done = threading.Event()

    def call() -> None:
        httpx.get(server.url + "/", headers={"x-token": token, "x-seconds": "2"}, timeout=10)
        done.set()

    thread = threading.Thread(target=call)
    thread.start()
    try:
        server.wait_for_output(f"^STDOUT {token}$", timeout=1.5)
        server.wait_for_output(f"^STDERR {token}$", stream="stderr", timeout=0.5)
        assert not done.is_set(), "the print appeared only after the call ended (buffered)"
    finally:
        thread.join(10)


def test_prints_appear_while_the_call_runs(serve):
    prints_while_running(serve("logs", "printer", shared=True))


@pytest.mark.only("python")
def test_python_prints_from_a_thread_appear_while_the_call_runs(serve):
    prints_while_running(serve("logs", "printer_sync", shared=True))
