"""What a function returns (or raises), turned into something the app can send (CONTRACT §5).

Three shapes come out of `convert`:
- `Reply`: status, headers and a body in memory, the common case. The app sends it itself in two
  ASGI messages with precomputed header lists, which is what keeps the hot path short;
- a Starlette `Response` the function built: sent as is, by Starlette;
- `Stream`: a generator or async generator of `str`/`bytes`, sent chunk by chunk.

Kubeless functions set a status with a bottle `HTTPResponse` (returned, or raised as
`bottle.abort` does); anything with `status_code`, `body` and `headers` is taken the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import Any

import bottle
from starlette.responses import Response as StarletteResponse

TEXT_PLAIN = (b"content-type", b"text/plain; charset=utf-8")
OCTET_STREAM = (b"content-type", b"application/octet-stream")
APPLICATION_JSON = (b"content-type", b"application/json")


class ConversionError(TypeError):
    """The function returned something the runtime cannot send; answered as a 500.

    The app logs it as the runtime's conversion of the result, not as an error the function raised.
    """


# What HTTP/1.1 can carry (RFC 9110 §5.1, §5.5): a header name is a token; a value has no control
# characters but tab (CR/LF would end the header early and let a value inject headers of its own).
# uvicorn checks the same only once it is writing the response, too late for a clean 500.
_BAD_NAME = re.compile(rb"[^!#$%&'*+\-.^_`|~0-9A-Za-z]")
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def check_headers(headers: Iterable[tuple[bytes, bytes]]) -> None:
    """Raise `ConversionError` for a header HTTP/1.1 cannot carry."""
    for name, value in headers:
        if not name or _BAD_NAME.search(name):
            raise ConversionError(f"invalid response header name {name.decode('latin-1')!r}")
        if _BAD_VALUE.search(value):
            raise ConversionError(
                f"invalid value for the response header {name.decode('latin-1')!r}: {value.decode('latin-1')!r}"
            )


def check_start(status: Any, headers: Iterable[tuple[bytes, bytes]]) -> None:
    """Raise `ConversionError` for a response start HTTP/1.1 cannot carry (a Starlette Response's)."""
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise ConversionError(f"the response status must be from 100 to 599, got {status!r}")
    check_headers(headers)


class Reply:
    """A complete answer in memory. `headers` never hold Content-Length: the app adds it."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class Stream:
    """A streamed answer: chunks from a (sync or async) iterator, sent with chunked encoding."""

    __slots__ = ("status", "headers", "iterator", "is_async")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], iterator: Any, is_async: bool) -> None:
        self.status = status
        self.headers = headers
        self.iterator = iterator
        self.is_async = is_async


Answer = Reply | Stream | StarletteResponse


def _json_body(value: Any) -> bytes:
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ConversionError(f"the function returned a value that is not JSON-serialisable: {exc}") from None
    return text.encode("utf-8")  # UnicodeEncodeError (a lone surrogate): see convert


def _body(value: Any) -> tuple[bytes, tuple[bytes, bytes] | None]:
    """The bytes of a plain value and its default content-type header (None: no body, no type)."""
    if isinstance(value, str):
        return value.encode("utf-8"), TEXT_PLAIN
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value), OCTET_STREAM
    if value is None:
        return b"", None
    if isinstance(value, dict | list | int | float):  # bool is an int
        return _json_body(value), APPLICATION_JSON
    raise ConversionError(f"the function returned a {type(value).__name__}, which the runtime cannot send")


def _is_stream(value: Any) -> bool:
    return isinstance(value, Iterator | AsyncIterator) and not isinstance(value, str | bytes | bytearray)


def _encode_headers(headers: Any) -> list[tuple[bytes, bytes]]:
    if headers is None:
        return []
    items: Iterable[Any]
    if isinstance(headers, Mapping):
        items = headers.items()
    elif isinstance(headers, Iterable) and not isinstance(headers, str | bytes):
        items = headers
    else:
        raise ConversionError(f"response headers must be a dict or a list of pairs, not {type(headers).__name__}")
    out = []
    for item in items:
        try:
            name, value = item
        except (TypeError, ValueError):
            raise ConversionError(f"a response header must be a (name, value) pair, got {item!r}") from None
        try:
            raw_name = name if isinstance(name, bytes) else str(name).encode("latin-1")
            raw_value = value if isinstance(value, bytes) else str(value).encode("latin-1")
        except UnicodeEncodeError:
            raise ConversionError(f"a response header must be latin-1 text, got {name!r}: {value!r}") from None
        out.append((raw_name.lower(), raw_value))
    check_headers(out)
    return out


def _status(value: Any) -> int:
    if isinstance(value, str) and value[:3].isdigit():  # bottle accepts "404 Not Found"
        value = int(value[:3])
    if not isinstance(value, int) or isinstance(value, bool) or not 100 <= value <= 599:
        raise ConversionError(f"the response status must be an integer from 100 to 599, got {value!r}")
    return value


def _with_body(status: int, headers: list[tuple[bytes, bytes]], body: Any) -> Reply | Stream:
    """An answer with this status and headers; the body's default content type unless one is set.

    A Content-Length the function set is dropped: the runtime knows the real one.
    """
    headers = [h for h in headers if h[0] != b"content-length"]
    has_type = any(name == b"content-type" for name, _ in headers)
    if _is_stream(body):
        if not has_type:
            headers.append(TEXT_PLAIN)
        return Stream(status, headers, body, isinstance(body, AsyncIterator))
    data, content_type = _body(body)
    if content_type is not None and not has_type:
        headers.append(content_type)
    return Reply(status, headers, data)


def is_http_response(value: Any) -> bool:
    """A bottle HTTPResponse, or anything shaped like one (returned or raised)."""
    return (
        isinstance(value, bottle.BaseResponse)
        or hasattr(value, "status_code")
        and hasattr(value, "body")
        and hasattr(value, "headers")
    )


def _from_http_response(value: Any) -> Reply | Stream:
    if isinstance(value, bottle.BaseResponse):
        # headerlist adds bottle's text/html default type and the cookies; keep the cookies, and
        # keep our own defaults (text/plain for a str) unless the function set a type itself.
        explicit_type = "Content-Type" in value._headers  # noqa: SLF001
        headers = _encode_headers(
            [(name, val) for name, val in value.headerlist if explicit_type or name != "Content-Type"]
        )
    else:
        headers = _encode_headers(value.headers)
    return _with_body(_status(value.status_code), headers, value.body)


# Fast paths for the commonest results: shared, never-mutated header lists.
_TEXT_HEADERS = [TEXT_PLAIN]
_OCTET_HEADERS = [OCTET_STREAM]
_JSON_HEADERS = [APPLICATION_JSON]
_NO_HEADERS: list[tuple[bytes, bytes]] = []


def convert(value: Any) -> Answer:
    """Turn a function's return value into an answer. Raises `ConversionError` for the unsendable.

    The header lists of the fast paths are shared: the app copies before adding to them.
    """
    try:
        return _convert(value)
    except UnicodeEncodeError as exc:  # a lone surrogate in a str: no UTF-8 for it
        raise ConversionError(f"the function returned text that is not valid Unicode: {exc}") from None


def encode_chunk(chunk: Any) -> bytes | bytearray | memoryview:
    """A streamed chunk as bytes; `ConversionError` for what cannot be sent."""
    if isinstance(chunk, str):
        try:
            return chunk.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ConversionError(f"a streamed chunk is text that is not valid Unicode: {exc}") from None
    if not isinstance(chunk, bytes | bytearray | memoryview):
        raise ConversionError(f"a streamed chunk must be str or bytes, not {type(chunk).__name__}")
    return chunk


def _convert(value: Any) -> Answer:
    kind = type(value)
    if kind is str:
        return Reply(200, _TEXT_HEADERS, value.encode("utf-8"))
    if kind is dict or kind is list:
        return Reply(200, _JSON_HEADERS, _json_body(value))
    if kind is bytes:
        return Reply(200, _OCTET_HEADERS, value)
    if value is None:
        return Reply(200, _NO_HEADERS, b"")
    if isinstance(value, StarletteResponse):
        return value
    if isinstance(value, tuple):
        if len(value) not in (2, 3):
            raise ConversionError(f"a returned tuple must be (body, status) or (body, status, headers), got {len(value)} items")
        headers = _encode_headers(value[2]) if len(value) == 3 else []
        return _with_body(_status(value[1]), headers, value[0])
    if is_http_response(value):
        return _from_http_response(value)
    if _is_stream(value):
        return Stream(200, [TEXT_PLAIN], value, isinstance(value, AsyncIterator))
    return _with_body(200, [], value)
