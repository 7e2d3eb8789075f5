"""Issue 11: what holds under every FUNC_SIGNATURE (CONTRACT §11, first paragraph), tested once.

Only the edge differs between signatures: the deadline (408), a failure (500, on stderr with the
event id, counted), the call counters, the setting's validation and its flag are the contract's
under each of them. Each signature names, in SIGNATURES, the suite functions (re-created from its
platform's documented examples, tests/functions/*/sig_*) whose cases answer normally, raise, and
sleep past a 1 s deadline. What a platform answers for its own examples is in
test_signature_<name>.py.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import httpx
import pytest

from support import TIMEOUT_BODY, assert_error, content_type, metrics, sample


@dataclass(frozen=True)
class Target:
    """A function of the suite and the request path that makes it do one thing."""
    module: str
    handler: str
    path: str = "/"


@dataclass(frozen=True)
class Machinery:
    function: tuple[str, str]     # (module, handler) answering the `answers` requests
    answers: dict                 # runtime name (or "*") → ((path, status), …): normal answers
    boom: Target                  # raises / throws "boom from <module>"
    slow: Target                  # sleeps (without blocking) past a 1 s deadline
    env: dict = field(default_factory=dict)
    # The body of a failure's 500 by runtime, where the platform's own mapping answers it (absent:
    # the contract's "Internal Server Error (event-id: ID)").
    boom_body: dict = field(default_factory=dict)
    boom_stderr: str = ""         # what the failure's stderr lines include

    def answers_of(self, runtime: str) -> tuple[tuple[str, int], ...]:
        return self.answers.get(runtime, self.answers.get("*"))


def sig(name: str) -> dict:
    return {"FUNC_SIGNATURE": name}


def cases(*pairs: tuple[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple((f"/?case={case}", status) for case, status in pairs)


def lambda_machinery(name: str) -> Machinery:
    # Payload 1.0 takes proxy responses only (a plain value is a 502 there).
    answers = ((("string", 200), ("json", 200), ("custom", 201)) if name == "lambda"
               else (("custom", 201), ("multi", 202)))
    return Machinery(
        function=("sig_lambda", "answer"),
        answers={"*": cases(*answers)},
        boom=Target("sig_lambda", "answer", "/?case=raise"),
        slow=Target("sig_lambda", "answer", "/?case=sleep"),
        env=sig(name), boom_stderr="boom from sig_lambda")


SIGNATURES: dict[str, Machinery] = {
    "lambda": lambda_machinery("lambda"),
    "lambda-v1": lambda_machinery("lambda-v1"),
    "openwhisk": Machinery(
        function=("sig_openwhisk", "main"),
        answers={"*": cases(("created", 201), ("none", 204), ("redirect", 302))},
        boom=Target("sig_openwhisk", "main", "/?case=raise"),
        slow=Target("sig_openwhisk", "main", "/?case=sleep"),
        env=sig("openwhisk"), boom_stderr="boom from sig_openwhisk"),
    # OpenFaaS's node22 template answers an error with err.toString() (CONTRACT §11 "openfaas").
    "openfaas": Machinery(
        function=("sig_openfaas", "handle"),
        answers={"python": cases(("created", 201), ("json", 200), ("bad", 400)),
                 "nodejs": cases(("moved", 307), ("not_found", 404), ("object", 200))},
        boom=Target("sig_openfaas", "handle", "/?case=raise"),
        slow=Target("sig_openfaas", "handle", "/?case=sleep"),
        env=sig("openfaas"), boom_body={"nodejs": "Error: boom from sig_openfaas"},
        boom_stderr="boom from sig_openfaas"),
    # Knative: the machinery handlers of SHARED-DECISIONS-11b (tests/functions/*/sig_knative_machinery).
    "knative": Machinery(
        function=("sig_knative_machinery", "hello"),
        answers={"*": (("/", 200), ("/any/path?x=1", 200))},
        boom=Target("sig_knative_machinery", "boom"),
        slow=Target("sig_knative_machinery", "slow"),
        env=sig("knative"), boom_stderr="boom"),
}

NAMES = sorted(SIGNATURES)


def new_id() -> str:
    return f"evt-{uuid.uuid4().hex}"


def counts(server, name: str, method: str = "GET") -> float:
    return sample(metrics(server), name, method=method)


def serve_target(serve, name: str, target: Target, **env):
    return serve(target.module, target.handler, env={**SIGNATURES[name].env, **env}, shared=not env)


@pytest.mark.parametrize("name", NAMES)
def test_calls_are_counted(serve, runtime, name):
    machinery = SIGNATURES[name]
    server = serve(*machinery.function, env=machinery.env, shared=True)
    answers = machinery.answers_of(runtime.name)
    calls, failures = counts(server, "function_calls_total"), counts(server, "function_failures_total")
    assert tuple((path, server.get(path).status_code) for path, _ in answers) == answers
    assert counts(server, "function_calls_total") == calls + len(answers)
    assert counts(server, "function_failures_total") == failures


@pytest.mark.smoke
@pytest.mark.parametrize("name", NAMES)
def test_an_exception_is_500_logged_and_a_failure(serve, runtime, name):
    # The contract's 500 with its event id (unless the platform's mapping answers it: boom_body),
    # `error: event-id=ID:` and the function's message on stderr, one call and one failure.
    machinery = SIGNATURES[name]
    server = serve_target(serve, name, machinery.boom)
    event_id = new_id()
    before_calls, before_failures = counts(server, "function_calls_total"), counts(server, "function_failures_total")
    mark = len(server.stderr())
    response = server.get(machinery.boom.path, headers={"event-id": event_id})
    expected = machinery.boom_body.get(runtime.name)
    if expected is None:
        assert_error(response, 500, body=f"Internal Server Error (event-id: {event_id})")
    else:
        assert (response.status_code, response.text) == (500, expected)
    server.wait_for_output(rf"^error: event-id={event_id}:", "stderr", since=mark)
    server.wait_for_output(machinery.boom_stderr, "stderr", since=mark)
    assert counts(server, "function_failures_total") == before_failures + 1
    assert counts(server, "function_calls_total") == before_calls + 1


@pytest.mark.parametrize("name", NAMES)
def test_timeout_is_408(serve, name):
    # The deadline holds: 408 with the contract's body, on time, counted as a timeout.
    machinery = SIGNATURES[name]
    server = serve_target(serve, name, machinery.slow, FUNC_TIMEOUT="1")
    started = time.monotonic()
    with httpx.Client(timeout=30) as client:
        response = client.get(server.url + machinery.slow.path)
    elapsed = time.monotonic() - started
    assert_error(response, 408, body=TIMEOUT_BODY)
    assert 0.95 <= elapsed <= 1.8, elapsed
    assert counts(server, "function_timeouts_total") == 1


@pytest.mark.parametrize("value", ["lambda-v3", "aws_lambda", "openwhisk-raw", "faas"])
def test_an_invalid_signature_is_a_start_up_error(start_fails, value):
    # CONTRACT §11 / §1: exit 2, one line naming the variable, the value and the accepted values.
    result = start_fails("basic", "echo", env={"FUNC_SIGNATURE": value}, timeout=10)
    assert result.code == 2 and not result.listened, result.stderr
    lines = result.error_lines()
    assert len(lines) == 1, result.stderr
    assert "FUNC_SIGNATURE" in lines[0] and value in lines[0], lines
    for accepted in ("kubeless", *NAMES):
        assert accepted in lines[0], lines


@pytest.mark.cli_only
@pytest.mark.parametrize("name", NAMES)
def test_the_signature_flag(serve, start_fails, runtime, name):
    # Flags override the environment (CONTRACT §1 "CLI mode").
    machinery = SIGNATURES[name]
    path, status = machinery.answers_of(runtime.name)[0]
    other = next(n for n in NAMES if SIGNATURES[n].env != machinery.env)
    server = serve(*machinery.function, env=SIGNATURES[other].env, args=["--signature", name])
    assert server.get(path).status_code == status
    result = start_fails(*machinery.function, args=["--signature", f"{name}-x"], timeout=10)
    assert result.code == 2 and not result.listened, result.stderr
    lines = result.error_lines()
    assert len(lines) == 1 and "signature" in lines[0].lower() and f"{name}-x" in lines[0], result.stderr


def test_kubeless_stays_the_default(serve):
    # `kubeless` is accepted, today's behaviour unchanged.
    server = serve("basic", "echo", env={"FUNC_SIGNATURE": "kubeless"}, shared=True)
    response = server.post("/", json={"a": 1})
    assert response.status_code == 200
    assert content_type(response).startswith("application/json")
    assert response.json()["context"]["function-name"] == "echo"
