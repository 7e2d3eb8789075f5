"""Issue 11: what holds under every FUNC_SIGNATURE (CONTRACT §11, first paragraph), tested once.

Only the edge differs between signatures: the call counters and the access log, the deadline
(408), the body limit (413), a failure (500, on stderr with the event id, counted), the JSON logs'
ids, the setting's validation and its flag are the contract's under each of them. Each signature
names, in SIGNATURES, the suite functions (tests/functions/*/sig_*: its platform's documented
examples, or `sig_<name>_machinery` with handlers `hello`, `slow`, `boom`) that answer normally,
raise, and sleep past a 1 s deadline, and the deps set its Python functions import (Flask: the
function's own dependency, given as its install volume). What a platform answers for its own
examples is in test_signature_<name>.py.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field

import httpx
import pytest

from harness import REPO_DIR
from support import ACCESS_LINE, TIMEOUT_BODY, assert_error, content_type, counts, eventually, new_id

DEPS_DIR = REPO_DIR / ".cache" / "function-deps"
BODY_LIMIT = 1000


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
    boom_headers: dict = field(default_factory=dict)  # headers the platform adds to a failure's 500
    python_deps: str | None = None  # the deps set (tests/functions/python/deps/SET.txt) Python needs

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
    # GCF and Fission: Flask is the function's own dependency (the `flask` set: functions_framework
    # is then the runtime's shim); the Functions Framework marks a crash with X-Google-Status.
    "gcf": Machinery(
        function=("sig_gcf_machinery", "hello"),
        answers={"*": (("/", 200), ("/any/path?x=1", 200))},
        boom=Target("sig_gcf_machinery", "boom"),
        slow=Target("sig_gcf_machinery", "slow"),
        env=sig("gcf"), boom_stderr="boom", boom_headers={"x-google-status": "crash"}, python_deps="flask"),
    "fission": Machinery(
        function=("sig_fission_machinery", "hello"),
        answers={"*": (("/", 200), ("/any/path?x=1", 200))},
        boom=Target("sig_fission_machinery", "boom"),
        slow=Target("sig_fission_machinery", "slow"),
        env=sig("fission"), boom_stderr="boom", python_deps="flask"),
}

NAMES = sorted(SIGNATURES)


def start_args(name: str, runtime, **env: str) -> dict:
    """`serve` / `start_fails` arguments for a signature's functions: its env (and `env`), and for
    Python the deps set it needs as the function's install volume."""
    machinery = SIGNATURES[name]
    args = {"env": {**machinery.env, **env}}
    if runtime.name == "python" and machinery.python_deps is not None:
        folder = DEPS_DIR / f"python-{machinery.python_deps}"
        assert (folder / ".installed").exists(), f"{folder} is missing: run `make setup`"
        args["env"]["KUBELESS_INSTALL_VOLUME"] = "/deps"
        args["volumes"] = {"/deps": folder}
    return args


def serve_function(serve, runtime, name: str, module: str, handler: str, **env: str):
    return serve(module, handler, shared=not env, **start_args(name, runtime, **env))


@pytest.mark.parametrize("name", NAMES)
def test_calls_are_counted(serve, runtime, name):
    machinery = SIGNATURES[name]
    server = serve_function(serve, runtime, name, *machinery.function)
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
    server = serve_function(serve, runtime, name, machinery.boom.module, machinery.boom.handler)
    event_id = new_id()
    before_calls, before_failures = counts(server, "function_calls_total"), counts(server, "function_failures_total")
    mark = len(server.stderr())
    response = server.get(machinery.boom.path, headers={"event-id": event_id})
    expected = machinery.boom_body.get(runtime.name)
    if expected is None:
        assert_error(response, 500, body=f"Internal Server Error (event-id: {event_id})")
    else:
        assert (response.status_code, response.text) == (500, expected)
    for header, value in machinery.boom_headers.items():
        assert response.headers.get(header) == value, header
    server.wait_for_output(rf"^error: event-id={event_id}:", "stderr", since=mark)
    server.wait_for_output(machinery.boom_stderr, "stderr", since=mark)
    assert counts(server, "function_failures_total") == before_failures + 1
    assert counts(server, "function_calls_total") == before_calls + 1


