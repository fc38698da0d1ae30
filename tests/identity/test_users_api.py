from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from examsvc.identity.models import UserAccount
from examsvc.identity.roles import Role
from tests.builders import Actors, auth_header, login, make_user


def test_admin_creates_a_user_with_roles_and_affiliations(actors: Actors) -> None:
    admin = actors.user_with(Role.SYSTEM_ADMIN)
    response = actors.client.post("/users", headers=admin, json={
        "username": "wangwu", "display_name": "王五", "password": "a long passphrase",
        "roles": ["proctor", "evaluator"],
        "affiliations": [{"kind": "training_institution", "organisation": "某安全培训学校"}],
    })
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["roles"] == ["evaluator", "proctor"]
    assert body["affiliations"][0]["organisation"] == "某安全培训学校"
    assert "password" not in response.text


def test_a_taken_username_is_refused_and_nothing_changes(actors: Actors, db_session: Session) -> None:
    admin = actors.user_with(Role.SYSTEM_ADMIN)
    existing = make_user(db_session, Role.PROCTOR)
    before = db_session.scalar(select(func.count()).select_from(UserAccount))
    response = actors.client.post("/users", headers=admin, json={
        "username": existing.username, "display_name": "重名", "password": "a long passphrase"})
    assert response.status_code == 409
    assert response.json()["error"] == "username_taken"
    assert db_session.scalar(select(func.count()).select_from(UserAccount)) == before


def test_grant_and_revoke_roles(actors: Actors, db_session: Session) -> None:
    admin = actors.user_with(Role.SYSTEM_ADMIN)
    user = make_user(db_session, Role.PROCTOR)
    granted = actors.client.post(f"/users/{user.id}/roles", headers=admin, json={"role": "chief_examiner"})
    assert granted.json()["roles"] == ["chief_examiner", "proctor"]
    revoked = actors.client.delete(f"/users/{user.id}/roles/proctor", headers=admin)
    assert revoked.json()["roles"] == ["chief_examiner"]


def test_the_last_system_admin_cannot_be_removed(actors: Actors, db_session: Session) -> None:
    assert db_session.scalars(select(UserAccount)).all() == []  # each test starts from an empty database
    admin_user = make_user(db_session, Role.SYSTEM_ADMIN)
    headers = auth_header(login(actors.client, admin_user.username))
    response = actors.client.delete(f"/users/{admin_user.id}/roles/system_admin", headers=headers)
    assert response.status_code == 409
    assert response.json()["error"] == "last_system_admin"
    assert actors.client.post(f"/users/{admin_user.id}/disable", headers=headers).status_code == 409


def test_an_affiliation_can_be_added_later(actors: Actors, db_session: Session) -> None:
    admin = actors.user_with(Role.SYSTEM_ADMIN)
    user = make_user(db_session, Role.EVALUATOR)
    response = actors.client.post(f"/users/{user.id}/affiliations", headers=admin,
                                  json={"kind": "employer", "organisation": "某化工有限公司"})
    assert response.json()["affiliations"] == [{"id": response.json()["affiliations"][0]["id"],
                                                "kind": "employer", "organisation": "某化工有限公司"}]
    again = actors.client.post(f"/users/{user.id}/affiliations", headers=admin,
                               json={"kind": "employer", "organisation": "某化工有限公司"})
    assert again.status_code == 409


def test_a_weak_password_is_refused_naming_the_field(actors: Actors) -> None:
    admin = actors.user_with(Role.SYSTEM_ADMIN)
    response = actors.client.post("/users", headers=admin, json={
        "username": "short", "display_name": "短", "password": "short"})
    assert response.status_code == 422
    assert response.json()["detail"]["fields"][0]["location"] == ["body", "password"]
