"""Back-off instead of a lock (issue 14 items 6, 7, 12): per name, known or not, and per client address;
a system admin clears it; wrong current passwords and examiner passphrases count too."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.audit import repository as audit_repository
from examsvc.config import Settings
from examsvc.db import utcnow
from examsvc.identity.models import LoginThrottle
from examsvc.identity.roles import Role
from examsvc.identity.throttle import Rule
from tests.builders import DEFAULT_PASSWORD, auth_header, login, make_user, unique

WRONG = "not the password"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The test settings allow 3 failures per name; a source is allowed 6 here, so that one test can
    # reach it across names.
    return settings.model_copy(update={"source_max_failures": 6})


def _try(client: TestClient, username: str, password: str = WRONG) -> Any:
    return client.post("/auth/login", json={"username": username, "password": password})


def _from(client: TestClient, address: str) -> TestClient:
    """A client calling from ``address``."""
    return TestClient(client.app, raise_server_exceptions=False, client=(address, 50000))


def _entries(db_session: Session) -> list[dict[str, Any]]:
    db_session.commit()
    size = audit_repository.committed_size(db_session)
    return [json.loads(e) for e in audit_repository.entries(db_session, 0, size)]


def test_failures_past_the_allowance_make_the_name_wait_even_with_the_right_password(
        client: TestClient, db_session: Session) -> None:
    user = make_user(db_session, Role.PROCTOR)
    assert [_try(client, user.username).status_code for _ in range(3)] == [401, 401, 401]
    waiting = _try(client, user.username, DEFAULT_PASSWORD)
    assert waiting.status_code == 429
    assert waiting.json()["error"] == "too_many_attempts"
    assert waiting.json()["detail"]["retry_after_seconds"] == 2
    assert "2 秒后再试" in waiting.json()["message"]


def test_an_unknown_name_answers_exactly_as_a_known_one(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session, Role.PROCTOR)
    known = [_try(_from(client, "192.0.2.1"), user.username) for _ in range(5)]
    unknown = [_try(_from(client, "192.0.2.2"), "nobody-at-all") for _ in range(5)]
    assert [(r.status_code, r.json()) for r in known] == [(r.status_code, r.json()) for r in unknown]
    assert [r.status_code for r in known] == [401, 401, 401, 429, 429]


def test_the_wait_doubles_up_to_its_cap() -> None:
    rule = Rule(3, timedelta(seconds=2), timedelta(seconds=300), timedelta(hours=1))
    waits = [rule.wait_after(n) for n in range(1, 14)]
    assert waits[:2] == [None, None]
    assert [w.total_seconds() for w in waits[2:] if w is not None] == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    assert rule.wait_after(10_000) == timedelta(seconds=300)


def test_the_wait_ends_by_itself(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session, Role.PROCTOR)
    for _ in range(3):
        _try(client, user.username)
    row = db_session.scalars(select(LoginThrottle).where(LoginThrottle.subject == user.username)).one()
    row.blocked_until = utcnow() - timedelta(seconds=1)
    db_session.commit()
    assert _try(client, user.username, DEFAULT_PASSWORD).status_code == 200
    # and the success forgets the name's failures
    assert db_session.scalars(select(LoginThrottle).where(LoginThrottle.subject == user.username)).all() == []


def test_a_source_waits_across_names_and_a_success_does_not_reset_it(
        client: TestClient, db_session: Session) -> None:
    mine = make_user(db_session, Role.PROCTOR)
    attacker = _from(client, "203.0.113.7")
    for n in range(5):
        assert _try(attacker, f"guess-{n}").status_code == 401
    assert _try(attacker, mine.username, DEFAULT_PASSWORD).status_code == 200
    assert _try(attacker, "guess-9").status_code == 401  # the 6th: its wait begins
    assert _try(attacker, mine.username, DEFAULT_PASSWORD).status_code == 429
    assert _try(_from(client, "198.51.100.2"), mine.username, DEFAULT_PASSWORD).status_code == 200


def test_the_log_names_real_accounts_and_waiting_sources_never_made_up_names(
        client: TestClient, db_session: Session) -> None:
    user = make_user(db_session, Role.PROCTOR)
    source = _from(client, "203.0.113.8")
    for _ in range(3):
        _try(source, user.username)
    for n in range(3):
        _try(source, f"made-up-{n}")
    entries = _entries(db_session)
    mine = [e["action"] for e in entries if e["subject"] == {"type": "user", "id": str(user.id)}]
    assert mine[-3:] == ["auth.login_failed", "auth.login_failed", "auth.login_throttled"]
    throttled = [e for e in entries if e["action"] == "auth.source_throttled"]
    assert throttled[-1]["subject"] == {"type": "client_address", "id": "203.0.113.8"}
    assert throttled[-1]["details"] == {"failures": 6, "wait_ms": 2000}
    assert not any("made-up" in json.dumps(e) for e in entries)


def test_a_system_admin_unlocks_an_account_and_the_log_says_so(client: TestClient, db_session: Session) -> None:
    admin = auth_header(login(client, make_user(db_session, Role.SYSTEM_ADMIN).username))
    user = make_user(db_session, Role.SYSTEM_ADMIN)
    for _ in range(3):
        _try(client, user.username)
    assert _try(client, user.username, DEFAULT_PASSWORD).status_code == 429
    shown = client.get(f"/users/{user.id}", headers=admin).json()
    assert shown["locked_until"] is not None
    proctor = auth_header(login(client, make_user(db_session, Role.PROCTOR).username))
    assert client.post(f"/users/{user.id}/unlock", headers=proctor).status_code == 403
    unlocked = client.post(f"/users/{user.id}/unlock", headers=admin)
    assert unlocked.status_code == 200 and unlocked.json()["locked_until"] is None
    assert _try(client, user.username, DEFAULT_PASSWORD).status_code == 200
    entry = [e for e in _entries(db_session) if e["action"] == "user.unlocked"][-1]
    assert entry["subject"]["id"] == str(user.id) and entry["details"] == {"cleared": ["account"]}


def test_wrong_current_passwords_are_counted_logged_and_wait(client: TestClient, db_session: Session) -> None:
    user = make_user(db_session, Role.PROCTOR)
    token = auth_header(login(client, user.username))

    def change(current: str) -> Any:
        return client.post("/auth/password", headers=token,
                           json={"current_password": current, "new_password": "another long passphrase"})

    assert [change(WRONG).status_code for _ in range(3)] == [422, 422, 422]
    assert change(DEFAULT_PASSWORD).status_code == 429
    actions = [e["action"] for e in _entries(db_session) if e["subject"] == {"type": "user", "id": str(user.id)}]
    assert actions[-3:] == ["auth.current_password_failed", "auth.current_password_failed",
                            "auth.current_password_throttled"]


@pytest.mark.parametrize("password", ["Zhangsan-2026!", "my-ZHANGSAN-pass"])
def test_a_password_containing_the_user_name_is_refused(client: TestClient, db_session: Session,
                                                        password: str) -> None:
    admin = auth_header(login(client, make_user(db_session, Role.SYSTEM_ADMIN).username))
    name = unique("zhangsan")
    refused = client.post("/users", headers=admin, json={"username": name, "display_name": "张三",
                                                         "password": password.replace("Zhangsan", name)
                                                         .replace("ZHANGSAN", name.upper())})
    assert refused.status_code == 422
    assert refused.json()["error"] == "weak_password" and refused.json()["message"] == "密码不能包含用户名。"
    user = make_user(db_session, Role.PROCTOR)
    token = auth_header(login(client, user.username))
    changed = client.post("/auth/password", headers=token, json={
        "current_password": DEFAULT_PASSWORD, "new_password": f"x{user.username.upper()}x12345"})
    assert changed.status_code == 422 and changed.json()["detail"] == {"field": "new_password"}


def test_a_short_name_that_occurs_in_a_long_passphrase_by_chance_is_accepted(
        client: TestClient, db_session: Session) -> None:
    admin = auth_header(login(client, make_user(db_session, Role.SYSTEM_ADMIN).username))
    created = client.post("/users", headers=admin, json={"username": "aud", "display_name": "审计员",
                                                         "password": "auditor passphrase"})
    assert created.status_code == 201