@pytest.mark.parametrize("name", NAMES)
def test_timeout_is_408(serve, runtime, name):
    # The deadline holds: 408 with the contract's body, on time, counted as a timeout; the runtime
    # answers at once meanwhile.
    machinery = SIGNATURES[name]
    server = serve_function(serve, runtime, name, machinery.slow.module, machinery.slow.handler, FUNC_TIMEOUT="1")
    started = time.monotonic()
    with httpx.Client(timeout=30) as client:
        response = client.get(server.url + machinery.slow.path)
    elapsed = time.monotonic() - started
    assert_error(response, 408, body=TIMEOUT_BODY)
    assert 0.95 <= elapsed <= 1.8, elapsed
    assert counts(server, "function_timeouts_total") == 1
    assert server.get("/healthz").status_code == 200


@pytest.mark.parametrize("name", NAMES)
def test_a_call_has_its_access_log_line(serve, runtime, name):
    machinery = SIGNATURES[name]
    server = serve_function(serve, runtime, name, *machinery.function)
    path, status = machinery.answers_of(runtime.name)[-1]
    mark = len(server.stdout())
    assert server.get(path, headers={"user-agent": "machinery-check"}).status_code == status
    found = server.wait_for_output(rf'^.*"GET {re.escape(path)} HTTP/1.1" {status} .*"machinery-check"$', since=mark)
    assert ACCESS_LINE.match(found.group(0)), found.group(0)


@pytest.mark.parametrize("name", NAMES)
def test_a_body_over_the_limit_is_413(serve, runtime, name):
    # Refused before the function (not a call); a body at the limit is answered as usual.
    machinery = SIGNATURES[name]
    server = serve_function(serve, runtime, name, *machinery.function, FUNC_MEMFILE_MAX=str(BODY_LIMIT))
    path, status = machinery.answers_of(runtime.name)[0]
    response = server.post(path, content=os.urandom(BODY_LIMIT + 1))
    assert_error(response, 413, body=f"Request body too large: the limit is {BODY_LIMIT} bytes")
    assert counts(server, "function_calls_total", "POST") == 0
    assert server.post(path, content=b"x" * BODY_LIMIT).status_code == status
    assert counts(server, "function_calls_total", "POST") == 1


@pytest.mark.parametrize("name", NAMES)
def test_json_logs_carry_the_calls_ids(serve, runtime, name):
    # FUNC_LOG_FORMAT=json: the failure's record and the call's access record carry its event id
    # (faas.invocation_id) and the trace id it came with.
    machinery = SIGNATURES[name]
    server = serve_function(serve, runtime, name, machinery.boom.module, machinery.boom.handler,
                            FUNC_LOG_FORMAT="json")
    event_id, trace = new_id(), "4bf92f3577b34da6a3ce929d0e0e4736"
    response = server.get(machinery.boom.path,
                          headers={"event-id": event_id, "traceparent": f"00-{trace}-00f067aa0ba902b7-01"})
    assert response.status_code == 500

    def complete() -> list[dict]:
        found = [record for record in map(json.loads, server.stdout().splitlines())
                 if record.get("attributes", {}).get("faas.invocation_id") == event_id]
        assert any(r["severity_text"] == "ERROR" and machinery.boom_stderr in r["body"] for r in found), found
        assert any(r["scope"] == "kubeless.access" for r in found), found
        return found

    for record in eventually(complete):
        assert record["trace_id"] == trace, record


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
    start = start_args(name, runtime, **SIGNATURES[other].env)
    server = serve(*machinery.function, args=["--signature", name], **start)
    assert server.get(path).status_code == status
    result = start_fails(*machinery.function, args=["--signature", f"{name}-x"], timeout=10, **start)
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
