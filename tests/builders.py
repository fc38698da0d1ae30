"""Builders for test data: small functions instead of giant fixtures."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from examsvc.audit.actors import Actor
from examsvc.db import utcnow
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


CHIEF_PASSPHRASE = "the chief examiner's own passphrase"
_days = itertools.count(0)


def register_candidates(client: TestClient, admin: dict[str, str], code: str, count: int,
                        first: int = 100) -> tuple[list[str], list[str]]:
    """``count`` candidates registered in the sitting through its list upload: (admission numbers, ID numbers)."""
    from tests.sittings.test_candidates import csv_of, ident

    ids = [ident("19900101", first + i) for i in range(count)]
    sheet = csv_of(*((f"考生{i}", ids[i], "某培训学校") for i in range(count)))
    registered = client.post(f"/sittings/{code}/candidates", params={"filename": "名单.csv"}, headers=admin,
                             content=sheet)
    assert registered.status_code == 201, registered.text
    return [r["admission_number"] for r in registered.json()], ids


@dataclass
class TheorySitting:
    code: str
    admissions: list[str]
    id_numbers: list[str]


def make_theory_sitting(client: TestClient, db_session: Session, *, admin: dict[str, str], blueprint_id: int,
                        chief_id: int | None, candidates: int = 3, code: str | None = None,
                        start: str | None = None) -> TheorySitting:
    """A scheduled theory sitting at a site of its own (one room), its chief examiner assigned and
    ``candidates`` registered: what a paper set is made for. Each call is scheduled a day later than the
    last, so one chief examiner may be assigned to several."""
    from examsvc.sites import rooms

    code = code or unique("S-")
    site = unique("SITE")
    sites_service.create_site(db_session=db_session, code=site, name="测试考点", address="", actor=TEST_ACTOR)
    rooms.create_room(db_session=db_session, site_code=site, code="01", name="第01考场", seats=30, actor=TEST_ACTOR)
    db_session.commit()
    day = next(_days)
    made = client.post("/sittings", headers=admin, json={
        "code": code, "title": "低压电工作业理论考试", "blueprint_id": blueprint_id, "site_code": site, "rooms": ["01"],
        "scheduled_start": start or f"{utcnow() + timedelta(days=60 + day):%Y-%m-%d}T01:00:00Z"})
    assert made.status_code == 201, made.text
    if chief_id is not None:
        assigned = client.post(f"/sittings/{code}/staff", headers=admin,
                               json={"user_id": chief_id, "role": "chief_examiner", "room": None})
        assert assigned.status_code == 201, assigned.text
    admissions, ids = register_candidates(client, admin, code, candidates) if candidates else ([], [])
    return TheorySitting(code, admissions, ids)


def approved_papers(client: TestClient, *, admin: dict[str, str], chief: dict[str, str], code: str,
                    passphrase: str = CHIEF_PASSPHRASE) -> int:
    """The sitting's paper set, made for its registered candidates and approved by its chief examiner
    (whose key is made here if they have none yet): what its opening needs."""
    key = client.post("/examiners/me/key", headers=chief, json={"passphrase": passphrase})
    assert key.status_code in (201, 409), key.text
    made = client.post("/paper-sets", headers=admin, json={"sitting_code": code})
    assert made.status_code == 201, made.text
    paper_set: int = made.json()["id"]
    approved = client.post(f"/paper-sets/{paper_set}/approve", headers=chief, json={"passphrase": passphrase})
    assert approved.status_code == 200, approved.text
    return paper_set


def open_sitting(client: TestClient, code: str, chief: dict[str, str], passphrase: str = CHIEF_PASSPHRASE) -> Any:
    """POST /sittings/{code}/open with the chief examiner's passphrase (it releases the papers' key)."""
    return client.post(f"/sittings/{code}/open", headers=chief, json={"passphrase": passphrase})


def release_without_opening(db_session: Session, paper_set_id: int, chief: UserAccount, keys: Any,
                            passphrase: str = CHIEF_PASSPHRASE) -> None:
    """What the sitting's opening does to an approved set, done directly (for tests that read papers of a
    sitting they do not open): the chief examiner's key unseals the data key, which is then released."""
    from examsvc.examiners import exchange
    from examsvc.examiners import service as examiners
    from examsvc.papers import service as papers

    actor = Actor.user(chief.id, chief.username, ("chief_examiner",))
    signer = examiners.unlock(db_session=db_session, user_id=chief.id, passphrase=passphrase)
    papers.release(db_session=db_session, paper_set=papers.get(db_session=db_session, paper_set_id=paper_set_id),
                   chief_key=exchange.private_key(db_session, chief.id, signer, actor), keys=keys, actor=actor)
    db_session.commit()
