"""Exam-day rules (issue 16 items 1–3): one sitting per room at a time, one candidate per workstation,
统一开考 (no start before the scheduled start, a late start ends at the common end), and no sitting
scheduled in the past unless an exam admin marks it as a correction (logged with the reason)."""

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
    # 120 minutes and a maximal grant of extra time (60): the room is taken until 04:00.
    refused = _create(day, "S-CLASH", days_ahead(30, "03:59:00"), ["03", "02"])
    assert refused.status_code == 409, refused.text  # type: ignore[attr-defined]
    body = refused.json()  # type: ignore[attr-defined]
    assert body["error"] == "room_double_booked"
    assert (body["detail"]["room"], body["detail"]["other_sitting"]) == ("02", "S-AM")
    assert "02" in body["message"] and "S-AM" in body["message"]
    assert day.client.get("/sittings/S-CLASH", headers=day.admin).status_code == 404  # nothing half-made
    # Other rooms at the same time, and the same rooms once the span is over, are fine.
    assert _create(day, "S-SIDE", days_ahead(30, "01:00:00"), ["03", "04"]).status_code == 201  # type: ignore
    assert _create(day, "S-NEXT", days_ahead(30, "04:00:00"), ["01", "02"]).status_code == 201  # type: ignore


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


# Item 2: 统一开考.

def test_nobody_starts_before_the_scheduled_start_and_a_late_start_ends_with_everyone(day: Day) -> None:
    exam = Exam(day, candidates=2, open_sitting=False)
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

    start = utcnow() - timedelta(minutes=10)  # the sitting began ten minutes ago: candidate 1 is late
    day.reach_start(exam.code, start)
    late = exam.start(1)
    assert late.status_code == 200, late.text
    common_end = start + timedelta(minutes=120)
    deadline = clock.deadline(exam.attempt(1))
    assert common_end <= deadline < common_end + timedelta(seconds=1)  # rounded up to the second, never less
    assert 109 * 60 < late.json()["clock"]["remaining_seconds"] <= 110 * 60
    [started] = _entries(day, "attempt.started")
    assert started["details"]["deadline"] == audit.rfc3339(deadline)

    day.reach_start(exam.code, utcnow() - timedelta(minutes=121))
    over = exam.start(0)
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
