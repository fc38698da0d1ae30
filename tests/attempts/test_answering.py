"""A candidate answers their sealed paper: start, durable idempotent saves, the deadline, submission."""

from __future__ import annotations

import json
import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from examsvc.app import create_app
from examsvc.attempts.background import sweep_once
from examsvc.attempts.models import Answer, AnswerSheet
from examsvc.audit import repository
from examsvc.config import Settings
from tests.attempts.exam import Exam
from tests.builders import Actors
from tests.sittings.conftest import Day


def _entries(exam: Exam, action: str) -> list[dict]:  # type: ignore[type-arg]
    db = exam.day.db_session
    return [e for e in (json.loads(r) for r in repository.entries(db, 0, repository.committed_size(db)))
            if e["action"] == action]


def test_start_gives_stems_and_options_never_answers(exam: Exam) -> None:
    started = exam.start(0)
    assert started.status_code == 200, started.text
    body = started.json()
    assert len(body["items"]) == 100 and body["answers"] == []
    assert 7199 < body["clock"]["remaining_seconds"] <= 7200
    text = started.text
    assert '"answer"' not in text and "explanation" not in text and '"key"' not in text
    first_choice = next(i for i in body["items"] if i["type"] == "single_choice")
    assert [o["label"] for o in first_choice["options"]] == ["A", "B", "C", "D"][:len(first_choice["options"])]
    again = exam.start(0).json()
    assert again["items"] == body["items"]  # a reload gets the same paper
    [entry] = _entries(exam, "attempt.started")
    assert entry["details"]["admission_number"] == exam.admissions[0] and "deadline" in entry["details"]


def test_a_save_is_durable_and_a_stale_save_changes_nothing(exam: Exam) -> None:
    exam.start(0)
    saved = exam.save(0, 5, "T", seq=2)
    assert saved.status_code == 200 and saved.json()["accepted"] is True
    assert saved.json()["clock"]["remaining_seconds"] > 7000
    stale = exam.save(0, 5, "F", seq=1)
    assert stale.json()["accepted"] is False and stale.json()["answer"]["response"] == "T"
    retry = exam.save(0, 5, "T", seq=2)  # the same save again (lost response): idempotent
    assert retry.json()["accepted"] is True and retry.json()["answer"]["seq"] == 2
    newer = exam.save(0, 5, "F", seq=3, flagged=True)
    assert newer.json()["answer"] == {"position": 5, "response": "F", "flagged": True, "seq": 3}
    stored = exam.day.db_session.scalars(select(Answer).where(Answer.position == 5)
                                         .execution_options(populate_existing=True)).one()
    assert (stored.response, stored.seq, stored.flagged) == ("F", 3, True)
    state = exam.client.get("/attempt", headers=exam.sessions[0]).json()
    assert state["answers"] == [{"position": 5, "response": "F", "flagged": True, "seq": 3}]


def test_bad_responses_are_refused_by_position_and_field(exam: Exam) -> None:
    items = exam.start(0).json()["items"]
    true_false = next(i["position"] for i in items if i["type"] == "true_false")
    single = next(i["position"] for i in items if i["type"] == "single_choice")
    for position, response in ((true_false, "A"), (single, "AB"), (single, "Z"), (single, "T")):
        refused = exam.save(0, position, response, seq=1)
        assert (refused.status_code, refused.json()["error"]) == (422, "bad_response"), response
        assert refused.json()["detail"]["position"] == position and refused.json()["detail"]["field"] == "response"
    assert exam.save(0, 100, "T", seq=1).json()["error"] == "bad_position"
    assert exam.save(0, single, "b", seq=1).json()["answer"]["response"] == "B"


def test_nothing_before_the_start_or_without_a_session(exam: Exam) -> None:
    assert exam.save(0, 0, "T", seq=1).json()["error"] == "attempt_not_started"
    bare = {"X-Workstation-Token": exam.sessions[0]["X-Workstation-Token"]}
    assert exam.client.post("/attempt/start", headers=bare).json()["error"] == "candidate_session_required"
    other = exam.sessions[0] | {"X-Workstation-Token": exam.sessions[1]["X-Workstation-Token"]}
    assert exam.client.post("/attempt/start", headers=other).json()["error"] == "wrong_workstation"


def test_a_save_after_the_deadline_and_grace_is_refused_and_the_attempt_submitted(exam: Exam) -> None:
    exam.start(0)
    assert exam.save(0, 0, "T", seq=1).status_code == 200
    exam.age(0, 120 + 1 / 60)  # one second past the deadline: inside the 5 s grace
    assert exam.save(0, 1, "T", seq=1).status_code == 200
    exam.age(0, 0.1)  # six more seconds: the grace is over
    late = exam.save(0, 2, "T", seq=1)
    assert (late.status_code, late.json()["error"]) == (409, "time_up")
    attempt = exam.attempt(0)
    assert attempt.status == "submitted" and attempt.submitted_how == "deadline"
    from examsvc.attempts.clock import deadline

    assert attempt.submitted_at == deadline(attempt)
    sheet = json.loads(exam.day.db_session.get(AnswerSheet, attempt.id).document)  # type: ignore[union-attr]
    assert [a["position"] for a in sheet["answers"]] == [0, 1]  # the save in the grace is in, the late one not
    assert exam.save(0, 3, "T", seq=1).json()["error"] == "attempt_submitted"


