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


# bottle refuses or spills to /tmp what exceeds its MEMFILE_MAX (100 KB by default); the runtime sets it
# above the body limit, as Kubeless did, so bodies over 100 KB work like small ones.
BIG = 200_000


def test_bottle_json_over_100_kb(kubeless):
    value = {"text": "j" * BIG, "list": list(range(1000))}
    response = kubeless.post("/", json=value)
    assert response.status_code == 200, response.text[:500]
    assert response.json()["json"] == value


def test_bottle_urlencoded_form_over_100_kb(kubeless):
    response = kubeless.post("/", data={"field": "f" * BIG})
    assert response.status_code == 200, response.text[:500]
    assert response.json()["field"] == "f" * BIG


@pytest.fixture
def scratch(tmp_path):
    """A private TMPDIR for the runtime (world-writable: the image runs as uid 1000)."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    folder.chmod(0o777)
    return folder


def temp_files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("tmp*") if p.is_file())


@pytest.mark.parametrize("function", ["handler", "handler_async"])
def test_bottle_multipart_over_100_kb_stays_in_memory(serve, scratch, function):
    """A text field over 100 KB stays in `forms`; an upload over 100 KB is no temporary file, during the
    call or after it (so nothing is left in /tmp, and a read-only root filesystem is fine)."""
    server = serve("kubeless_style", function, env={"TMPDIR": "/scratch"}, volumes={"/scratch": scratch})
    content = os.urandom(300_000)
    response = server.post("/", data={"field": "t" * 150_000},
                           files={"upload": ("big.bin", content, "application/octet-stream")})
    assert response.status_code == 200, response.text[:500]
    got = response.json()
    assert got["field"] == "t" * 150_000
    assert got["upload"]["size"] == len(content)
    assert got["upload"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert got["tmp_files"] == []
    assert temp_files(scratch) == []


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
