"""CONTRACT §2: CORS (default `*`, a list of origins, `off`) and preflights."""

from __future__ import annotations

import pytest

from support import calls

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def preflight(server, origin: str, headers: str = "X-Token, Content-Type"):
    return server.request("OPTIONS", "/some/path", headers={
        "Origin": origin, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": headers})


def test_default_allows_any_origin(serve):
    server = serve("basic", "echo", shared=True)
    response = server.post("/", content=b"x", headers={"Origin": "https://a.example"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"


def test_default_is_on_every_response_even_without_origin(serve):
    """Shared decision 10: `*` on every response (as Kubeless Node's cors middleware), Origin or not."""
    server = serve("basic", "echo", shared=True)
    assert server.post("/", content=b"x").headers["access-control-allow-origin"] == "*"
    assert server.get("/healthz").headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("function", ["answer", "answer_async"])
@pytest.mark.parametrize("env", [{}, {"FUNC_CORS_ORIGINS": "https://a.example"}], ids=["any", "list"])
def test_the_functions_own_allow_origin_wins(serve, function, env):
    server = serve("edges", function, env=env, shared=True)
    for headers in ({"Origin": "https://a.example"}, {}):
        response = server.get("/", headers={"x-case": "own_cors", **headers})
        assert response.status_code == 200
        assert response.headers.get_list("access-control-allow-origin") == ["https://mine.example"]


def test_default_preflight_is_answered_by_the_runtime(serve):
    server = serve("basic", "echo", shared=True)
    before = calls(server, "OPTIONS")
    response = preflight(server, "https://a.example")
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == "*"
    allowed = {m.strip() for m in response.headers["access-control-allow-methods"].split(",")}
    assert METHODS <= allowed
    assert response.headers["access-control-allow-headers"].lower() == "x-token, content-type"
    assert response.headers["access-control-max-age"] == "86400"
    assert calls(server, "OPTIONS") == before


def test_error_responses_carry_cors_headers(serve):
    server = serve("returns", "dispatch", shared=True)
    response = server.post("/", headers={"x-case": "raise", "Origin": "https://a.example"})
    assert response.status_code == 500
    assert response.headers["access-control-allow-origin"] == "*"
    response = server.post("/", content=b"{bad", headers={"Content-Type": "application/json",
                                                           "Origin": "https://a.example"})
    assert response.status_code == 400
    assert response.headers["access-control-allow-origin"] == "*"


LIST = {"FUNC_CORS_ORIGINS": "https://a.example,https://b.example"}


def test_list_echoes_an_allowed_origin(serve):
    server = serve("basic", "echo", env=LIST, shared=True)
    for origin in ("https://a.example", "https://b.example"):
        response = server.get("/", headers={"Origin": origin})
        assert response.headers["access-control-allow-origin"] == origin


def test_list_refuses_other_origins(serve):
    server = serve("basic", "echo", env=LIST, shared=True)
    response = server.get("/", headers={"Origin": "https://evil.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_list_preflight(serve):
    server = serve("basic", "echo", env=LIST, shared=True)
    before = calls(server, "OPTIONS")
    allowed = preflight(server, "https://b.example")
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == "https://b.example"
    refused = preflight(server, "https://evil.example")
    assert refused.status_code == 204
    assert "access-control-allow-origin" not in refused.headers
    assert calls(server, "OPTIONS") == before


def test_off_sends_no_cors_and_preflight_reaches_the_function(serve):
    server = serve("basic", "echo", env={"FUNC_CORS_ORIGINS": "off"}, shared=True)
    response = server.get("/", headers={"Origin": "https://a.example"})
    assert "access-control-allow-origin" not in response.headers
    before = calls(server, "OPTIONS")
    response = preflight(server, "https://a.example")
    assert response.status_code == 200
    assert response.json()["method"] == "OPTIONS"
    assert "access-control-allow-origin" not in response.headers
    assert calls(server, "OPTIONS") == before + 1
