"""Every response carries the security headers; credentials are never cached; a page's own CSP stays."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from examsvc.app import create_app
from examsvc.config import Settings
from examsvc.identity.access import PUBLIC_ROUTES
from examsvc.identity.roles import Role
from tests.builders import DEFAULT_PASSWORD, Actors, make_user


def _assert_hardened(response: object, *, cache: str = "no-store") -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == cache
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


def test_a_login_answer_is_never_cached_and_carries_every_header(actors: Actors) -> None:
    user = make_user(actors.db_session, Role.AUDITOR)
    response = actors.client.post("/auth/login", json={"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    _assert_hardened(response)
    assert response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_errors_and_unknown_paths_carry_the_headers_too(client: TestClient) -> None:
    _assert_hardened(client.get("/users/1"))  # 401
    _assert_hardened(client.get("/no/such/path"))  # 404
    _assert_hardened(client.post("/auth/login", json={}))  # 422


def test_the_public_checkpoint_and_key_may_be_cached_briefly(client: TestClient) -> None:
    assert ("GET", "/audit/key") in PUBLIC_ROUTES
    for path in ("/audit/checkpoint", "/audit/key"):
        _assert_hardened(client.get(path), cache="public, max-age=5")


def test_html_gets_a_policy_that_allows_its_inline_style_only(app: FastAPI) -> None:
    @app.get("/test-page", response_class=HTMLResponse)
    def page() -> str:
        return "<html><style>p{}</style><p>x</p></html>"

    @app.get("/test-own-policy", response_class=HTMLResponse)
    def own() -> HTMLResponse:
        return HTMLResponse("<p>x</p>", headers={"Content-Security-Policy": "default-src 'self'"})

    with TestClient(app) as client:
        policy = client.get("/test-page").headers["content-security-policy"]
        assert "style-src 'unsafe-inline'" in policy and "script-src" not in policy and "default-src 'none'" in policy
        assert client.get("/test-own-policy").headers["content-security-policy"] == "default-src 'self'"


def test_production_serves_no_api_documentation_unless_asked(tmp_path: Path, engine: Engine) -> None:
    def app_with(**extra: object) -> TestClient:
        settings = Settings(_env_file=None, data_dir=tmp_path,  # type: ignore[call-arg]
                            database_url="postgresql+psycopg://x@db/x", environment="production",
                            log_origin="exam.example.cn/log", certificate_issuer="CN-14", **extra)
        return TestClient(create_app(settings, engine=engine))

    closed = app_with()
    assert [closed.get(p).status_code for p in ("/docs", "/redoc", "/openapi.json")] == [404, 404, 404]
    opened = app_with(api_docs=True)
    assert opened.get("/openapi.json").status_code == 200
    docs = opened.get("/docs")
    assert docs.status_code == 200 and "https://cdn.jsdelivr.net" in docs.headers["content-security-policy"]
