"""Issue 11, FUNC_SIGNATURE=fission: Fission environments' functions, answered as those environments
answer them.

The binding spec is /work/wt/SHARED-DECISIONS-11b.md; the platform's facts and example ids are
/work/shared/foreign-signatures.md §5. (The Python cases and the machinery cases for both runtimes
are py-flask's, above this file's Node.js section.)
"""

from __future__ import annotations


# --- Node.js examples ---
# fission/environments@45815b4 nodejs/server.js (Express 5: express.urlencoded({extended: false}),
# express.json(), express.raw(), express.text({type: 'text/*'}); context = {request, response};
# fn.length <= 1 → {status, body, headers}, 2 → callback(status, body, headers); the answer made with
# res.set, res.status and res.send or a piped stream.Readable) and its tests/examples (test-case-1,
# -2, -3, -5, fission/examples nodejs/hello-callback.js and multi-entry-esm.js), re-created in
# tests/functions/nodejs/sig_fission_*. The environment's app keeps Express's defaults: X-Powered-By
# and weak ETags. Where Fission answers an exception with 500 "Internal server error", the contract's
# 500 wins (counted, logged with the event id).

import base64 as _b64
import json as _json

import pytest as _pytest

from support import assert_error as _assert_error
from support import content_type as _content_type
from support import metrics as _metrics
from support import sample as _sample

_NODE_FISSION = {"FUNC_SIGNATURE": "fission"}
_NODE_HTML = "text/html; charset=utf-8"
_NODE_JSON = "application/json; charset=utf-8"


def _node_counts(server, name: str, method: str) -> float:
    return _sample(_metrics(server), name, method=method)


@_pytest.mark.smoke
@_pytest.mark.only("nodejs")
def test_nodejs_f_js_1_hello_world(serve):
    # F-js-1, nodejs/test/test-case-1/helloWorld.js: {status: 200, body: "hello, world!\n"}; server.js
    # res.send(string): text/html; charset=utf-8, with Express's X-Powered-By and weak ETag (the etag
    # module: W/"<length hex>-<sha1 base64, 27 chars>").
    server = serve("sig_fission_hello", "main", env=_NODE_FISSION, shared=True)
    response = server.get("/")
    assert (response.status_code, _content_type(response), response.text) == (200, _NODE_HTML, "hello, world!\n")
    assert response.headers["x-powered-by"] == "Express"
    assert response.headers["etag"] == 'W/"e-6RuglyuQVRh/ou+otcFW9IeoKTo"'


@_pytest.mark.only("nodejs")
def test_nodejs_a_matching_etag_is_304(serve):
    # Express's res.send: req.fresh (If-None-Match matches the ETag) → 304, no body.
    server = serve("sig_fission_hello", "main", env=_NODE_FISSION, shared=True)
    etag = server.get("/").headers["etag"]
    response = server.get("/", headers={"if-none-match": etag})
    assert (response.status_code, response.content) == (304, b"")
    assert server.post("/", headers={"if-none-match": etag}).status_code == 200  # GET and HEAD only


@_pytest.mark.only("nodejs")
@_pytest.mark.parametrize("query, text", [("?user=Jo", "hello Jo!"), ("", "hello undefined!")])
def test_nodejs_f_js_2_hello_user(serve, query, text):
    # F-js-2, test-case-2/helloUser.js: url.parse(context.request.url, true).query.user; without it
    # the environment answers "hello undefined!".
    server = serve("sig_fission_user", "main", env=_NODE_FISSION, shared=True)
    response = server.get(f"/{query}")
    assert (response.status_code, _content_type(response), response.text) == (200, _NODE_HTML, text)


@_pytest.mark.only("nodejs")
def test_nodejs_f_js_3_callback(serve):
    # F-js-3, fission/examples nodejs/hello-callback.js: (context, callback) => callback(200, "…").
    server = serve("sig_fission_callback", "main", env=_NODE_FISSION, shared=True)
    response = server.get("/")
    assert (response.status_code, _content_type(response), response.text) == (200, _NODE_HTML, "Hello, world callback!\n")


@_pytest.mark.only("nodejs")
def test_nodejs_f_js_4_esm_default_export(serve):
    # F-js-4, test-case-5/helloWorld.js (ESM): the default export; its headers set with res.set.
    server = serve("sig_fission_esm", "main", env=_NODE_FISSION, shared=True)
    response = server.get("/")
    assert (response.status_code, _content_type(response)) == (200, _NODE_HTML)
    assert response.text == "hello, world from ESM! 🎉\n"
    assert response.headers["x-module-type"] == "ESM"
    assert response.headers["x-node-version"].startswith("v")


@_pytest.mark.only("nodejs")
def test_nodejs_f_js_5_named_entry_points(serve):
    # F-js-5, fission/examples nodejs/multi-entry-esm.js: entry points `file.entry1` / `file.entry2`;
    # a JSON string body with Content-Type application/json (res.set adds charset=utf-8).
    server = serve("sig_fission_multi", "entry1", env=_NODE_FISSION, shared=True)
    response = server.get("/?name=Ann")
    assert (response.status_code, _content_type(response)) == (200, _NODE_JSON)
    assert response.headers["x-entry-point"] == "entry1"
    assert response.json() == {"message": "Hello from Entry Point 1, Ann! 🚀", "entryPoint": "entry1"}
    assert response.text.startswith('{\n  "message"')  # JSON.stringify(…, null, 2), sent as it is
    server = serve("sig_fission_multi", "entry2", env=_NODE_FISSION, shared=True)
    response = server.post("/", content=b'{"k": [1, 2]}', headers={"content-type": "application/json"})
    assert (response.status_code, _content_type(response), response.headers["x-entry-point"]) == (200, _NODE_JSON, "entry2")
    assert response.json()["receivedData"] == {"k": [1, 2]}


