"""FUNC_SIGNATURE=openwhisk: a web action with the `.http` extension (apache/openwhisk `docs/webactions.md`).

`main(args)` (def or async def). `args` is what OpenWhisk's controller makes of the HTTP request:
the query parameters, then the keys of a JSON-object or form body (later ones win), plus
`__ow_method` (lower-case), `__ow_headers` (lower-case names, repeated ones comma-joined),
`__ow_path` (the request's path; "" for "/"), and `__ow_body` when the body is neither a JSON object
nor a form: text, or base64 for a binary content type or a body that is not UTF-8. A malformed
JSON body is the contract's 400.

The result is the HTTP answer, as `.http` makes it (the controller's `resultAsHttp`): `statusCode`
(200, or 204 when there is no body), `headers` (a value may be a list: repeated headers), `body`
(without a content type a string is `text/html`, another value `application/json`; with an
`image/*` one a string is base64-decoded). A result without `body` (W-py-1's `{"greeting": ...}`)
is therefore 204 with no body, as webactions.md says for `.http` (SHARED-DECISIONS-11 asked for 200
and the whole result as JSON, which is what `.json` gives: the conformance cases follow the
platform; reported). None is `{}`, so 204. `{"error": X, ...}` is an application error: X is
projected and answered the same way. A result, or a projected error, that is not an object is 400,
as the controller answers a response that is not valid `message/http`.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import parse_qsl

from ..call import BadJson, decode_json
from ..responses import ConversionError, Reply, check_headers
from . import Request, is_text_type, text_or_base64

TEXT_HTML = (b"content-type", b"text/html; charset=utf-8")
APPLICATION_JSON = (b"content-type", b"application/json")


def _json(value: Any) -> bytes:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError) as exc:
        raise ConversionError(f"the function returned a value that is not JSON-serialisable: {exc}") from None


def _header_values(name: Any, value: Any) -> list[tuple[bytes, bytes]]:
    values = value if isinstance(value, list) else [value]
    out = []
    for item in values:
        if isinstance(item, bool):
            item = "true" if item else "false"
        if isinstance(item, dict | list) or item is None:
            raise ConversionError(f"the header {name!r} must be a string, a number or a list of them, got {item!r}")
        try:
            out.append((str(name).encode("latin-1").lower(), str(item).encode("latin-1")))
        except UnicodeEncodeError:
            raise ConversionError(f"the header {name!r} must be latin-1 text, got {item!r}") from None
    return out


def http_answer(response: dict[str, Any]) -> Reply:
    """A web action's HTTP response object → the answer (webactions.md "Handling HTTP requests")."""
    raw_headers = response.get("headers")
    if raw_headers is not None and not isinstance(raw_headers, dict):
        raise ConversionError(f"headers must be an object, got {type(raw_headers).__name__}")
    headers: list[tuple[bytes, bytes]] = []
    for name, value in (raw_headers or {}).items():
        headers.extend(h for h in _header_values(name, value) if h[0] != b"content-length")
    check_headers(headers)
    content_type = next((value for name, value in headers if name == b"content-type"), None)
    body = response.get("body")
    if body is None or body == "":
        data = b""
    elif isinstance(body, str):
        media = content_type.split(b";", 1)[0].strip().lower() if content_type else b""
        if media.startswith(b"image/"):
            try:
                data = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                raise ConversionError(f"the body of a {media.decode('latin-1')} response must be base64") from None
        else:
            try:
                data = body.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ConversionError(f"the function returned text that is not valid Unicode: {exc}") from None
        if content_type is None:
            headers.append(TEXT_HTML)
    else:
        data = _json(body)
        if content_type is None:
            headers.append(APPLICATION_JSON)
    status = response.get("statusCode")
    if status is None:
        status = 200 if data else 204
    elif isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise ConversionError(f"statusCode must be an integer from 100 to 599, got {status!r}")
    return Reply(status, headers, data)


def _not_http() -> Reply:
    return Reply(400, [APPLICATION_JSON], b"{\"error\":\"Response is not valid 'message/http'.\"}")


def web_answer(result: Any) -> Reply:
    """The action's result as `.http` answers it (the controller's `resultAsHttp`)."""
    if result is None:
        result = {}  # runner.js / the launcher: no result is {}
    if type(result) is not dict:
        return _not_http()
    if "error" in result:  # an application error: the controller projects `error` and answers that
        error = result["error"]
        return http_answer(error) if type(error) is dict else _not_http()
    return http_answer(result)


class _Invocation:
    __slots__ = ("args",)

    def __init__(self, args: tuple[Any, ...]) -> None:
        self.args = args

    def answer(self, result: Any) -> Reply:
        return web_answer(result)

    def error(self, exc: BaseException) -> None:
        return None  # the contract's 500


class OpenWhiskAdapter:
    def __init__(self, settings: Any, function: Any) -> None:
        pass

    def invocation(self, request: Request) -> _Invocation:
        scope = request.scope
        args: dict[str, Any] = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        body = request.body
        media = request.media_type()
        if body:
            merged = False
            if media == "application/json" or media.endswith("+json"):
                value = decode_json(body)  # BadJson: 400
                if type(value) is dict:
                    args.update(value)
                    merged = True
            elif media == "application/x-www-form-urlencoded":
                try:
                    args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
                    merged = True
                except UnicodeDecodeError:
                    raise BadJson(b"Bad Request: the form body is not UTF-8") from None
            if not merged:
                args["__ow_body"] = text_or_base64(body, not media or is_text_type(media))[0]
        args["__ow_method"] = scope["method"].lower()
        args["__ow_headers"] = request.joined_headers(",")
        args["__ow_path"] = "" if scope["path"] == "/" else scope["path"]
        return _Invocation((args,))
