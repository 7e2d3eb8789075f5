"""A function written for Kubeless Python: only bottle request accessors, status via HTTPResponse."""

import hashlib
import os
import tempfile

from bottle import HTTPResponse


def _bottle_temp_files():
    found = []
    for root, _, files in os.walk(tempfile.gettempdir()):
        found += [os.path.join(root, name) for name in files if name.startswith("tmp")]
    return found


def handler(event, context):
    req = event["extensions"]["request"]
    if req.get_header("X-Want-Status"):
        return HTTPResponse(body="custom", status=int(req.get_header("X-Want-Status")))
    result = {
        "method": req.method,
        "path": req.path,
        "fullpath": req.fullpath,
        "url": req.url,
        "query_string": req.query_string,
        "q": req.query.get("q"),
        "header": req.get_header("X-Token"),
        "missing_header": req.get_header("X-Missing", "fallback"),
        "content_type": req.content_type,
        "content_length": req.content_length,
        "cookie": req.get_cookie("flavour"),
        "remote_addr": req.remote_addr,
        "field": req.forms.get("field"),
        "param": req.params.get("field") or req.params.get("q"),
        "json": req.json,
        "body_len": len(req.body.read()),
        # bottle's own temporary files (NamedTemporaryFile's "tmp" prefix) while the call runs
        "tmp_files": _bottle_temp_files(),
    }
    upload = req.files.get("upload")
    if upload is not None:
        folder = tempfile.mkdtemp(prefix="kl-upload-")
        path = os.path.join(folder, "saved.bin")
        upload.save(path)
        try:
            upload.save(path)  # overwrite=False (the default) must refuse an existing file
            result["refused_overwrite"] = False
        except IOError:
            result["refused_overwrite"] = True
        upload.save(path, overwrite=True)
        with open(path, "rb") as saved:
            content = saved.read()
        result["upload"] = {
            "filename": upload.filename,
            "name": upload.name,
            "content_type": upload.content_type,
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
        }
    return result


async def handler_async(event, context):
    """The same accessors from an `async def` function."""
    return handler(event, context)
