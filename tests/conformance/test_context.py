"""CONTRACT §4: the context."""

from __future__ import annotations

import re
import time

import pytest


def call(server) -> dict:
    response = server.post("/", content=b"", headers={"Content-Type": "text/plain"})
    assert response.status_code == 200, response.text
    return response.json()


def test_context_defaults(serve, runtime):
    result = call(serve("basic", "echo", shared=True))
    ctx = result["context"]
    assert ctx["function-name"] == "echo"
    assert ctx["timeout"] == 180
    assert ctx["memory-limit"] is None
    pattern = r"python3\.\d+" if runtime.name == "python" else r"nodejs\d+"
    assert re.fullmatch(pattern, ctx["runtime"]), ctx["runtime"]
    assert {"function-name", "timeout", "runtime", "memory-limit", "deadline"} <= set(result["context_keys"])


@pytest.mark.parametrize("function", ["echo", "echo_async"])
def test_context_from_the_environment(serve, function):
    server = serve("basic", function, env={"FUNC_RUNTIME": "custom-runtime9", "FUNC_MEMORY_LIMIT": "128Mi",
                                           "FUNC_TIMEOUT": "7.5"})
    before = time.time()
    result = call(server)
    ctx = result["context"]
    assert ctx["function-name"] == function
    assert ctx["runtime"] == "custom-runtime9"
    assert ctx["memory-limit"] == "128Mi"
    assert ctx["timeout"] == 7.5
    # The deadline is FUNC_TIMEOUT after arrival: between our send and the function's own clock.
    assert isinstance(ctx["deadline"], (int, float))
    assert before + 7.5 - 0.5 <= ctx["deadline"] <= result["now"] + 7.5 + 0.05


def test_integer_timeout_is_a_number(serve):
    ctx = call(serve("basic", "echo", env={"FUNC_TIMEOUT": "3"}))["context"]
    assert ctx["timeout"] == 3 and not isinstance(ctx["timeout"], str)


@pytest.mark.only("nodejs")
def test_nodejs_context_signal(serve):
    result = call(serve("basic", "echo", shared=True))
    # `signal` may be a lazy (non-enumerable) property: only its value is checked.
    assert result["signal"] == {"aborted": False}
