"""Node.js specifics: ES modules, CommonJS shapes, the install volume (§1, §3)."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.only("nodejs")


@pytest.mark.parametrize("module, function, style", [
    ("esm_named", "main", "esm named"),
    ("esm_default", "anything", "esm default function"),
    ("esm_default_obj", "main", "esm default object"),
    ("cjs_fn", "whatever", "cjs function"),
    ("cjs_ext", "main", "cjs extension"),
])
def test_module_styles(serve, module, function, style):
    server = serve(module, function)
    response = server.post("/", json={"x": 1})
    assert response.status_code == 200, response.text
    assert response.json()["style"] == style


def test_type_module_package(serve, tmp_path):
    """A `.js` file is ESM when its nearest package.json says `"type": "module"`."""
    folder = tmp_path / "fn"
    folder.mkdir()
    (folder / "package.json").write_text(json.dumps({"name": "fn", "type": "module"}))
    (folder / "typed.js").write_text("export const main = (event) => ({ style: 'type module', data: event.data });\n")
    server = serve("typed", "main", func_dir=folder)
    assert server.post("/", json=[1]).json() == {"style": "type module", "data": [1]}


def make_install_volume(root: Path) -> Path:
    """What `npm install --prefix=$VOL` leaves: packages under node_modules."""
    package = root / "node_modules" / "kl-conformance-pkg"
    package.mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"name": "kl-conformance-pkg", "version": "1.0.0",
                                                      "main": "index.js"}))
    (package / "index.js").write_text("module.exports = { VALUE: 'from node_modules' };\n")
    return root


@pytest.mark.parametrize("module, expected", [("deps", {"pkg": "from node_modules"}),
                                              ("deps_esm", {"pkg": "from node_modules", "esm": True})])
def test_install_volume_packages_resolve(serve, tmp_path, module, expected):
    volume = make_install_volume(tmp_path / "vol")
    server = serve(module, "use", env={"KUBELESS_INSTALL_VOLUME": "/kubeless-deps"},
                   volumes={"/kubeless-deps": volume})
    assert server.get("/").json() == expected


def test_without_the_install_volume_the_require_fails(start_fails):
    exit = start_fails("deps", "use")
    assert exit.code == 1
    assert "kl-conformance-pkg" in exit.stderr


def test_function_sigterm_listener_runs_then_the_drain(serve):
    """A function's own process.on('SIGTERM') runs (to flush, close clients), then calls drain."""
    server = serve("shutdown", "with_listener", env={"FUNC_GRACE_PERIOD": "5"})
    assert server.post("/", headers={"x-seconds": "0"}).text == "listening"
    result: list = []
    thread = threading.Thread(target=lambda: result.append(
        httpx.post(server.url + "/", headers={"x-seconds": "1"}, timeout=10)))
    thread.start()
    time.sleep(0.3)
    server.signal(signal.SIGTERM)
    thread.join(10)
    assert server.wait(5) == 0
    assert result[0].status_code == 200
    assert "FUNCTION SIGTERM LISTENER RAN" in server.stdout()


def test_export_default_in_a_plain_js_file(serve, tmp_path):
    """`export default function` in a .js without `"type": "module"`: Node detects the syntax."""
    folder = tmp_path / "fn"
    folder.mkdir()
    (folder / "plain.js").write_text("export default function (event) { return { style: 'detected esm' }; }\n")
    server = serve("plain", "main", func_dir=folder)
    assert server.get("/").json() == {"style": "detected esm"}


@pytest.mark.parametrize("case, reason", [
    ("bad_status_message", "statusMessage"),
    ("symbol", "a symbol is not JSON"),
    ("function", "a function is not JSON"),
])
def test_unsendable_node_results(serve, case, reason):
    server = serve("faults", "dispatch", shared=True)
    event_id = f"evt-{case}"
    mark = len(server.stderr())
    response = server.get("/", headers={"x-case": case, "event-id": event_id})
    assert response.status_code == 500
    assert response.text == f"Internal Server Error (event-id: {event_id})"
    server.wait_for_output(rf"^error: event-id={event_id}: the function's result cannot be sent: .*{reason}",
                           "stderr", since=mark)


@pytest.mark.parametrize("case", ["callback_error", "callback_rejection"])
def test_an_error_in_the_functions_own_callback_fails_its_call_at_once(serve, case):
    """uncaughtException / unhandledRejection reach the call through AsyncLocalStorage."""
    server = serve("faults", "dispatch", env={"FUNC_TIMEOUT": "30"}, shared=True)
    event_id = f"evt-{case}"
    mark = len(server.stderr())
    start = time.monotonic()
    response = server.get("/", headers={"x-case": case, "event-id": event_id})
    assert time.monotonic() - start < 2
    assert response.status_code == 500
    assert response.text == f"Internal Server Error (event-id: {event_id})"
    server.wait_for_output(rf"^error: event-id={event_id}: ", "stderr", since=mark)
    assert server.get("/", headers={"x-case": "ok"}).text == "ok"


def test_console_log_of_the_context_shows_only_the_contract(serve):
    server = serve("faults", "dispatch", shared=True)
    assert server.get("/", headers={"x-case": "context"}).text == "logged"
    server.wait_for_output("CONTEXT", "stdout")
    printed = server.stdout()[server.stdout().index("CONTEXT"):]
    printed = printed[:printed.index("}") + 1]
    assert "function-name" in printed and "deadline" in printed
    for internal in ("req", "res", "IncomingMessage", "Call", "inFlight", "prev"):
        assert internal not in printed, printed


@pytest.mark.parametrize("source, what", [
    ("process.exit(0);\nmodule.exports.main = () => 'x';\n", "ended the process while loading"),
    ("await new Promise(() => {});\nexport const main = () => 'x';\n", "top-level await that never settles"),
])
def test_exit_or_a_hung_await_while_loading_is_a_start_up_error(start_fails, tmp_path, source, what):
    folder = tmp_path / "fn"
    folder.mkdir()
    (folder / "early.mjs" if "await" in source else folder / "early.js").write_text(source)
    exit = start_fails("early", "main", func_dir=folder, timeout=20)
    assert exit.code == 1, exit.stderr
    assert not exit.listened
    lines = exit.error_lines()
    assert len(lines) == 1 and "cannot load handler early.main" in lines[0] and what in lines[0], exit.stderr


def test_a_worker_crash_loop_at_start_up_backs_off_then_exits_1(start_fails):
    """Decision 16: a worker that keeps dying before any call was served: back-off, then exit 1."""
    start = time.monotonic()
    exit = start_fails("crash_soon", "main", env={"FUNC_ISOLATION": "worker"}, timeout=30)
    elapsed = time.monotonic() - start
    assert exit.code == 1, exit.stderr
    lines = exit.error_lines()
    assert len(lines) == 1 and "keep failing at start" in lines[0], exit.stderr
    # back-off 0.1 + 0.2 + 0.4 + 0.8 s between five lives of 0.2 s each (plus their start-ups)
    assert elapsed > 2.0, f"gave up after {elapsed:.2f} s: no back-off"
