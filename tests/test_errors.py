"""One error shape for 401, 403, 404, 422 and an unexpected 500."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from examsvc.identity.access import CurrentUser, require_roles
from examsvc.identity.roles import Role
from tests.builders import Actors


def _shape(body: dict[str, Any]) -> None:
    assert set(body) == {"error", "message", "detail"}
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["detail"], dict)


def test_401(client: TestClient) -> None:
    response = client.get("/users")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    _shape(response.json())


def test_403(actors: Actors) -> None:
    response = actors.client.get("/users", headers=actors.user_with(Role.PROCTOR))
    assert response.status_code == 403
    _shape(response.json())
    assert response.json()["detail"] == {"required_roles": ["system_admin"]}


def test_404_for_an_unknown_path_and_an_unknown_object(actors: Actors) -> None:
    unknown_path = actors.client.get("/no/such/thing")
    assert unknown_path.status_code == 404
    _shape(unknown_path.json())
    unknown_user = actors.client.get("/users/999999", headers=actors.user_with(Role.SYSTEM_ADMIN))
    assert unknown_user.status_code == 404
    _shape(unknown_user.json())
    assert unknown_user.json()["detail"] == {"user_id": 999999}


def test_422_names_the_field_and_does_not_echo_the_input(client: TestClient) -> None:
    response = client.post("/auth/login", json={"username": "x", "password": 12345678901})
    assert response.status_code == 422
    body = response.json()
    _shape(body)
    assert body["detail"]["fields"][0]["location"] == ["body", "password"]
    assert "12345678901" not in response.text


def test_422_for_a_body_that_is_not_json(client: TestClient) -> None:
    response = client.post("/auth/login", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    _shape(response.json())


def test_an_unexpected_error_is_a_500_without_internals(app: FastAPI, actors: Actors) -> None:
    @app.get("/explode")
    def explode(_: Annotated[CurrentUser, Depends(require_roles(Role.AUDITOR))]) -> None:
        raise RuntimeError("SELECT secret_column FROM secret_table -- internal detail")

    response = actors.client.get("/explode", headers=actors.user_with(Role.AUDITOR))
    assert response.status_code == 500
    body = response.json()
    _shape(body)
    assert body["error"] == "internal_error"
    assert "secret" not in response.text and "Traceback" not in response.text
    assert body["detail"]["request_id"] == response.headers["X-Request-ID"]
