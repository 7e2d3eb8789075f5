"""CONTRACT §7: `FUNC_LOG_FORMAT=json`, one OpenTelemetry-shaped record per line, each line of a call
carrying its event id and trace context."""

from __future__ import annotations

import json
import re
import threading
import uuid

import httpx
import pytest

from support import ACCESS_LINE, RFC3339_MS_Z, eventually

JSON_LOGS = {"FUNC_LOG_FORMAT": "json"}
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
KEYS = ["timestamp", "severity_text", "severity_number", "body", "scope", "trace_id", "span_id",
        "trace_flags", "attributes"]
SEVERITY = {"DEBUG": 5, "INFO": 9, "WARN": 13, "ERROR": 17, "FATAL": 21}


def records(server) -> list[dict]:
    """Every stdout line, parsed: all of them must be JSON records of the contract's shape."""
    parsed = []
    for line in server.stdout().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            raise AssertionError(f"not a JSON line on stdout: {line!r}") from None
        assert isinstance(record, dict), line
        assert [key for key in KEYS if key in record] == list(record), f"unknown keys or order: {line}"
        assert RFC3339_MS_Z.match(record["timestamp"]), line
        assert SEVERITY[record["severity_text"]] == record["severity_number"], line
        assert isinstance(record["body"], str) and isinstance(record["scope"], str), line
        parsed.append(record)
    return parsed


def of_call(server, event_id: str) -> list[dict]:
    return [r for r in records(server) if r.get("attributes", {}).get("faas.invocation_id") == event_id]


def chatty_handlers(runtime) -> list[str]:
    return ["chatty", "chatty_sync"] if runtime.name == "python" else ["chatty"]


def call(server, path: str, token: str, event_id: str, lines: int = 3) -> httpx.Response:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        return client.get(path, headers={"x-token": token, "x-lines": str(lines), "event-id": event_id,
                                         "traceparent": f"00-{TRACE}-{PARENT}-01",
                                         "user-agent": "conformance/1.0"})


@pytest.mark.smoke
def test_everything_is_a_json_record_on_stdout(serve):
    server = serve("k8s", "chatty", env=JSON_LOGS, shared=True)
    event_id = uuid.uuid4().hex
    assert call(server, "/", "everything", event_id).status_code == 200
    assert server.get("/healthz").status_code == 200
    eventually(lambda: _has_access_record(server, event_id))
    all_records = records(server)
    assert server.stderr().strip() == "", server.stderr()
    runtime_records = [r for r in all_records if r["scope"] == "kubeless.runtime"]
    assert runtime_records, "no record of the runtime's own (its start-up line)"
    loaded = [r for r in all_records if r["body"] == "loaded k8s"]
    assert loaded and all("trace_id" not in r and "faas.invocation_id" not in r.get("attributes", {})
                          for r in loaded), loaded  # written while loading: outside any call


def _has_access_record(server, event_id: str) -> dict:
    found = [r for r in of_call(server, event_id) if r["scope"] == "kubeless.access"]
    assert len(found) == 1, records(server)[-20:]
    return found[0]


def test_the_access_record(serve):
    server = serve("k8s", "chatty", env=JSON_LOGS, shared=True)
    event_id = uuid.uuid4().hex
    response = call(server, "/some/path?x=1&y=2", "access", event_id)
    assert response.status_code == 200
    record = eventually(lambda: _has_access_record(server, event_id))
    assert ACCESS_LINE.fullmatch(record["body"]), record
    assert '"GET /some/path?x=1&y=2 HTTP/1.1" 200 ' in record["body"]
    assert (record["severity_text"], record["severity_number"]) == ("INFO", 9)
    assert record["trace_id"] == TRACE
    assert record["span_id"] == response.json()["span-id"] and record["trace_flags"] == "01"
    attributes = record["attributes"]
    assert attributes["http.request.method"] == "GET"
    assert attributes["url.path"] == "/some/path"
    assert attributes["url.query"] == "x=1&y=2"
    assert attributes["http.response.status_code"] == 200
    assert attributes["http.response.body.size"] == len(response.content)
    assert attributes["user_agent.original"] == "conformance/1.0"
    assert attributes["client.address"] == "127.0.0.1"
    assert attributes["network.protocol.version"] == "1.1"


def test_access_severity_follows_the_status(serve):
    server = serve("k8s", "raises", env=JSON_LOGS, shared=True)
    event_id = uuid.uuid4().hex
    assert call(server, "/", "fails", event_id).status_code == 500
    record = eventually(lambda: _has_access_record(server, event_id))
    assert (record["severity_text"], record["attributes"]["http.response.status_code"]) == ("ERROR", 500)
    bad_id = uuid.uuid4().hex
    response = server.post("/bad-json", content=b"{bad", headers={"Content-Type": "application/json",
                                                                  "event-id": bad_id})
    assert response.status_code == 400

    def bad_json() -> dict:
        found = [r for r in records(server) if r["scope"] == "kubeless.access" and "/bad-json" in r["body"]]
        assert len(found) == 1
        return found[0]
    record = eventually(bad_json)
    assert record["severity_text"] == "WARN"
    # Answered before the function ran: not a call, but logged with the ids it came with.
    assert record["attributes"]["faas.invocation_id"] == bad_id and len(record["trace_id"]) == 32


