from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from examsvc.identity.roles import Role
from examsvc.requestlog import JsonFormatter
from tests.builders import DEFAULT_PASSWORD, login, make_user


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The service's log lines (the test client's own httpx lines are the client's, not ours)."""
    formatter = JsonFormatter()
    return [formatter.format(record) for record in caplog.records if not record.name.startswith("httpx")]


def test_each_request_gets_an_id_in_the_header_and_the_log(client: TestClient,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="examsvc.access"):
        response = client.get("/healthz")
    request_id = response.headers["X-Request-ID"]
    access = [r for r in caplog.records if r.name == "examsvc.access"]
    assert len(access) == 1
    assert request_id in _lines(caplog)[0]
    assert access[0].route == "/healthz"
    assert access[0].status == 200


def test_a_safe_client_request_id_is_kept_and_an_unsafe_one_replaced(client: TestClient) -> None:
    kept = client.get("/healthz", headers={"X-Request-ID": "ws-0042-abcdef"}).headers["X-Request-ID"]
    assert kept == "ws-0042-abcdef"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"}).headers["X-Request-ID"]
    assert replaced != "bad id\nwith newline" and len(replaced) == 16


def test_no_password_token_or_query_string_reaches_the_log(client: TestClient, db_session: Session,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    user = make_user(db_session, Role.SYSTEM_ADMIN)
    with caplog.at_level(logging.DEBUG):
        token = login(client, user.username)
        client.get("/workstations", headers={"Authorization": f"Bearer {token}"}, params={"site_code": "SECRET-Q"})
        client.post("/auth/login", json={"username": user.username, "password": "wrong-but-secret"})
    text = "\n".join(_lines(caplog))
    assert "examsvc.access" in text
    for secret in (DEFAULT_PASSWORD, token, "wrong-but-secret", "SECRET-Q"):
        assert secret not in text
