"""A spot exam nobody submits is sealed by the deadline sweep once the off-line window is over, with what
reached the server; before that, the device's kept answers are still taken."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from examsvc.attempts.service import DEADLINE_ACTOR
from examsvc.db import utcnow
from examsvc.spot import endpoints, exams
from examsvc.spot.models import SpotExam
from tests.builders import DEFAULT_PASSWORD, Actors
from tests.spot.builders import SpotWorld


def test_the_sweep_seals_an_abandoned_exam_after_the_window(actors: Actors, db_session: Session,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    world = SpotWorld(actors, db_session)
    drawn = world.drawn()
    person = next(p for p in drawn["people"] if p["draw_order"])
    started = world.client.post(f"/spot/inspections/{drawn['id']}/people/{person['id']}/exam", headers=world.lead,
                                json={})
    exam_id = started.json()["exam_id"]
    assert world.client.put("/spot/exam/answers/0", headers=world.lead,
                            json={"response": "T", "seq": 1}).status_code == 200
    keys = getattr(world.client.app, "state").paper_keys  # noqa: B009 - the ASGI type has no state
    deadline = utcnow() + timedelta(minutes=15)
    # Inside the window: nothing is sealed, and a kept answer is still taken.
    assert exams.sweep(db_session, now=deadline + timedelta(hours=11), keys=keys, actor=DEADLINE_ACTOR) == 0
    db_session.commit()
    monkeypatch.setattr(endpoints, "utcnow", lambda: deadline + timedelta(hours=11))
    kept = world.client.put("/spot/exam/answers/1", headers=world.lead,
                            json={"response": "F", "seq": 1, "made_remaining_ms": 60_000})
    assert kept.status_code == 200, kept.text
    monkeypatch.undo()
    assert exams.sweep(db_session, now=deadline + timedelta(hours=12, minutes=1), keys=keys,
                       actor=DEADLINE_ACTOR) == 1
    db_session.commit()
    exam = db_session.get(SpotExam, exam_id)
    assert exam is not None and exam.status == "submitted" and exam.submitted_how == "deadline"
    assert exam.result_digest is not None
    late = world.client.put("/spot/exam/answers/2", headers=world.lead,
                            json={"response": "T", "seq": 1, "made_remaining_ms": 60_000})
    assert late.json()["error"] == "attempt_submitted"


def test_one_exam_that_cannot_be_sealed_does_not_stop_the_sweep(actors: Actors, db_session: Session) -> None:
    """A broken row (here a sealed paper that no longer opens) is logged and left for verify-spot to name; the
    other exams are still sealed, and the sweep, which also ends the sittings' attempts, never dies of it."""
    world = SpotWorld(actors, db_session)
    drawn = world.drawn()
    exam_ids = []
    for person in [p for p in drawn["people"] if p["draw_order"]][:2]:
        started = world.client.post(f"/spot/inspections/{drawn['id']}/people/{person['id']}/exam",
                                    headers=world.lead, json={})
        assert started.status_code == 201, started.text
        exam_ids.append(started.json()["exam_id"])
        assert world.client.post("/spot/unlock", headers=world.lead,
                                 json={"password": DEFAULT_PASSWORD}).status_code == 200
    db_session.execute(text("UPDATE spot_exam SET paper_sealed = :junk WHERE id = :id"),
                       {"junk": b"\x00" * 64, "id": exam_ids[0]})
    db_session.commit()
    keys = getattr(world.client.app, "state").paper_keys  # noqa: B009 - the ASGI type has no state
    later = utcnow() + timedelta(hours=13)
    assert exams.sweep(db_session, now=later, keys=keys, actor=DEADLINE_ACTOR) == 1
    db_session.commit()
    db_session.expire_all()
    broken, good = (db_session.get(SpotExam, i) for i in exam_ids)
    assert broken is not None and broken.status == "in_progress"
    assert good is not None and good.status == "submitted" and good.submitted_how == "deadline"
