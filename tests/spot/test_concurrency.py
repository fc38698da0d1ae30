"""Two officers' requests at once on the same spot exam, on a database that really commits (PostgreSQL's
READ COMMITTED lets two transactions read the same row unless it is locked)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from examsvc.app import create_app
from examsvc.audit.actors import Actor
from examsvc.audit.models import AuditEntry
from examsvc.config import Settings
from examsvc.errors import Conflict
from examsvc.identity.roles import Role
from examsvc.spot import exams
from examsvc.spot.models import SpotExam
from tests.builders import Actors
from tests.spot.builders import SpotWorld
from tests.spot.taking import drawn_people, examined


def test_retraining_recorded_twice_at_once_is_recorded_once(fresh_engine: Engine, settings: Settings,
                                                             tmp_path: Path) -> None:
    url = fresh_engine.url.render_as_string(hide_password=False)
    live = settings.model_copy(update={"database_url": url})
    with TestClient(create_app(live, engine=fresh_engine), raise_server_exceptions=False) as client, \
            Session(fresh_engine, expire_on_commit=False) as db_session:
        world = SpotWorld(Actors(client=client, db_session=db_session), db_session)
        inspection = examined(world)
        failed = drawn_people(inspection)[1]["exam"]["id"]
        actor = Actor.user(world.lead_user.id, world.lead_user.username, (str(Role.ENFORCEMENT_OFFICER),))
        outcomes: list[str] = []

        def record(note: str) -> None:
            with Session(fresh_engine) as own:
                try:
                    exams.record_retraining(db_session=own, exam_id=failed, note=note, actor=actor)
                    own.flush()
                    time.sleep(0.5)  # the other request reads meanwhile
                    own.commit()
                    outcomes.append("recorded")
                except Conflict:
                    own.rollback()
                    outcomes.append("refused")

        first = threading.Thread(target=record, args=("2027-03-01 企业组织复训",))
        second = threading.Thread(target=record, args=("2027-03-02 另一次登记",))
        first.start()
        time.sleep(0.15)
        second.start()
        first.join(10)
        second.join(10)
        assert sorted(outcomes) == ["recorded", "refused"]
        db_session.expire_all()
        exam = db_session.get(SpotExam, failed)
        assert exam is not None and exam.retraining_note == "2027-03-01 企业组织复训"
        logged = [e for e in db_session.scalars(select(AuditEntry.entry)) if b'"spot.retraining.recorded"' in e]
        assert len(logged) == 1
