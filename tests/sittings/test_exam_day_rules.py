"""Exam-day rules (issue 16 items 1–3): one sitting per room at a time, one candidate per workstation,
统一开考 (no start before the scheduled start; each candidate their own duration, never past the
latest end), and no sitting scheduled in the past unless an exam admin marks it as a correction
(logged with the reason)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from examsvc.attempts import clock
from examsvc.attempts.models import Attempt
from examsvc.audit import log as audit
from examsvc.audit import repository
from examsvc.db import utcnow
from examsvc.errors import Conflict
from examsvc.sites import rooms
from examsvc.sites import service as sites_service
from examsvc.sites.models import Seat
from examsvc.sittings import service as sittings
from examsvc.sittings.models import Sitting
from tests.attempts.exam import Exam, seat_of
from tests.builders import TEST_ACTOR
from tests.builders import open_sitting as open_sitting_with
from tests.papers.builders import approved_rule
from tests.sittings.conftest import Day, days_ahead
from tests.sittings.test_presence import _start


def _entries(day: Day, action: str) -> list[dict]:  # type: ignore[type-arg]
    db = day.db_session
    found = [e for e in (json.loads(r) for r in repository.entries(db, 0, repository.committed_size(db)))
             if e["action"] == action]
    db.commit()
    return found


def _create(day: Day, code: str, start: str, rooms_: list[str], **extra: object) -> object:
    return day.client.post("/sittings", headers=day.admin, json={
        "code": code, "title": "低压电工作业理论考试", "blueprint_id": day.rule.id, "site_code": "TY-01",
        "rooms": rooms_, "scheduled_start": start, **extra})


# Item 1: a room is not double-booked.

def test_a_room_is_refused_to_a_second_sitting_whose_span_overlaps(day: Day) -> None:
    day.sitting("S-AM", start=days_ahead(30, "01:00:00"), rooms=("01", "02"))
    # 15 minutes' late entry, 120 minutes and a maximal grant of extra time (60): taken until 04:15.
    refused = _create(day, "S-CLASH", days_ahead(30, "04:14:00"), ["03", "02"])
    assert refused.status_code == 409, refused.text  # type: ignore[attr-defined]
    body = refused.json()  # type: ignore[attr-defined]
    assert body["error"] == "room_double_booked"
    assert (body["detail"]["room"], body["detail"]["other_sitting"]) == ("02", "S-AM")
    assert "02" in body["message"] and "S-AM" in body["message"]
    assert day.client.get("/sittings/S-CLASH", headers=day.admin).status_code == 404  # nothing half-made
    # Other rooms at the same time, and the same rooms once the span is over, are fine.
    assert _create(day, "S-SIDE", days_ahead(30, "01:00:00"), ["03", "04"]).status_code == 201  # type: ignore
    assert _create(day, "S-NEXT", days_ahead(30, "04:15:00"), ["01", "02"]).status_code == 201  # type: ignore


def test_a_workstation_does_not_serve_two_candidates_at_once(day: Day) -> None:
    exam = Exam(day, candidates=3, open_sitting=False)
    assert open_sitting_with(exam.client, exam.code, exam.chief, "the chief examiner's own passphrase"
                             ).json()["status"] == "open"
    exam.check_in(0)  # signed in on the workstation of seat 01/1
    shared = exam.credentials[seat_of(0)]
    room = rooms.get_room(db_session=day.db_session, site_code="TY-01", code="01")
    workstation_id = day.db_session.scalars(select(Seat.workstation_id).where(
        Seat.number == 1, Seat.room_id == room.id)).one()
    # The machine is taken from seat 01/1 and put at seat 01/2, where a proctor seats candidate 2.
    rooms.bind_seat(db_session=day.db_session, site_code="TY-01", room_code="01", number=1, workstation_id=None,
                    actor=TEST_ACTOR)
    rooms.bind_seat(db_session=day.db_session, site_code="TY-01", room_code="01", number=2,
                    workstation_id=workstation_id, actor=TEST_ACTOR)
    day.db_session.commit()
    checked = exam.client.post(f"/sittings/{exam.code}/check-ins", headers=exam.proctor("01"), json={
        "admission_number": exam.admissions[2], "id_number": exam.ids[2], "room": "01", "seat": 2,
        "photo_digest": hashlib.sha256(b"photo 2").hexdigest()})
    assert checked.status_code == 201, checked.text

    def sign_in() -> object:
        return exam.client.post("/candidate-sessions", headers={"X-Workstation-Token": shared}, json={
            "admission_number": exam.admissions[2], "code": checked.json()["one_time_code"]})

    busy = sign_in()  # candidate 0 holds a session there (not started yet)
    assert (busy.status_code, busy.json()["error"]) == (409, "workstation_busy")  # type: ignore[attr-defined]
    assert exam.admissions[0] not in busy.text  # type: ignore[attr-defined]  (the other candidate is not named)
    day.reach_start(exam.code)
    assert exam.start(0).status_code == 200
    running = sign_in()  # candidate 0's attempt runs there
    assert running.json()["detail"]["running_attempt"] is True  # type: ignore[attr-defined]
    assert exam.submit(0).status_code == 200
    assert sign_in().status_code == 201  # type: ignore[attr-defined]  (handed in: the machine is free)


# Item 2: 统一开考, each candidate's own duration, never past the latest end.

def test_nobody_starts_before_the_scheduled_start_and_nobody_answers_past_the_latest_end(day: Day) -> None:
    exam = Exam(day, candidates=3, open_sitting=False, start=_start(10))
    assert open_sitting_with(exam.client, exam.code, exam.chief, "the chief examiner's own passphrase"
                             ).json()["status"] == "open"
    exam.check_in_all()
    early = exam.start(0)
    assert early.status_code == 409, early.text
    body = early.json()
    sitting = day.db_session.scalars(select(Sitting).where(Sitting.code == exam.code)).one()
    day.db_session.commit()
    assert body["error"] == "exam_not_started"
    local = (sitting.scheduled_start + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")  # Asia/Shanghai
    assert local in body["message"] and body["detail"]["starts_at_local"] == local
    assert body["detail"]["starts_at"] == audit.rfc3339(sitting.scheduled_start)
    assert day.db_session.scalars(select(Attempt)).all() == []

    # Ten minutes late (inside the 15-minute entry): the whole 120 minutes from their own start.
    day.reach_start(exam.code, utcnow() - timedelta(minutes=10))
    late = exam.start(0)
    assert late.status_code == 200, late.text
    assert 119 * 60 + 59 < late.json()["clock"]["remaining_seconds"] <= 120 * 60
    # Checked in in time but starting 30 minutes late: only the time left to the latest end
    # (scheduled start + 15 + 120), rounded up to the second.
    start = utcnow() - timedelta(minutes=30)
    day.reach_start(exam.code, start)
    later = exam.start(1)
    latest_end = start + timedelta(minutes=135)
    deadline = clock.deadline(exam.attempt(1))
    assert latest_end <= deadline < latest_end + timedelta(seconds=1)
    assert 104 * 60 < later.json()["clock"]["remaining_seconds"] <= 105 * 60
    started = _entries(day, "attempt.started")
    assert started[-1]["details"]["deadline"] == audit.rfc3339(deadline)

    day.reach_start(exam.code, utcnow() - timedelta(minutes=136))
    over = exam.start(2)
    assert (over.status_code, over.json()["error"]) == (409, "exam_time_over")


# Item 3: no sitting in the past, except a logged correction.

def test_a_start_in_the_past_is_refused_unless_marked_as_a_correction(day: Day) -> None:
    past = (utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    refused = _create(day, "S-PAST", past, ["01"])
    assert refused.status_code == 422, refused.text  # type: ignore[attr-defined]
    body = refused.json()  # type: ignore[attr-defined]
    assert (body["error"], body["detail"]["field"]) == ("scheduled_in_past", "scheduled_start")
    no_reason = _create(day, "S-PAST", past, ["01"], correction=True)
    assert no_reason.json()["detail"]["field"] == "correction_reason"  # type: ignore[attr-defined]
    stray = _create(day, "S-PAST", days_ahead(30), ["01"], correction_reason="无")
    assert stray.json()["detail"]["field"] == "correction_reason"  # type: ignore[attr-defined]
    assert _entries(day, "sitting.scheduled") == []

    made = _create(day, "S-PAST", past, ["01"], correction=True, correction_reason="补录：系统停机期间线下组织的场次")
    assert made.status_code == 201, made.text  # type: ignore[attr-defined]
    [entry] = _entries(day, "sitting.scheduled")
    assert entry["details"]["correction"] == {"reason": "补录：系统停机期间线下组织的场次", "scheduled_in_past": True}


def test_two_admins_booking_one_room_at_once_are_taken_in_turn(fresh_engine: Engine) -> None:
    """The room rows are locked while a sitting is booked: of two overlapping sittings created at the
    same moment in separate transactions, one is stored and the other refused (not both)."""
    with Session(fresh_engine, expire_on_commit=False) as db_session:
        rule_id = approved_rule(db_session).id
        sites_service.create_site(db_session=db_session, code="RACE", name="并发考点", address="", actor=TEST_ACTOR)
        rooms.create_room(db_session=db_session, site_code="RACE", code="01", name="第01考场", seats=5,
                          actor=TEST_ACTOR)
        db_session.commit()
    start = utcnow() + timedelta(days=30)
    ready = threading.Barrier(2)
    outcomes: list[str] = []

    def book(code: str) -> None:
        with Session(fresh_engine) as db_session:
            try:
                ready.wait()
                sittings.create(db_session=db_session, code=code, title="理论考试", blueprint_id=rule_id,
                                site_code="RACE", room_codes=["01"], scheduled_start=start, late_entry_minutes=15,
                                proctors_per_room=1, actor=TEST_ACTOR, now=utcnow())
                time.sleep(0.3)  # hold the lock a while: the other must wait for this commit
                db_session.commit()
                outcomes.append("stored")
            except Conflict as refused:
                db_session.rollback()
                outcomes.append(refused.code)
            except OperationalError:  # SQLite: the other writer holds the database; nothing was stored
                db_session.rollback()
                outcomes.append("busy")

    threads = [threading.Thread(target=book, args=(code,)) for code in ("RACE-A", "RACE-B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) in (["room_double_booked", "stored"], ["busy", "stored"]), outcomes
    with Session(fresh_engine) as db_session:
        assert len(db_session.scalars(select(Sitting).where(Sitting.code.in_(["RACE-A", "RACE-B"]))).all()) == 1
