"""`upload`: summarises a multipart form through bottle's parsed forms and files."""

import hashlib


def upload(event, context):
    request = event["extensions"]["request"]
    files = {}
    for name in request.files.keys():
        part = request.files.get(name)
        content = part.file.read()
        files[name] = {
            "filename": part.filename,
            "content_type": part.content_type,
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
        }
    return {
        "fields": {name: request.forms.getunicode(name) for name in request.forms.keys()},
        "files": files,
        "data_type": type(event["data"]).__name__,
    }
