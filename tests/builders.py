"""Builders for test data: small functions instead of giant fixtures."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from examsvc.audit.actors import Actor
from examsvc.identity import service as identity_service
from examsvc.identity.models import UserAccount
from examsvc.identity.roles import Role
from examsvc.sites import service as sites_service
from examsvc.sites.models import Workstation

_counter = itertools.count(1)
TEST_ACTOR = Actor.system("test")
DEFAULT_PASSWORD = "correct horse battery"


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}"


def make_user(db_session: Session, *roles: Role, password: str = DEFAULT_PASSWORD,
              username: str | None = None) -> UserAccount:
    user = identity_service.create_user(
        db_session=db_session, username=username or unique("user"), display_name="测试人员",
        password=password, roles=list(roles), actor=TEST_ACTOR, password_cost_log2=10,
    )
    db_session.commit()
    return user


def auth_header(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(client: TestClient, username: str, password: str = DEFAULT_PASSWORD) -> str:
    response = client.post("/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@dataclass
class Actors:
    """Logged-in callers, made on demand."""

    client: TestClient
    db_session: Session

    def user_with(self, *roles: Role) -> dict[str, str]:
        user = make_user(self.db_session, *roles)
        return auth_header(login(self.client, user.username))

    def workstation(self, *, approved: bool = True, site_code: str | None = None) -> tuple[Workstation, str]:
        """An enrolled workstation and its credential (approved unless asked otherwise)."""
        code = site_code or unique("SITE")
        created = sites_service.create_site(db_session=self.db_session, code=code, name="测试考点", address="",
                                            actor=TEST_ACTOR)
        enrolment = sites_service.enrol_workstation(db_session=self.db_session, site_code=code,
                                                    enrolment_code=created.enrolment_code, name="01号机")
        if approved:
            sites_service.approve_workstation(db_session=self.db_session, workstation_id=enrolment.workstation.id,
                                              actor=TEST_ACTOR)
        self.db_session.commit()
        return enrolment.workstation, enrolment.credential