def _sheet_after_deadline(exam: Exam, path: str, app: FastAPI | None = None) -> tuple[str, str]:
    exam.start(0)
    exam.save(0, 0, "T", seq=1)
    exam.save(0, 1, "F", seq=1)
    exam.age(0, 121)
    if path == "request":
        assert exam.client.get("/attempt", headers=exam.sessions[0]).json()["error"] == "time_up"
    elif path == "sweep":
        assert app is not None
        assert sweep_once(app) == [exam.admissions[0]]
    attempt = exam.attempt(0)
    assert attempt.submitted_how == "deadline", path
    sheet = exam.day.db_session.get(AnswerSheet, attempt.id)
    assert sheet is not None
    [entry] = _entries(exam, "attempt.submitted")
    assert entry["details"]["answer_sheet"] == sheet.digest and entry["details"]["via"] == path
    document = json.loads(sheet.document)
    # Everything but who sealed it is a function of the attempt: the same for every path.
    return json.dumps({k: v for k, v in document.items() if k not in ("candidate", "paper", "started_at",
                                                                      "ended_at")}), document["how"]


@pytest.mark.parametrize("path", ["request", "sweep"])
def test_the_deadline_submits_by_the_next_request_or_the_sweep(exam: Exam, app: FastAPI, path: str) -> None:
    shape, how = _sheet_after_deadline(exam, path, app)
    assert how == "deadline" and '"answers": [{"position": 0, "response": "T"}' in shape


def test_the_background_sweep_runs_by_itself(fresh_engine: Engine, settings: Settings) -> None:
    """The lifespan task calls the same sweep every interval (on a database of its own: the task runs
    in another thread, with its own connections)."""
    live = settings.model_copy(update={"database_url": fresh_engine.url.render_as_string(hide_password=False),
                                       "sweep_interval_seconds": 0.05})
    with TestClient(create_app(live, engine=fresh_engine), raise_server_exceptions=False) as client, \
            Session(fresh_engine, expire_on_commit=False) as db_session:
        exam = Exam(Day(Actors(client=client, db_session=db_session), db_session), candidates=1)
        exam.start(0)
        exam.age(0, 121)
        for _ in range(100):
            board = client.get(f"/sittings/{exam.code}/attempts", headers=exam.chief).json()
            if board[0]["status"] == "submitted":
                break
            time.sleep(0.05)
        assert exam.attempt(0).submitted_how == "deadline"
        assert _entries(exam, "attempt.submitted")[0]["details"]["via"] == "sweep"
        db_session.commit()


def test_submit_needs_confirmation_seals_the_sheet_and_shows_the_score(exam: Exam) -> None:
    exam.start(0)
    right = exam.correct(0)
    for position in range(10):
        exam.save(0, position, right[position], seq=1)
    assert exam.client.post("/attempt/submit", headers=exam.sessions[0], json={"confirm": False}).status_code == 422
    submitted = exam.submit(0)
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    assert (body["score"], body["passed"], body["total_points"]) == (100, False, 1000)
    [entry] = _entries(exam, "attempt.submitted")
    assert entry["details"]["answer_sheet"] == body["answer_sheet"] and entry["details"]["how"] == "candidate"
    assert exam.submit(0).json()["error"] == "attempt_submitted"
    assert exam.save(0, 11, "T", seq=1).json()["error"] == "attempt_submitted"


def test_saves_on_a_database_that_commits_are_durable_and_idempotent(fresh_engine: Engine,
                                                                      settings: Settings) -> None:
    """The save path of a served database (on PostgreSQL: on the event loop, its own connections),
    where the other tests' shared transaction would hide the rows from it."""
    live = settings.model_copy(update={"database_url": fresh_engine.url.render_as_string(hide_password=False)})
    with TestClient(create_app(live, engine=fresh_engine), raise_server_exceptions=False) as client, \
            Session(fresh_engine, expire_on_commit=False) as db_session:
        exam = Exam(Day(Actors(client=client, db_session=db_session), db_session), candidates=1)
        assert exam.start(0).status_code == 200
        first = exam.save(0, 3, "T", seq=2).json()
        assert first["accepted"] is True and first["answer"] == {"position": 3, "response": "T", "flagged": False,
                                                                 "seq": 2}
        stale = exam.save(0, 3, "F", seq=1).json()
        assert stale["accepted"] is False and stale["answer"]["response"] == "T"
        assert exam.save(0, 3, "T", seq=2).json()["accepted"] is True  # a lost reply's retry
        assert exam.save(0, 200, "T", seq=3).json()["error"] == "bad_position"
        assert exam.save(0, 3, "X", seq=3).json()["error"] == "bad_response"
        assert exam.act(0, "pause").status_code == 200
        assert exam.save(0, 4, "T", seq=1).json()["error"] == "attempt_paused"
        stored = db_session.execute(select(Answer.position, Answer.response, Answer.seq)).all()
        db_session.commit()
        assert [tuple(r) for r in stored] == [(3, "T", 2)]
        assert exam.client.get("/attempt", headers=exam.sessions[0]).json()["clock"]["paused"] is True
