"""Crediting a service outage to the running attempts (停机补时), and the database's absence as a 503."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError

from examsvc.attempts import clock
from examsvc.attempts.models import ServiceClock
from examsvc.attempts.outage import credit_outage
from examsvc.audit import repository
from examsvc.db import utcnow
from tests.attempts.exam import Exam
from tests.builders import Actors
from tests.sittings.conftest import Day


def _credits(exam: Exam) -> list[dict]:  # type: ignore[type-arg]
    db = exam.day.db_session
    return [e for e in (json.loads(r) for r in repository.entries(db, 0, repository.committed_size(db)))
            if e["action"] == "attempts.outage_credited"]


def _mark_alive(exam: Exam, seconds_ago: float) -> None:
    db = exam.day.db_session
    db.execute(delete(ServiceClock))
    db.add(ServiceClock(id=1, alive_at=utcnow() - timedelta(seconds=seconds_ago)))
    db.commit()


def test_an_outage_is_credited_exactly_to_the_attempts_that_were_running(day: Day) -> None:
    exam = Exam(day, candidates=3)
    for i in range(3):
        assert exam.start(i).status_code == 200
    assert exam.act(1, "pause", reason="考生身体不适").status_code == 200
    exam.age(2, 130)  # its time was up before the outage: the sweep submits it at its deadline
    before = [clock.deadline(exam.attempt(i)) for i in range(3)]
    credit_before = exam.attempt(1).pause_credit_ms
    _mark_alive(exam, 90)

    db = exam.day.db_session
    credited = credit_outage(db, now=utcnow(), sweep_interval_seconds=2)
    db.commit()

    assert 90_000 <= credited < 100_000
    assert clock.deadline(exam.attempt(0)) == before[0] + timedelta(milliseconds=credited)
    assert clock.deadline(exam.attempt(1)) == before[1] and exam.attempt(1).pause_credit_ms == credit_before
    assert clock.deadline(exam.attempt(2)) == before[2]
    [entry] = _credits(exam)
    assert entry["details"]["credited_ms"] == credited
    assert entry["details"]["admission_numbers"] == [exam.admissions[0]]
    state = exam.client.get("/attempt", headers=exam.sessions[0]).json()
    assert state["clock"]["remaining_seconds"] > 119 * 60 + 59  # the 90 s outage cost the candidate nothing
    # Alive again: the next tick finds no gap and credits nothing more.
    assert credit_outage(db, now=utcnow(), sweep_interval_seconds=2) == 0
    db.commit()
    assert len(_credits(exam)) == 1


def test_a_short_gap_is_no_outage(day: Day) -> None:
    exam = Exam(day, candidates=1)
    assert exam.start(0).status_code == 200
    before = clock.deadline(exam.attempt(0))
    _mark_alive(exam, 3)
    db = exam.day.db_session
    assert credit_outage(db, now=utcnow(), sweep_interval_seconds=1) == 0
    db.commit()
    assert clock.deadline(exam.attempt(0)) == before and _credits(exam) == []
    alive = db.scalars(select(ServiceClock.alive_at)).one()
    db.commit()
    assert utcnow() - alive < timedelta(seconds=2)


def test_an_unreachable_database_is_a_503_to_retry_that_names_no_detail(app: FastAPI, actors: Actors) -> None:
    @app.get("/test-database-down")
    def down() -> None:
        raise OperationalError("SELECT secret_parameter", {}, Exception("connection refused"))

    response = actors.client.get("/test-database-down")
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert response.json()["error"] == "database_unavailable" and "secret" not in response.text


def test_an_outage_with_nobody_answering_credits_nothing_and_says_so(day: Day,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    """A restart on a folder with no running attempt (issue 16 item 4): the gap is found, nothing is
    credited, and the log says exactly that, never "credited to running attempts"."""
    exam = Exam(day, candidates=2)
    assert exam.start(0).status_code == 200 and exam.submit(0).status_code == 200
    _mark_alive(exam, 90)
    db = exam.day.db_session
    with caplog.at_level(logging.INFO, logger="examsvc.attempts"):
        assert credit_outage(db, now=utcnow(), sweep_interval_seconds=2) == 0
    db.commit()
    assert _credits(exam) == []
    messages = [(r.getMessage(), getattr(r, "gap_ms", None), getattr(r, "credited_ms", None)) for r in caplog.records]
    assert [m for m, _, _ in messages] == ["service outage found, no running attempt to credit"]
    assert messages[0][1] >= 90_000 and messages[0][2] is None
    # With someone answering, the same gap is credited, and the log names the credit and how many.
    assert exam.start(1).status_code == 200
    _mark_alive(exam, 90)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="examsvc.attempts"):
        credited = credit_outage(db, now=utcnow(), sweep_interval_seconds=2)
    db.commit()
    [record] = caplog.records
    assert (record.getMessage(), record.__dict__["credited_ms"], record.__dict__["attempts"]) == (
        "service outage credited to running attempts", credited, 1)