def test_probes_are_not_logged(serve):
    server = serve("k8s", "chatty", env=JSON_LOGS, shared=True)
    mark = len(server.stdout())
    for path in ("/healthz", "/readyz", "/metrics"):
        assert server.get(path).status_code == 200
    event_id = uuid.uuid4().hex
    call(server, "/after-probes", "probes", event_id)
    eventually(lambda: _has_access_record(server, event_id))
    text = server.stdout()[mark:]
    assert not any(path in text for path in ("/healthz", "/readyz", "/metrics")), text


def test_what_the_function_writes_carries_its_call(serve, runtime):
    for handler in chatty_handlers(runtime):
        server = serve("k8s", handler, env=JSON_LOGS, shared=True)
        token, event_id = uuid.uuid4().hex, uuid.uuid4().hex
        response = call(server, "/", token, event_id, lines=3)
        assert response.status_code == 200, response.text
        span = response.json()["span-id"]

        def complete() -> list[dict]:
            mine = [r for r in records(server) if r["body"].startswith(token)]
            assert any(r["body"] == f"{token} tail" for r in mine), mine  # the partial line, at the call's end
            return mine
        mine = eventually(complete)
        for record in mine:
            assert record["attributes"]["faas.invocation_id"] == event_id, record
            assert (record["trace_id"], record["span_id"], record["trace_flags"]) == (TRACE, span, "01"), record
        by_body = {r["body"].split("\n")[0]: r for r in mine}
        for i in range(3):
            line = by_body[f"{token} line {i}"]
            assert (line["scope"], line["severity_text"], line["attributes"]["log.iostream"]) == \
                ("function", "INFO", "stdout")
        assert by_body[f"{token} part-ial"]["scope"] == "function"  # two writes, one line
        assert by_body[f"{token} tail"]["attributes"]["log.iostream"] == "stdout"
        stderr_line = by_body[f"{token} to stderr"]
        assert (stderr_line["severity_text"], stderr_line["attributes"]["log.iostream"]) == ("ERROR", "stderr")
        if runtime.name == "python":
            warned = by_body[f"{token} warned"]
            assert (warned["scope"], warned["severity_text"]) == ("k8s.test", "WARN")
            logged = by_body[f"{token} logged with its exception"]
            assert (logged["scope"], logged["severity_text"]) == ("k8s.test", "ERROR")
            assert "Traceback" in logged["body"] and f"ValueError: {token} caught" in logged["body"]
        else:
            assert (by_body[f"{token} warned"]["severity_text"],
                    by_body[f"{token} warned"]["attributes"]["log.iostream"]) == ("WARN", "stderr")
            assert by_body[f"{token} debugged"]["severity_text"] == "DEBUG"
            assert by_body[f"{token} errored"]["severity_text"] == "ERROR"


def test_lines_of_concurrent_calls_never_mix(serve, runtime):
    handler = chatty_handlers(runtime)[-1]
    server = serve("k8s", handler, env=JSON_LOGS, shared=True)
    tokens = {uuid.uuid4().hex: uuid.uuid4().hex for _ in range(6)}  # token → event id
    results = {}

    def run(token: str) -> None:
        results[token] = call(server, "/", token, tokens[token], lines=25).status_code

    threads = [threading.Thread(target=run, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert list(results.values()) == [200] * len(tokens)

    def all_written() -> None:
        lines = [r for r in records(server) if re.match(r"^[0-9a-f]{32} line \d+$", r["body"])]
        assert len([r for r in lines if r["body"][:32] in tokens]) == 25 * len(tokens)
    eventually(all_written)
    for record in records(server):
        token = record["body"][:32]
        if token in tokens:
            assert record["attributes"]["faas.invocation_id"] == tokens[token], record


def test_an_error_is_one_record_with_its_call(serve):
    server = serve("k8s", "raises", env=JSON_LOGS, shared=True)
    token, event_id = uuid.uuid4().hex, uuid.uuid4().hex
    assert call(server, "/", token, event_id).status_code == 500

    def logged() -> dict:
        found = [r for r in of_call(server, event_id) if r["scope"] == "kubeless.runtime"]
        assert len(found) == 1, of_call(server, event_id)
        return found[0]
    record = eventually(logged)
    assert record["severity_text"] == "ERROR" and record["trace_id"] == TRACE
    assert f"event-id={event_id}" in record["body"]
    assert f"boom {token}" in record["body"] and record["body"].count("\n") >= 2  # the stack, in the one record


def test_an_invalid_log_format_is_a_start_up_error(start_fails):
    result = start_fails("k8s", "hold", env={"FUNC_LOG_FORMAT": "xml"})
    assert result.code == 2 and not result.listened
    lines = result.error_lines()
    assert len(lines) == 1 and "FUNC_LOG_FORMAT" in lines[0] and "xml" in lines[0], result.stderr


@pytest.mark.cli_only
def test_the_log_format_flag(serve):
    server = serve("k8s", "chatty", args=["--log-format", "json"])
    event_id = uuid.uuid4().hex
    call(server, "/", "flag", event_id)
    eventually(lambda: _has_access_record(server, event_id))
