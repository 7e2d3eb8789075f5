"""The event's pieces: the lazy bottle request, generated ids and times."""

from __future__ import annotations

import re
import time
import uuid

import bottle

from kubeless_runtime.event import EventTime, FunctionRequest, new_event_id

SCOPE = {
    "type": "http",
    "http_version": "1.1",
    "method": "POST",
    "scheme": "http",
    "path": "/caf\u00e9/x",
    "raw_path": b"/caf%C3%A9/x",
    "root_path": "",
    "query_string": b"a=1&b=two",
    "server": ("127.0.0.1", 8080),
    "client": ("10.1.2.3", 4567),
    "headers": [
        (b"host", b"example.com"),
        (b"content-type", b"application/json"),
        (b"content-length", b"999"),  # what the client said; the environ must use what was read
        (b"transfer-encoding", b"chunked"),  # already de-chunked: bottle must not see it
        (b"x-test", b"one"),
        (b"x-test", b"two"),
        (b"cookie", b"a=1"),
        (b"cookie", b"b=2"),
    ],
}


def test_it_is_a_bottle_request_whose_environ_is_built_on_first_use() -> None:
    request = FunctionRequest(SCOPE, b'{"k": 1}')
    assert isinstance(request, bottle.BaseRequest)
    assert bottle.BaseRequest.environ.__get__  # the slot stays empty until asked for:
    try:
        bottle.BaseRequest.environ.__get__(request)
        raise AssertionError("environ was built eagerly")
    except AttributeError:
        pass
    assert request.method == "POST"
    assert request.environ["bottle.request"] is request


def test_bottle_accessors_over_an_already_read_body() -> None:
    request = FunctionRequest(SCOPE, b'{"k": 1}')
    assert request.path == "/caf\u00e9/x"
    assert request.query.get("b") == "two" and request.query_string == "a=1&b=two"
    assert request.get_header("X-Test") == "one,two"
    assert request.cookies == {"a": "1", "b": "2"}
    assert request.content_length == 8 and request.content_type == "application/json"
    assert request.json == {"k": 1}
    stream = request.body
    assert stream.read() == b'{"k": 1}' and stream.read() == b""
    assert request.body.read() == b'{"k": 1}'  # `body` seeks back to the start on each access
    assert request.remote_addr == "10.1.2.3"
    assert request.url == "http://example.com/caf%C3%A9/x?a=1&b=two"


def test_bottle_parses_forms_and_files_from_the_body() -> None:
    body = (
        b"--XX\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nvalue\r\n"
        b"--XX\r\nContent-Disposition: form-data; name=\"up\"; filename=\"a.txt\"\r\n"
        b"Content-Type: text/plain\r\n\r\nfile body\r\n--XX--\r\n"
    )
    scope = {**SCOPE, "headers": [(b"content-type", b"multipart/form-data; boundary=XX")]}
    request = FunctionRequest(scope, body)
    assert request.forms.get("field") == "value"
    upload = request.files.get("up")
    assert upload.filename == "a.txt" and upload.file.read() == b"file body"


def test_user_attributes_live_in_the_environ_as_in_bottle() -> None:
    request = FunctionRequest(SCOPE, b"")
    request.user = "ada"
    assert request.user == "ada" and request.environ["bottle.request.ext.user"] == "ada"


def test_event_ids_are_uuid4_and_distinct() -> None:
    ids = {new_event_id() for _ in range(2000)}
    assert len(ids) == 2000
    for text in list(ids)[:200]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_event_time_is_rfc3339_utc_with_milliseconds() -> None:
    clock = EventTime()
    assert clock.format(1795715432.1239) == "2026-11-26T17:50:32.123Z"
    assert clock.format(1795715432.9999) == "2026-11-26T17:50:32.999Z"
    assert clock.format(1795715433.0) == "2026-11-26T17:50:33.000Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", clock.format(time.time()))
