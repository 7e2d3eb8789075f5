"""Python specifics: Kubeless functions using bottle's request, and the install volume (§1, §3)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

import harness

pytestmark = pytest.mark.only("python")


@pytest.fixture(params=["handler", "handler_async"])
def kubeless(request, serve):
    return serve("kubeless_style", request.param, shared=True)


def test_bottle_accessors(kubeless):
    response = kubeless.post("/some/path?q=query-value", json={"k": [1, 2]},
                             headers={"X-Token": "tok-1", "Cookie": "flavour=mint"})
    assert response.status_code == 200, response.text
    got = response.json()
    assert got["method"] == "POST"
    assert got["path"] == "/some/path"
    assert got["fullpath"] == "/some/path"
    assert got["url"].endswith("/some/path?q=query-value")
    assert got["query_string"] == "q=query-value"
    assert got["q"] == "query-value"
    assert got["header"] == "tok-1"
    assert got["missing_header"] == "fallback"
    assert got["content_type"] == "application/json"
    assert got["content_length"] == len(json.dumps({"k": [1, 2]}).encode()) or got["content_length"] > 0
    assert got["cookie"] == "mint"
    assert got["remote_addr"] == "127.0.0.1"
    assert got["json"] == {"k": [1, 2]}
    assert got["body_len"] == got["content_length"]


def test_bottle_urlencoded_form(kubeless):
    # bottle's FormsDict.get gives latin-1 "native strings" (Kubeless did the same): stay ASCII.
    got = kubeless.post("/", data={"field": "form value"}).json()
    assert got["field"] == "form value"
    assert got["param"] == "form value"


def test_bottle_multipart_upload_and_save(kubeless):
    content = os.urandom(50_000)
    response = kubeless.post("/upload?q=1", data={"field": "text field"},
                             files={"upload": ("report.bin", content, "application/x-custom")})
    assert response.status_code == 200, response.text
    got = response.json()
    assert got["field"] == "text field"
    assert got["upload"] == {"filename": "report.bin", "name": "upload", "content_type": "application/x-custom",
                             "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
    assert got["refused_overwrite"] is True


def test_bottle_http_response_status(kubeless):
    response = kubeless.get("/", headers={"X-Want-Status": "418"})
    assert (response.status_code, response.text) == (418, "custom")


def make_install_volume(root: Path, version: str) -> Path:
    """What `pip install --prefix=$VOL` leaves: packages under lib/pythonX.Y/site-packages."""
    site = root / "lib" / f"python{version}" / "site-packages" / "kl_conformance_pkg"
    site.mkdir(parents=True)
    (site / "__init__.py").write_text("VALUE = 'from site-packages'\n")
    (root / "kl_conformance_top.py").write_text("VALUE = 'from the volume root'\n")
    return root


def test_install_volume_packages_import(serve, launcher, runtime, tmp_path):
    volume = make_install_volume(tmp_path / "vol", harness.python_version(launcher, runtime))
    server = serve("deps", "use", env={"KUBELESS_INSTALL_VOLUME": "/kubeless-deps"},
                   volumes={"/kubeless-deps": volume})
    assert server.get("/").json() == {"pkg": "from site-packages", "top": "from the volume root"}


def test_without_the_install_volume_the_import_fails(start_fails):
    exit = start_fails("deps", "use")
    assert exit.code == 1
    assert "kl_conformance_pkg" in exit.stderr
