"""What the cases check against: formats of the contract, and readers for /metrics and logs."""

from __future__ import annotations

import re
import time
import uuid
from typing import Callable, TypeVar

from prometheus_client.parser import text_string_to_metric_families

from harness import Server

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
RFC3339_MS_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

TEXT_PLAIN = "text/plain; charset=utf-8"
TIMEOUT_BODY = "Timeout while processing the function"

#: Apache combined: host ident user [time] "request" status size "referer" "user-agent".
ACCESS_LINE = re.compile(
    r'^(?P<host>\S+) - - \[(?P<time>\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] '
    r'"(?P<request>[^"]*)" (?P<status>\d{3}) (?P<size>\d+|-) "(?P<referer>[^"]*)" "(?P<agent>[^"]*)"$',
    re.M)


def content_type(response) -> str:
    """The Content-Type header, normalised for comparison (lower case, single spaces)."""
    value = response.headers.get("content-type", "")
    return "; ".join(part.strip() for part in value.lower().split(";"))


def assert_error(response, status: int, body: str | None = None, prefix: str | None = None) -> None:
    """A runtime error answer: status, one line of text/plain; charset=utf-8."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert content_type(response) == TEXT_PLAIN
    text = response.text.rstrip("\n")
    assert "\n" not in text, f"error body is more than one line: {text!r}"
    if body is not None:
        assert text == body
    if prefix is not None:
        assert text.startswith(prefix), text


def metrics(server: Server) -> dict[tuple[str, tuple], float]:
    """`GET /metrics` parsed: {(sample name, sorted label items): value}."""
    response = server.get("/metrics")
    assert response.status_code == 200, response.text
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def sample(samples: dict, name: str, **labels: str) -> float:
    """One sample's value, 0 when the runtime has not exported it yet (a counter never incremented)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def calls(server: Server, method: str) -> float:
    return sample(metrics(server), "function_calls_total", method=method)


def counts(server: Server, name: str, method: str = "GET") -> float:
    """A counter's value for one method, from a scrape of /metrics now."""
    return sample(metrics(server), name, method=method)


def new_id() -> str:
    """An event id for a case to send (`event-id` header) and look for in logs."""
    return f"evt-{uuid.uuid4().hex}"


T = TypeVar("T")


def eventually(check: Callable[[], T], timeout: float = 5.0, interval: float = 0.05) -> T:
    """Retry `check` until it stops raising AssertionError (for output written after the answer)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(interval)
