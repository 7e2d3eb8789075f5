"""The `event` and `context` a function is called with (CONTRACT §3, §4).

`extensions["request"]` is a bottle `BaseRequest`, as Kubeless Python handed it to functions. Most
functions never touch it, so its WSGI environ is built only on first use: creating the request is
two slot writes, and the environ (a dozen keys and a copy of every header) costs nothing unless a
function asks for a header, the query or the forms.
"""

from __future__ import annotations

import io
import json
import sys
from random import getrandbits
from typing import Any

import bottle

from .timefmt import SecondStamp

_environ_slot = bottle.BaseRequest.environ  # the slot descriptor bottle stores the environ in

# Request headers that are not CGI-style `HTTP_*` keys in a WSGI environ.
_CGI_HEADERS = {b"content-type": "CONTENT_TYPE", b"content-length": None}


class FunctionRequest(bottle.BaseRequest):
    """A bottle request over an ASGI scope and the body the runtime has already read.

    It is a real `bottle.BaseRequest` (isinstance checks and every accessor work); only the
    environ is made lazily, from the scope, the first time bottle looks at it.
    """

    __slots__ = ("_scope", "_body_bytes")

    # bottle refuses (413) or spills to temporary files whatever exceeds MEMFILE_MAX (100 KB by
    # default): `json` and `forms` of a larger body, multipart fields and uploads. Kubeless set it to
    # its body limit because bottle read the socket there; here the runtime has already read the
    # whole body within FUNC_MEMFILE_MAX before bottle sees it, so bottle must accept all of it, in
    # memory: no upload is ever written to a temporary file (nothing to clean up, and a read-only
    # root filesystem is fine). A class attribute, so it holds in any process that builds the event;
    # above any body limit settings accept (bottle adds 1 to it, so not sys.maxsize).
    MEMFILE_MAX = 1 << 62

    def __init__(self, scope: dict[str, Any], body: bytes) -> None:
        # bottle's __setattr__ stores unknown attributes in the environ; slots must bypass it.
        object.__setattr__(self, "_scope", scope)
        object.__setattr__(self, "_body_bytes", body)

    @property  # type: ignore[override]
    def environ(self) -> dict[str, Any]:
        try:
            return _environ_slot.__get__(self)  # type: ignore[no-any-return]
        except AttributeError:
            environ = build_environ(self._scope, self._body_bytes)
            environ["bottle.request"] = self
            _environ_slot.__set__(self, environ)
            return environ


def build_environ(scope: dict[str, Any], body: bytes) -> dict[str, Any]:
    """A WSGI environ (PEP 3333) for bottle, from the ASGI scope and the de-chunked body.

    Content-Length is always the body actually read and Transfer-Encoding is left out: the body
    is already de-chunked, and bottle would otherwise try to de-chunk it again.
    """
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    stream = io.BytesIO(body)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": scope.get("root_path", ""),
        # Decoded text, as bottle's own app hands it to a request (it re-decodes PEP 3333's latin-1).
        "PATH_INFO": scope["path"],
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": "HTTP/" + scope.get("http_version", "1.1"),
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": str(client[1]),
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": stream,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        # Pre-seeding bottle's body cache spares it a copy of the whole body.
        "bottle.request.body": stream,
    }
    for name, value in scope["headers"]:
        if name in _CGI_HEADERS:
            key = _CGI_HEADERS[name]
            if key is None:
                continue
        elif name == b"transfer-encoding":
            continue
        else:
            key = "HTTP_" + name.decode("latin-1").upper().replace("-", "_")
        text = value.decode("latin-1")
        if key in environ:
            text = environ[key] + ("; " if key == "HTTP_COOKIE" else ",") + text
        environ[key] = text
    return environ


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# Standard JSON only (RFC 8259): Python's decoder also takes NaN and ±Infinity, which the Node.js
# runtime (JSON.parse) and most other parsers refuse, so a body is valid in both runtimes or in none.
_JSON_DECODER = json.JSONDecoder(parse_constant=_no_constant)


def parse_json(body: bytes) -> Any:
    """A JSON request body (UTF-8, -16 or -32, as `json.loads` detects it) → its value; ValueError if malformed."""
    return _JSON_DECODER.decode(body.decode(json.detect_encoding(body), "surrogatepass"))


# Version 4 in bits 76-79, RFC 4122 variant (binary 10) in bits 62-63.
_UUID_CLEAR = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)
_UUID_SET = (0x4 << 76) | (0x2 << 62)


class EventTime:
    """RFC 3339 UTC arrival times with milliseconds; the seconds part is formatted once per second."""

    __slots__ = ("_seconds",)

    def __init__(self) -> None:
        self._seconds = SecondStamp("%Y-%m-%dT%H:%M:%S")

    def format(self, now: float) -> str:
        second = int(now)
        return "%s.%03dZ" % (self._seconds(second), int((now - second) * 1000))


def new_event_id() -> str:
    """A random UUID v4 as text.

    From `random.getrandbits` rather than `uuid.uuid4()`: an event id needs uniqueness, not
    unpredictability, and this is several times cheaper than a `urandom` call plus a `UUID` object.
    `random` is reseeded in every forked worker, so workers do not repeat each other's ids.
    """
    bits = (getrandbits(128) & _UUID_CLEAR) | _UUID_SET
    text = "%032x" % bits
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
