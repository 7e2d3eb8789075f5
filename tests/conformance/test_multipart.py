"""CONTRACT §3: multipart bodies (Python: parsed by the runtime's bottle request; Node.js: the stream
left unread for the function's own parser, here busboy)."""

from __future__ import annotations

import hashlib
import os


def test_multipart_upload(serve, runtime):
    server = serve("multipart", "upload", shared=True)
    first, second = os.urandom(200_000), "plain text ✓".encode()
    response = server.post("/", data={"title": "two files", "note": "ünïcode"}, files=[
        ("doc", ("doc.bin", first, "application/octet-stream")),
        ("text", ("notes.txt", second, "text/plain")),
    ])
    assert response.status_code == 200, response.text
    got = response.json()
    assert got["fields"] == {"title": "two files", "note": "ünïcode"}
    assert got["files"] == {
        "doc": {"filename": "doc.bin", "content_type": "application/octet-stream", "size": len(first),
                "sha256": hashlib.sha256(first).hexdigest()},
        "text": {"filename": "notes.txt", "content_type": "text/plain", "size": len(second),
                 "sha256": hashlib.sha256(second).hexdigest()},
    }
    assert got["data_type"] == ("bytes" if runtime.name == "python" else "undefined")
