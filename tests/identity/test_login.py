from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.db import utcnow
from examsvc.identity.models import AccessToken, UserAccount
from examsvc.identity.roles import Role
from examsvc.identity.tokens import digest_secret
from tests.builders import DEFAULT_PASSWORD, auth_header, login, make_user


def _me(client: TestClient, token: str) -> int:
    return client.get("/auth/me", headers=auth_header(token)).status_code


def test_login_issues_a_token_that_identifies_the_user(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session, Role.PROCTOR, Role.EVALUATOR)
    token = login(client, user.username)
    body = client.get("/auth/me", headers=auth_header(token)).json()
    assert body["username"] == user.username
    assert body["roles"] == ["evaluator", "proctor"]


def test_tokens_are_stored_only_as_digests(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session, Role.PROCTOR)
    token = login(client, user.username)
    stored = db_session.scalars(select(AccessToken).where(AccessToken.user_id == user.id)).one()
    assert stored.token_digest == digest_secret(token)
    assert token not in stored.token_digest
    assert user.password_hash.startswith("scrypt$") and DEFAULT_PASSWORD not in user.password_hash


def test_wrong_password_and_unknown_user_get_the_same_answer(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session, Role.PROCTOR)
    wrong = client.post("/auth/login", json={"username": user.username, "password": "not the password"})
    unknown = client.post("/auth/login", json={"username": "nobody-here", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_a_success_resets_the_failure_count(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session, Role.PROCTOR)
    for _ in range(2):
        client.post("/auth/login", json={"username": user.username, "password": "bad password!"})
    login(client, user.username)
    db_session.refresh(user)
    assert user.failed_login_count == 0


def test_an_expired_token_is_refused(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session, Role.PROCTOR)
    token = login(client, user.username)
    assert _me(client, token) == 200
    stored = db_session.scalars(select(AccessToken).where(AccessToken.token_digest == digest_secret(token))).one()
    stored.expires_at = utcnow() - timedelta(seconds=1)
    db_session.commit()
    assert _me(client, token) == 401


def test_logout_revokes_only_that_token(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session, Role.PROCTOR)
    first, second = login(client, user.username), login(client, user.username)
    assert client.post("/auth/logout", headers=auth_header(first)).status_code == 204
    assert _me(client, first) == 401
    assert _me(client, second) == 200


def test_admin_revokes_all_tokens_of_a_user(client: TestClient, db_session: Session) -> None:
    admin = make_user(db_session, Role.SYSTEM_ADMIN)
    user = make_user(db_session, Role.PROCTOR)
    tokens = [login(client, user.username) for _ in range(2)]
    response = client.post(f"/users/{user.id}/tokens/revoke", headers=auth_header(login(client, admin.username)))
    assert response.json() == {"revoked": 2}
    assert [_me(client, t) for t in tokens] == [401, 401]


def test_disabling_a_user_ends_their_sessions_and_logins(client: TestClient, db_session: Session) -> None:
    admin_token = login(client, make_user(db_session, Role.SYSTEM_ADMIN).username)
    user = make_user(db_session, Role.PROCTOR)
    token = login(client, user.username)
    assert client.post(f"/users/{user.id}/disable", headers=auth_header(admin_token)).status_code == 200
    assert _me(client, token) == 401
    refused = client.post("/auth/login", json={"username": user.username, "password": DEFAULT_PASSWORD})
    assert refused.status_code == 401
    assert refused.json()["error"] == "account_disabled"


def test_changing_the_password_ends_other_sessions(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session, Role.PROCTOR)
    kept, other = login(client, user.username), login(client, user.username)
    response = client.post("/auth/password", headers=auth_header(kept),
                           json={"current_password": DEFAULT_PASSWORD, "new_password": "a new long passphrase"})
    assert response.status_code == 204
    assert (_me(client, kept), _me(client, other)) == (200, 401)
    login(client, user.username, "a new long passphrase")


def test_changing_the_password_needs_the_current_one(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session, Role.PROCTOR)
    token = login(client, user.username)
    response = client.post("/auth/password", headers=auth_header(token),
                           json={"current_password": "not it at all", "new_password": "a new long passphrase"})
    assert response.status_code == 422
    assert response.json()["detail"] == {"field": "current_password"}
    db_session.expire_all()
    assert db_session.get(UserAccount, user.id) is not None
    login(client, user.username)
