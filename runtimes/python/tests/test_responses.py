"""Return values to answers (CONTRACT §5), checked on the converted answer itself."""

from __future__ import annotations

import bottle
import pytest
from starlette.responses import PlainTextResponse

from kubeless_runtime.responses import ConversionError, Reply, Stream, convert


def reply(value: object) -> Reply:
    answer = convert(value)
    assert isinstance(answer, Reply)
    return answer


@pytest.mark.parametrize(
    ("value", "body", "content_type"),
    [
        ("héllo", "héllo".encode(), b"text/plain; charset=utf-8"),
        (b"\x00\xff", b"\x00\xff", b"application/octet-stream"),
        ({"a": [1, "é"]}, '{"a":[1,"é"]}'.encode(), b"application/json"),
        ([1, 2], b"[1,2]", b"application/json"),
        (3.5, b"3.5", b"application/json"),
        (True, b"true", b"application/json"),
        (None, b"", None),
    ],
)
def test_plain_values(value: object, body: bytes, content_type: bytes | None) -> None:
    answer = reply(value)
    assert answer.status == 200 and answer.body == body
    assert dict(answer.headers).get(b"content-type") == content_type


def test_tuples_set_status_and_headers_and_their_content_type_wins() -> None:
    answer = reply(("created", 201))
    assert (answer.status, answer.body) == (201, b"created")
    answer = reply(({"a": 1}, 202, {"Content-Type": "application/vnd.x+json", "X-A": "b"}))
    assert answer.status == 202 and dict(answer.headers) == {b"content-type": b"application/vnd.x+json", b"x-a": b"b"}
    answer = reply(("x", 200, [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Content-Length", "99")]))
    assert answer.headers.count((b"set-cookie", b"a=1")) == 1 and b"content-length" not in dict(answer.headers)


def test_bottle_responses_and_lookalikes() -> None:
    answer = reply(bottle.HTTPResponse("made", status=202, headers={"X-A": "b"}))
    assert answer.status == 202 and answer.body == b"made"
    assert dict(answer.headers) == {b"x-a": b"b", b"content-type": b"text/plain; charset=utf-8"}
    typed = bottle.HTTPResponse("<p>", status=200)
    typed.content_type = "text/html"
    assert dict(reply(typed).headers)[b"content-type"] == b"text/html"

    class Shaped:
        status_code = 418
        body = {"tea": True}
        headers = {"X-Pot": "yes"}

    answer = reply(Shaped())
    assert answer.status == 418 and answer.body == b'{"tea":true}'


def test_streams_and_starlette_responses() -> None:
    def gen():
        yield "a"

    async def agen():
        yield "a"

    stream = convert(gen())
    assert isinstance(stream, Stream) and not stream.is_async and stream.status == 200
    stream = convert((agen(), 206, {"Content-Type": "text/event-stream"}))
    assert isinstance(stream, Stream) and stream.is_async and stream.status == 206
    assert dict(stream.headers)[b"content-type"] == b"text/event-stream"
    response = PlainTextResponse("x")
    assert convert(response) is response


@pytest.mark.parametrize(
    "value",
    [object(), ("a", 99), ("a", "teapot"), ("a",), ("a", 200, {}, 1), {"x": float("nan")}, {1, 2}],
)
def test_what_cannot_be_sent_is_a_conversion_error(value: object) -> None:
    with pytest.raises(ConversionError):
        convert(value)
