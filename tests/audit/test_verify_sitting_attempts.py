"""verify-sitting names every owner's edit of check-ins, presence, attempt timing and saves (issue 15).

A real sitting is run through the HTTP API (a move, a pause, extra time, a room pause, a staff member
leaving, re-saves and flags), then the database is edited as its owner would, guard triggers dropped
first, and the sitting's findings must name the table and field (and the log entry, where there is one).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from examsvc.attempts import autosave
from examsvc.attempts.models import Answer, AnswerSave
from examsvc.audit.keys import load_signer
from examsvc.audit.sitting_check import Context, Finding, run_checks
from examsvc.crypto import save_chain
from examsvc.crypto.signed_note import verifier_of
from examsvc.db import utcnow
from examsvc.sittings.service import get as get_sitting
from tests.attempts.exam import PASSPHRASE, SPARE_SEAT, Exam
from tests.sittings.conftest import Day, day  # noqa: F401  (the fixture, shared)

Edit = Callable[[Exam], None]
LEAVING = 1  # the second proctor of room 02 leaves during the exam


@pytest.fixture
def exam(day: Day) -> Exam:  # noqa: F811
    return Exam(day, candidates=3)


def _sql(exam: Exam, statement: str, **params: object) -> None:
    exam.day.db_session.execute(text(statement), params)
    exam.day.db_session.commit()


def _drop_guards(exam: Exam, *tables: str) -> None:
    """What a database owner can do first: take the append-only triggers away."""
    db = exam.day.db_session
    for table in tables:
        if db.get_bind().dialect.name == "postgresql":
            db.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
        else:
            db.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
            db.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))
    db.commit()


def _run(exam: Exam, during: Edit | None = None) -> None:
    """Candidate 0 answers and changes their mind, candidate 1 is moved and given extra time, room 01 is
    paused and resumed, a proctor leaves; ``during`` edits the database before anyone submits."""
    for i in range(3):
        assert exam.start(i).status_code == 200
    right = exam.correct(0)
    for position, response in enumerate(right[:10]):
        assert exam.save(0, position, response, seq=1, flagged=position == 3).status_code == 200
    assert exam.save(0, 0, exam.wrong(right[0]), seq=2).status_code == 200
    assert exam.save(0, 0, right[0], seq=3).status_code == 200
    assert exam.save(0, 1, right[1], seq=1).json()["accepted"]  # a repeat: accepted, not a new save
    assert exam.save(2, 0, "", seq=1).status_code == 200
    assert exam.act(1, "pause", "考试机蓝屏").status_code == 200
    moved = exam.act(1, "move", "更换考试机", seat=SPARE_SEAT)
    assert moved.status_code == 200, moved.text
    exam.sign_in(1, moved.json()["one_time_code"], exam.credentials[("02", SPARE_SEAT)])
    assert exam.act(1, "resume", "换机完成").status_code == 200
    assert exam.act(1, "extra-time", "补足换机时间", minutes=5).status_code == 200
    assert exam.save(1, 2, exam.correct(1)[2], seq=1).status_code == 200
    room = exam.client.post(f"/sittings/{exam.code}/rooms/01/pause", headers=exam.proctor("01"),
                            json={"reason": "停电"})
    assert room.status_code == 200, room.text
    assert exam.client.post(f"/sittings/{exam.code}/rooms/01/resume", headers=exam.proctor("01"),
                            json={"reason": "来电"}).status_code == 200
    leaving = exam.crew.proctors["02"][LEAVING].id
    assert exam.client.post(f"/sittings/{exam.code}/presence/{leaving}/check-out", headers=exam.chief,
                            json={"reason": "身体不适"}).status_code == 200
    if during is not None:
        during(exam)
    for i in range(3):
        assert exam.submit(i).status_code == 200, exam.submit(i).text
    assert exam.client.post(f"/sittings/{exam.code}/close", headers=exam.chief,
                            json={"passphrase": PASSPHRASE}).status_code == 200


def _findings(exam: Exam) -> list[Finding]:
    db = exam.day.db_session
    db.expire_all()
    settings = exam.client.app.state.settings  # type: ignore[attr-defined]
    context = Context(db_session=db, sitting=get_sitting(db_session=db, code=exam.code),
                      service_key=verifier_of(load_signer(settings)),
                      keys=exam.client.app.state.paper_keys,  # type: ignore[attr-defined]
                      extra={"grace_seconds": settings.answer_grace_seconds})
    found = run_checks(context)
    db.commit()
    return found


def _named(findings: list[Finding], table: str, field: str | None, *, logged: bool = True) -> bool:
    return any(f.table == table and f.field == field and (f.entry is not None or not logged) for f in findings)


def _registration(exam: Exam, i: int) -> int:
    return int(exam.day.db_session.execute(text("SELECT id FROM registration WHERE admission_number = :a"),
                                           {"a": exam.admissions[i]}).scalar_one())


def _attempt(exam: Exam, i: int) -> int:
    return int(exam.day.db_session.execute(text("SELECT id FROM attempt WHERE registration_id = :r"),
                                           {"r": _registration(exam, i)}).scalar_one())


def test_an_untouched_sitting_has_no_finding(exam: Exam) -> None:
    _run(exam)
    assert _findings(exam) == []


def test_the_save_chain_is_the_same_on_either_save_path_and_the_journal_rederives_it(exam: Exam) -> None:
    assert exam.start(0).status_code == 200
    assert exam.save(0, 0, "T", seq=1).status_code == 200  # on PostgreSQL: the event-loop path
    attempt = _attempt(exam, 0)
    db = exam.day.db_session
    # The threaded path's statement (SQLite always; PostgreSQL for what the loop cannot settle).
    params = autosave._upsert_params(exam.attempt(0), 0, "F", 2, True, utcnow())
    connection = db.connection()
    stored = connection.execute(autosave._UPSERT[connection.dialect.name], params).first()
    assert stored is not None
    if connection.dialect.name != "postgresql":
        connection.execute(autosave._JOURNAL, stored._asdict())
    db.commit()
    saves = list(db.scalars(select(AnswerSave).where(AnswerSave.attempt_id == attempt).order_by(AnswerSave.seq)))
    assert [(s.seq, s.response, s.flagged) for s in saves][-1] == (2, "F", True) and len(saves) == 2
    head = ""
    for save in saves:
        head = save_chain.advance(head, save_chain.canonical_save(position=0, seq=save.seq, response=save.response,
                                                                  flagged=save.flagged, saved_at=save.saved_at))
        assert save.chain == head
    answer = db.scalars(select(Answer).where(Answer.attempt_id == attempt)).one()
    assert answer.chain == head and answer.response == "F"
    db.commit()


def test_the_database_refuses_edits_of_the_guarded_facts(exam: Exam) -> None:
    _run(exam)
    db = exam.day.db_session
    for statement in ("UPDATE candidate_check_in SET photo_digest = 'x'", "DELETE FROM candidate_check_in",
                      "UPDATE presence SET workstation_id = workstation_id", "DELETE FROM presence",
                      "UPDATE answer_save SET response = 'A'", "DELETE FROM answer_save",
                      "UPDATE attempt SET extra_seconds = 600", "DELETE FROM attempt"):
        with pytest.raises(DBAPIError), db.begin_nested():
            db.execute(text(statement))
    db.rollback()


# --- check-ins and moves -----------------------------------------------------------------------------

CHECK_IN_EDITS: dict[str, tuple[str, str]] = {
    "photo": ("UPDATE candidate_check_in SET photo_digest = :digest WHERE registration_id = :r", "photo_digest"),
    "who": ("UPDATE candidate_check_in SET checked_in_by = (SELECT MIN(id) FROM user_account) "
            "WHERE registration_id = :r", "checked_in_by"),
    "when": ("UPDATE candidate_check_in SET checked_in_at = :earlier WHERE registration_id = :r", "checked_in_at"),
    "seat": ("UPDATE candidate_check_in SET seat_id = (SELECT id FROM seat WHERE number = 29 AND room_id = "
             "(SELECT room_id FROM seat WHERE id = candidate_check_in.seat_id)) WHERE registration_id = :r",
             "seat_id"),
    "workstation": ("UPDATE candidate_check_in SET workstation_id = (SELECT MIN(id) FROM workstation) "
                    "WHERE registration_id = :r", "workstation_id"),
}


@pytest.mark.parametrize("what", sorted(CHECK_IN_EDITS))
@pytest.mark.parametrize("who", [0, 1], ids=["checked_in", "moved"])
def test_an_edited_check_in_is_named(exam: Exam, what: str, who: int) -> None:
    _run(exam)
    _drop_guards(exam, "candidate_check_in")
    statement, field = CHECK_IN_EDITS[what]
    _sql(exam, statement, r=_registration(exam, who), digest="0" * 64, earlier=utcnow().replace(year=2020))
    found = _findings(exam)
    assert _named(found, "candidate_check_in", field), found


def test_a_deleted_check_in_is_named(exam: Exam) -> None:
    _run(exam)
    _drop_guards(exam, "candidate_check_in")
    _sql(exam, "DELETE FROM candidate_check_in WHERE registration_id = :r", r=_registration(exam, 2))
    found = _findings(exam)
    assert any(f.table == "candidate_check_in" and "deleted" in f.message and f.entry is not None for f in found)


# --- staff presence ----------------------------------------------------------------------------------

PRESENCE_EDITS: dict[str, tuple[str, str | None]] = {
    "arrival": ("UPDATE presence SET checked_in_at = :earlier WHERE user_id = :u", "checked_in_at"),
    "workstation": ("UPDATE presence SET workstation_id = (SELECT MAX(id) FROM workstation) WHERE user_id = :u",
                    "workstation_id"),
    "leaving": ("UPDATE presence SET checked_out_at = :earlier WHERE user_id = :left", "checked_out_at"),
    "reason": ("UPDATE presence SET checkout_reason = '按时离场' WHERE user_id = :left", "checkout_reason"),
    "approver": ("UPDATE presence SET checkout_approved_by = :u WHERE user_id = :left", "checkout_approved_by"),
    "never_left": ("UPDATE presence SET checked_out_at = NULL, checkout_reason = NULL, checkout_approved_by = NULL "
                   "WHERE user_id = :left", "checked_out_at"),
    "left_early": ("UPDATE presence SET checked_out_at = :earlier, checkout_reason = '私自离岗' WHERE user_id = :u",
                   "checked_out_at"),
}


@pytest.mark.parametrize("what", sorted(PRESENCE_EDITS))
def test_an_edited_presence_is_named(exam: Exam, what: str) -> None:
    _run(exam)
    _drop_guards(exam, "presence")
    statement, field = PRESENCE_EDITS[what]
    _sql(exam, statement, u=exam.crew.proctors["01"][0].id, left=exam.crew.proctors["02"][LEAVING].id,
         earlier=utcnow().replace(year=2020))
    found = _findings(exam)
    assert any(f.table == "presence" and f.field == field for f in found), found


def test_a_deleted_or_inserted_presence_is_named(exam: Exam) -> None:
    _run(exam)
    _drop_guards(exam, "presence")
    proctor = exam.crew.proctors["01"][1].id
    _sql(exam, "DELETE FROM presence WHERE user_id = :u", u=proctor)
    sitting = get_sitting(db_session=exam.day.db_session, code=exam.code).id
    _sql(exam, "INSERT INTO presence (sitting_id, user_id, workstation_id, checked_in_at) "
               "VALUES (:s, (SELECT MIN(id) FROM user_account WHERE id NOT IN (SELECT user_id FROM presence)), "
               "(SELECT MIN(id) FROM workstation), :at)", s=sitting, at=utcnow())
    found = [f for f in _findings(exam) if f.table == "presence"]
    assert any("deleted" in f.message and f.entry is not None for f in found), found
    assert any("inserted" in f.message and f.row is not None for f in found), found


# --- attempt timing, place and ending ----------------------------------------------------------------

ATTEMPT_EDITS: dict[str, tuple[str, str, str]] = {
    "start": ("UPDATE attempt SET started_at = :earlier WHERE id = :a", "attempt", "started_at"),
    "duration": ("UPDATE attempt SET duration_seconds = duration_seconds + 600 WHERE id = :a", "attempt",
                 "duration_seconds"),
    "extra": ("UPDATE attempt SET extra_seconds = extra_seconds + 600 WHERE id = :a", "attempt", "extra_seconds"),
    "pause": ("UPDATE attempt SET pause_credit_ms = pause_credit_ms + 600000 WHERE id = :a", "attempt",
              "pause_credit_ms"),
    "workstation": ("UPDATE attempt SET workstation_id = (SELECT MIN(id) FROM workstation) WHERE id = :a", "attempt",
                    "workstation_id"),
    "room": ("UPDATE attempt SET room_id = (SELECT MAX(id) FROM room WHERE id <> attempt.room_id) WHERE id = :a",
             "attempt", "room_id"),
    "ended": ("UPDATE attempt SET submitted_at = :earlier WHERE id = :a", "attempt", "submitted_at"),
    "how": ("UPDATE attempt SET submitted_how = 'deadline' WHERE id = :a", "attempt", "submitted_how"),
    "status": ("UPDATE attempt SET status = 'removed' WHERE id = :a", "attempt", "status"),
    "paused": ("UPDATE attempt SET paused_at = :earlier WHERE id = :a", "attempt", "paused_at"),
}


@pytest.mark.parametrize("what", sorted(ATTEMPT_EDITS))
@pytest.mark.parametrize("who", [0, 1], ids=["plain", "moved_and_extended"])
def test_an_edited_attempt_is_named(exam: Exam, what: str, who: int) -> None:
    _run(exam)
    _drop_guards(exam, "attempt")
    statement, table, field = ATTEMPT_EDITS[what]
    _sql(exam, statement, a=_attempt(exam, who), earlier=utcnow().replace(year=2020))
    found = _findings(exam)
    assert _named(found, table, field), found


def test_extra_time_added_in_the_database_during_the_exam_is_named(exam: Exam) -> None:
    def add_ten_minutes(exam: Exam) -> None:  # no guard stops this while the attempt runs
        _sql(exam, "UPDATE attempt SET extra_seconds = extra_seconds + 600 WHERE id = :a", a=_attempt(exam, 2))

    _run(exam, during=add_ten_minutes)
    found = _findings(exam)
    assert _named(found, "attempt", "extra_seconds"), found
    assert _named(found, "answer_sheet", "extra_seconds"), found  # sealed with the forged clock: named too


def test_a_pause_credit_added_in_the_database_during_the_exam_is_named(exam: Exam) -> None:
    def credit(exam: Exam) -> None:
        _sql(exam, "UPDATE attempt SET pause_credit_ms = pause_credit_ms + 90000 WHERE id = :a", a=_attempt(exam, 0))

    _run(exam, during=credit)
    found = _findings(exam)
    assert _named(found, "attempt", "pause_credit_ms") and _named(found, "answer_sheet", "pause_credit_ms"), found


# --- every save --------------------------------------------------------------------------------------

def test_an_answer_changed_in_the_database_during_the_exam_is_named(exam: Exam) -> None:
    def change(exam: Exam) -> None:
        _sql(exam, "UPDATE answer SET response = CASE WHEN response = 'A' THEN 'B' ELSE 'A' END "
                   "WHERE attempt_id = :a AND position = 4", a=_attempt(exam, 0))

    _run(exam, during=change)
    found = _findings(exam)
    assert any(f.table == "answer" and f.field == "response" and f.row == f"{_attempt(exam, 0)}/4" for f in found)
    assert _named(found, "answer_sheet", "answers"), found


def test_an_answer_inserted_in_the_database_during_the_exam_is_named(exam: Exam) -> None:
    def insert(exam: Exam) -> None:
        _sql(exam, "INSERT INTO answer (attempt_id, position, response, flagged, seq, saved_at, chain) "
                   "VALUES (:a, 20, 'A', false, 1, :at, '')", a=_attempt(exam, 2), at=utcnow())

    _run(exam, during=insert)
    found = _findings(exam)
    assert any(f.table == "answer" and "no save in the journal" in f.message for f in found), found


SAVE_EDITS: dict[str, tuple[str, str, str]] = {
    "journal_response": ("UPDATE answer_save SET response = 'Z' WHERE attempt_id = :a AND position = 0 AND seq = 2",
                         "answer_save", "chain"),
    "journal_deleted": ("DELETE FROM answer_save WHERE attempt_id = :a AND position = 0 AND seq = 2", "answer_save",
                        "chain"),
    "journal_time": ("UPDATE answer_save SET saved_at = :earlier WHERE attempt_id = :a AND position = 5",
                     "answer_save", "saved_at"),
    "flag": ("UPDATE answer SET flagged = NOT flagged WHERE attempt_id = :a AND position = 3", "answer", "flagged"),
    "save_time": ("UPDATE answer SET saved_at = :earlier WHERE attempt_id = :a AND position = 1", "answer",
                  "saved_at"),
    "sealed_saves": ("UPDATE answer_save SET chain = '00' WHERE attempt_id = :a AND position = 0 AND seq = 3",
                     "answer_save", "chain"),
}


@pytest.mark.parametrize("what", sorted(SAVE_EDITS))
def test_an_edited_save_is_named(exam: Exam, what: str) -> None:
    _run(exam)
    _drop_guards(exam, "answer_save")
    statement, table, field = SAVE_EDITS[what]
    _sql(exam, statement, a=_attempt(exam, 0), earlier=utcnow().replace(year=2020))
    found = _findings(exam)
    assert _named(found, table, field, logged=False), found
    if what.startswith("journal_") and what != "journal_time":
        assert _named(found, "answer_sheet", "saves"), found  # the sheet sealed the journal's chains


def test_a_journal_rewritten_consistently_after_submission_is_named_by_the_sealed_sheet(exam: Exam) -> None:
    _run(exam)
    _drop_guards(exam, "answer_save")
    db = exam.day.db_session
    attempt = _attempt(exam, 0)
    rows = list(db.scalars(select(AnswerSave).where(AnswerSave.attempt_id == attempt, AnswerSave.position == 0)
                           .order_by(AnswerSave.seq)))
    head = ""
    for row in rows:  # the owner recomputes every chain after changing the middle save
        response = "Z" if row.seq == 2 else row.response
        head = save_chain.advance(head, save_chain.canonical_save(position=0, seq=row.seq, response=response,
                                                                  flagged=row.flagged, saved_at=row.saved_at))
        db.execute(text("UPDATE answer_save SET response = :r, chain = :c WHERE id = :i"),
                   {"r": response, "c": head, "i": row.id})
    db.execute(text("UPDATE answer SET chain = :c WHERE attempt_id = :a AND position = 0"), {"c": head, "a": attempt})
    db.commit()
    found = _findings(exam)
    assert _named(found, "answer_sheet", "saves"), found