@_pytest.mark.only("nodejs")
@_pytest.mark.parametrize("ctype, body, words", [
    ("text/plain", b"the quick  fox", ["the", "quick", "fox"]),          # text/*: a string
    ("application/x-www-form-urlencoded", b"alpha&beta", ["alpha", "beta"]),  # a form: its keys
    ("application/xml", b"<a/>", []),                                    # no parser: no body
])
def test_nodejs_word_count(serve, ctype, body, words):
    # test-case-3/wordCount.js: the words of the body as the environment's parsers leave it.
    server = serve("sig_fission_wordcount", "main", env=_NODE_FISSION, shared=True)
    response = server.post("/", content=body, headers={"content-type": ctype})
    assert (response.status_code, _content_type(response)) == (200, _NODE_JSON)
    assert response.json() == {"wordCount": len(words), "words": words}


@_pytest.mark.only("nodejs")
@_pytest.mark.parametrize("ctype, body, kind, value", [
    ("application/json", b'{"a": [1, 2]}', "object", {"a": [1, 2]}),
    ("application/x-www-form-urlencoded", b"a[b]=1&a[b]=2&c=x+y", "object", {"a[b]": ["1", "2"], "c": "x y"}),
    ("text/csv", b"a,b", "string", "a,b"),
    ("application/octet-stream", bytes([0, 255]), "buffer", _b64.b64encode(bytes([0, 255])).decode()),
    ("image/png", b"\x89PNG", "undefined", None),   # express.raw() takes application/octet-stream only
    (None, b"no type", "undefined", None),
])
def test_nodejs_request_body_by_content_type(serve, ctype, body, kind, value):
    server = serve("sig_fission_request", "echo", env=_NODE_FISSION, shared=True)
    headers = {"content-type": ctype} if ctype else {}
    response = server.post("/p/q?x=1&x=2", content=body, headers={**headers, "X-Custom": "V"})
    assert (response.status_code, _content_type(response)) == (200, _NODE_JSON)  # an object body: res.json
    seen = response.json()
    assert (seen["bodyKind"], seen.get("body")) == (kind, value)
    assert (seen["method"], seen["path"], seen["query"], seen["header"]) == ("POST", "/p/q", {"x": ["1", "2"]}, "V")


@_pytest.mark.only("nodejs")
def test_nodejs_malformed_json_is_400(serve):
    # express.json() refuses it (Express's 400 page there; one line here), the function not called.
    server = serve("sig_fission_request", "echo", env=_NODE_FISSION, shared=True)
    response = server.post("/", content=b"{bad", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.text.startswith("Bad Request: malformed JSON body: ") and "\n" not in response.text


@_pytest.mark.only("nodejs")
def test_nodejs_a_falsy_status_leaves_the_answer_to_the_function(serve):
    # server.js callback: `if (!status) return;` — the function wrote context.response itself.
    server = serve("sig_fission_request", "ownResponse", env=_NODE_FISSION, shared=True)
    response = server.get("/")
    assert (response.status_code, _content_type(response), response.json()) == (203, _NODE_JSON, {"own": True})
    assert response.headers["x-own"] == "yes"


@_pytest.mark.only("nodejs")
def test_nodejs_a_stream_body_is_piped(serve):
    # server.js: `body instanceof Readable` → body.pipe(res), after res.set of the headers.
    server = serve("sig_fission_request", "stream", env=_NODE_FISSION, shared=True)
    before = _node_counts(server, "function_calls_total", "GET")
    response = server.get("/")
    assert (response.status_code, _content_type(response), response.text) == (200, "text/plain; charset=utf-8", "one two three")
    assert _node_counts(server, "function_calls_total", "GET") == before + 1


@_pytest.mark.only("nodejs")
def test_nodejs_a_later_callback_and_only_the_first(serve):
    # callback(201, {made: true}, headers): an object body is res.send → JSON; a second call is not
    # an answer (server.js would throw ERR_HTTP_HEADERS_SENT into the function).
    server = serve("sig_fission_request", "later", env=_NODE_FISSION, shared=True)
    response = server.get("/")
    assert (response.status_code, _content_type(response), response.json()) == (201, _NODE_JSON, {"made": True})
    assert response.headers["x-later"] == "1"


@_pytest.mark.only("nodejs")
def test_nodejs_no_parameters_no_arguments(serve):
    # server.js: fn.length === 0 → fn().
    server = serve("sig_fission_request", "noArgs", env=_NODE_FISSION, shared=True)
    assert server.get("/").text == "arguments: 0"


@_pytest.mark.only("nodejs")
def test_nodejs_resolving_to_nothing_is_500(serve):
    # server.js destructures the result: undefined throws, answered 500 (the contract's 500 here),
    # logged with the event id and what was wrong, counted as a failure.
    server = serve("sig_fission_request", "nothing", env=_NODE_FISSION, shared=True)
    before = _node_counts(server, "function_failures_total", "GET")
    mark = len(server.stderr())
    response = server.get("/", headers={"event-id": "evt-nothing"})
    _assert_error(response, 500, body="Internal Server Error (event-id: evt-nothing)")
    server.wait_for_output(r"^error: event-id=evt-nothing: TypeError: the function's result is undefined, not \{status, body, headers\}",
                           "stderr", since=mark)
    assert _node_counts(server, "function_failures_total", "GET") == before + 1


@_pytest.mark.only("nodejs")
def test_nodejs_the_entry_point_must_exist(start_fails):
    result = start_fails("sig_fission_multi", "entry3", env=_NODE_FISSION, timeout=15)
    assert result.code == 1 and not result.listened, result.stderr
    lines = result.error_lines()
    assert len(lines) == 1 and "entry3" in lines[0], result.stderr
