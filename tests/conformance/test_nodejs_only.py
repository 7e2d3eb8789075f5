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
