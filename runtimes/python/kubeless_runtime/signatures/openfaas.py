"""FUNC_SIGNATURE=openfaas: OpenFaaS's Python templates (foreign-signatures.md §4), told apart by arity.

- `handle(event, context)`, the `python3-http` template (openfaas/python-flask-template
  `template/python3-http/index.py`): `event.body` (bytes), `event.headers` (case-insensitive),
  `event.method`, `event.query` (`query['k']` and `query.get('k')` give the first value,
  `query.getlist('k')` all), `event.path`; `context.hostname`. The result: None → 200, empty; a
  dict → `statusCode` (200), `headers`, `body` (a dict → JSON; missing → ""; other → `str(body)`,
  bytes as is when `headers['Content-type']` is `application/octet-stream`, as the template does);
  anything else → as Flask answers it (below).
- `handle(req)`, the classic `python3-flask` template: `req` is the body as text (bytes with
  `RAW_BODY=true`), and the result goes to Flask as is.

"As Flask answers it" is written here, without Flask (the image does not grow): `make_response`'s
rules for what a view returns. str / bytes → `text/html; charset=utf-8`; dict / list → JSON as
`jsonify` writes it (compact, sorted keys, ASCII, a final newline), `application/json`; a tuple
`(body, status)`, `(body, headers)` or `(body, status, headers)`, its headers replacing those of
the same name; an iterator of str/bytes → streamed, `text/html; charset=utf-8`; None, a number or
anything else → Flask's TypeError, answered as the contract's 500 ("the result cannot be sent").
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl

from ..responses import ConversionError, Reply, Stream, check_headers, encode_chunk
from . import Request, SignatureError, positional_arity

TEXT_HTML = (b"content-type", b"text/html; charset=utf-8")
APPLICATION_JSON = (b"content-type", b"application/json")


class Headers(Mapping[str, str]):
    """The request's headers as werkzeug's `EnvironHeaders` reads: case-insensitive, the first of a
    repeated name for `[...]`/`get`, all of them for `getlist`. Names come back as sent, Title-Case
    (`Content-Type`). Unlike werkzeug's, iterating gives the names (a Mapping), not (name, value) pairs."""

    __slots__ = ("_items", "_index")

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items
        self._index: dict[str, str] = {}
        for name, value in items:
            self._index.setdefault(name.lower(), value)

    def __getitem__(self, name: str) -> str:
        if not isinstance(name, str):
            raise KeyError(name)
        return self._index[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def __iter__(self) -> Iterator[str]:
        seen = set()
        for name, _ in self._items:
            if name.lower() not in seen:
                seen.add(name.lower())
                yield name

    def __len__(self) -> int:
        return len(self._index)

    def getlist(self, name: str) -> list[str]:
        key = name.lower()
        return [value for item, value in self._items if item.lower() == key]

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


class Query(Mapping[str, str]):
    """The query as werkzeug's `MultiDict` reads: `['k']` and `get('k')` the first value, `getlist('k')` all."""

    __slots__ = ("_lists",)

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._lists: dict[str, list[str]] = {}
        for key, value in pairs:
            self._lists.setdefault(key, []).append(value)

    def __getitem__(self, key: str) -> str:
        return self._lists[key][0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._lists)

    def __len__(self) -> int:
        return len(self._lists)

    def getlist(self, key: str) -> list[str]:
        return list(self._lists.get(key, ()))

    def to_dict(self, flat: bool = True) -> dict[str, Any]:
        return {k: v[0] for k, v in self._lists.items()} if flat else {k: list(v) for k, v in self._lists.items()}

    def __repr__(self) -> str:
        return f"Query({[(k, v) for k, vs in self._lists.items() for v in vs]!r})"


class Event:
    """python3-http's `Event` (index.py)."""

    __slots__ = ("body", "headers", "method", "query", "path")

    def __init__(self, body: bytes, headers: Headers, method: str, query: Query, path: str) -> None:
        self.body = body
        self.headers = headers
        self.method = method
        self.query = query
        self.path = path


class Context:
    """python3-http's `Context`: only the host name."""

    __slots__ = ("hostname",)

    def __init__(self, hostname: str) -> None:
        self.hostname = hostname


def _title(name: bytes) -> str:
    return "-".join(part.capitalize() for part in name.decode("latin-1").split("-"))


def jsonify(value: Any) -> bytes:
    """Flask's `jsonify` outside debug mode: compact, sorted keys, ASCII only, and a newline."""
    try:
        text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=True, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise ConversionError(f"the function returned a value that is not JSON-serialisable: {exc}") from None
    return (text + "\n").encode("ascii")


def _status(value: Any) -> int:
    if isinstance(value, str) and value[:3].isdigit():
        value = int(value[:3])  # Flask takes "201 CREATED"
    if not isinstance(value, int) or isinstance(value, bool) or not 100 <= value <= 599:
        raise ConversionError(f"the response status must be an integer from 100 to 599, got {value!r}")
    return value


def _header_pairs(headers: Any) -> list[tuple[bytes, bytes]]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    out = []
    try:
        for name, value in items:
            out.append((str(name).encode("latin-1").lower(), str(value).encode("latin-1")))
    except (TypeError, ValueError, UnicodeEncodeError):
        raise ConversionError(f"response headers must be a dict or a list of (name, value) pairs, got {headers!r}") from None
    check_headers(out)
    return out


def flask_response(rv: Any) -> Reply | Stream:
    """What Flask's `make_response` makes of a view's return value (without Flask)."""
    status, extra = 200, None
    if isinstance(rv, tuple):
        if len(rv) == 3:
            rv, status, extra = rv
        elif len(rv) == 2:
            if isinstance(rv[1], Mapping | tuple | list):
                rv, extra = rv
            else:
                rv, status = rv
        else:
            raise ConversionError(
                "the view function did not return a valid response tuple: (body, status, headers), (body, status) or (body, headers)"
            )
        status = _status(status)
    if isinstance(rv, str):
        headers, body = [TEXT_HTML], rv.encode("utf-8")
    elif isinstance(rv, bytes | bytearray):
        headers, body = [TEXT_HTML], bytes(rv)
    elif isinstance(rv, dict | list):
        headers, body = [APPLICATION_JSON], jsonify(rv)
    elif isinstance(rv, Iterator):
        headers, body = [TEXT_HTML], None
    else:
        raise ConversionError(
            f"the function returned a {'None' if rv is None else type(rv).__name__}, which Flask does not answer"
        )
    if extra is not None:
        given = _header_pairs(extra)
        names = {name for name, _ in given}
        headers = [h for h in headers if h[0] not in names] + [h for h in given if h[0] != b"content-length"]
    if body is None:
        return Stream(status, headers, _chunks(rv), False)
    return Reply(status, headers, body)


def _chunks(iterator: Iterator[Any]) -> Iterator[bytes]:
    for chunk in iterator:
        yield bytes(encode_chunk(chunk))


def http_template_response(res: Any) -> Reply | Stream:
    """python3-http's `format_response` (index.py), then Flask."""
    if res is None:
        return flask_response(("", 200))
    if type(res) is not dict:
        return flask_response(res)
    status = res.get("statusCode", 200)
    headers = res.get("headers")
    content_type = headers.get("Content-type", "") if isinstance(headers, dict) else ""
    if content_type == "application/octet-stream":
        body = res.get("body")
    elif "body" not in res:
        body = ""
    elif type(res["body"]) is dict:
        # jsonify(body): a JSON response, to which the status and the headers are then applied
        merged = [h for h in _merge([APPLICATION_JSON], headers) if h[0] != b"content-length"]
        return Reply(_status(status), merged, jsonify(res["body"]))
    else:
        body = str(res["body"])
    if headers is None:
        return flask_response((body, status, []))
    return flask_response((body, status, headers))


def _merge(defaults: list[tuple[bytes, bytes]], headers: Any) -> list[tuple[bytes, bytes]]:
    if headers is None:
        return defaults
    given = _header_pairs(headers)
    names = {name for name, _ in given}
    return [h for h in defaults if h[0] not in names] + given


class _HttpInvocation:
    __slots__ = ("args",)

    def __init__(self, args: tuple[Any, ...]) -> None:
        self.args = args

    def answer(self, result: Any) -> Reply | Stream:
        return http_template_response(result)

    def error(self, exc: BaseException) -> None:
        return None


class _ClassicInvocation(_HttpInvocation):
    __slots__ = ()

    def answer(self, result: Any) -> Reply | Stream:
        return flask_response(result)


class OpenFaaSAdapter:
    def __init__(self, settings: Any, function: Any) -> None:
        arity = positional_arity(function)
        if arity not in (1, 2, None):
            raise SignatureError(
                f"with FUNC_SIGNATURE=openfaas the function must take (event, context) or (req), it takes {arity} arguments"
            )
        self.classic = arity == 1
        self.raw_body = os.environ.get("RAW_BODY", "").lower() == "true"
        self.context = Context(os.environ.get("HOSTNAME") or socket.gethostname())

    def invocation(self, request: Request) -> _HttpInvocation:
        if self.classic:
            req: Any = request.body if self.raw_body else request.body.decode("utf-8", "replace")
            return _ClassicInvocation((req,))
        scope = request.scope
        headers = Headers([(_title(name), value.decode("latin-1")) for name, value in scope["headers"]])
        query = Query(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        event = Event(request.body, headers, scope["method"], query, scope["path"])
        return _HttpInvocation((event, self.context))
