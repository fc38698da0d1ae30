"""The exam-morning fixture shared by the sittings tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from examsvc.db import utcnow
from examsvc.identity.roles import Role
from examsvc.sites import rooms
from examsvc.sites import service as sites_service
from examsvc.sittings.models import Sitting
from tests.builders import TEST_ACTOR, Actors
from tests.papers.builders import approved_rule

ROOMS = ("01", "02", "03", "04")  # sittings that overlap in time take rooms of their own (no double booking)


def days_ahead(days: float, at: str = "01:00:00") -> str:
    """A start ``days`` from today at ``at`` UTC (09:00 in Shanghai): in the future, as scheduling needs."""
    return f"{(utcnow() + timedelta(days=days)):%Y-%m-%d}T{at}Z"


class Day:
    def __init__(self, actors: Actors, db_session: Session) -> None:
        self.client = actors.client
        self.rule = approved_rule(db_session)
        self.admin = actors.user_with(Role.EXAM_ADMIN)
        self.workstation, self.credential = actors.workstation(site_code="TY-01")
        for code in ROOMS:
            rooms.create_room(db_session=db_session, site_code="TY-01", code=code, name=f"第{code}考场", seats=30,
                              actor=TEST_ACTOR)
        db_session.commit()
        self.db_session = db_session

    def another_workstation(self) -> tuple[int, str]:
        """A second approved workstation at TY-01 (id, credential)."""
        code = sites_service.rotate_enrolment_code(db_session=self.db_session, code="TY-01", actor=TEST_ACTOR)
        enrolled = sites_service.enrol_workstation(db_session=self.db_session, site_code="TY-01",
                                                   enrolment_code=code.enrolment_code, name="备用机")
        sites_service.approve_workstation(db_session=self.db_session, workstation_id=enrolled.workstation.id,
                                          actor=TEST_ACTOR)
        self.db_session.commit()
        return enrolled.workstation.id, enrolled.credential

    def sitting(self, code: str, start: str | None = None, rooms: tuple[str, ...] = ("01", "02")) -> dict[str, Any]:
        """A scheduled sitting, by default 30 days from now (a start in the past is refused)."""
        response = self.client.post("/sittings", headers=self.admin, json={
            "code": code, "title": "低压电工作业理论考试", "blueprint_id": self.rule.id, "site_code": "TY-01",
            "rooms": list(rooms), "scheduled_start": start or days_ahead(30)})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def reach_start(self, code: str, start: datetime | None = None) -> None:
        """The clock reaches the sitting's scheduled start (统一开考: nobody starts before it): the start is
        moved to now (or to ``start``), as ``Exam.age`` moves an attempt's start into the past."""
        self.db_session.execute(update(Sitting).where(Sitting.code == code).values(scheduled_start=start or utcnow()),
                                execution_options={"synchronize_session": False})
        self.db_session.commit()

    def assign(self, code: str, user_id: int, role: str, room: str | None = None) -> Any:
        return self.client.post(f"/sittings/{code}/staff", headers=self.admin,
                                json={"user_id": user_id, "role": role, "room": room})


@pytest.fixture
def day(actors: Actors, db_session: Session) -> Day:
    return Day(actors, db_session)




@pytest.fixture
def morning(day: Day) -> Any:
    """A sitting about to open: staff present, seats bound, one candidate registered (test_checkin.Morning)."""
    from tests.sittings.test_checkin import Morning

    return Morning(day)
