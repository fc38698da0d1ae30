"""``verify-sitting`` on a real finished sitting: each fact that decides who holds a qualification, edited
as a database owner would (guard triggers dropped first), is named by table, row and field (issue 15)."""

from __future__ import annotations

import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from examsvc.audit.keys import load_signer
from examsvc.audit.sitting_check import Context, Finding, run_checks
from examsvc.candidates.models import Registration
from examsvc.crypto.canonical_json import canonical_json
from examsvc.crypto.signed_note import Ed25519Signer, sign_note, verifier_of
from examsvc.sittings.service import get as get_sitting
from tests.attempts.conftest import exam  # noqa: F401  (the fixture)
from tests.attempts.exam import PASSPHRASE, Exam
from tests.sittings.conftest import day  # noqa: F401  (the fixture)


def _finish(exam: Exam) -> None:  # noqa: F811
    """Both candidates answer; one is warned and paused and resumed; both submit; the sitting closes and
    its results are published."""
    for i in (0, 1):
        assert exam.start(i).status_code == 200
    exam.answer(0, exam.correct(0))
    assert exam.act(0, "warning", "交头接耳").status_code == 200
    assert exam.act(1, "pause", "考试机蓝屏").status_code == 200
    assert exam.act(1, "resume", "恢复作答").status_code == 200
    for i in (0, 1):
        assert exam.submit(i).status_code == 200
    closed = exam.client.post(f"/sittings/{exam.code}/close", headers=exam.chief, json={"passphrase": PASSPHRASE})
    assert closed.status_code == 200, closed.text
    published = exam.client.post(f"/sittings/{exam.code}/results/publish", headers=exam.chief,
                                 json={"passphrase": PASSPHRASE})
    assert published.status_code == 201, published.text


def _findings(exam: Exam) -> list[Finding]:  # noqa: F811
    db = exam.day.db_session
    db.expire_all()
    settings = exam.client.app.state.settings  # type: ignore[attr-defined]
    context = Context(db_session=db, sitting=get_sitting(db_session=db, code=exam.code),
                      service_key=verifier_of(load_signer(settings)),
                      keys=exam.client.app.state.paper_keys)  # type: ignore[attr-defined]
    return run_checks(context)


def _drop_guards(exam: Exam, *tables: str) -> None:  # noqa: F811
    """What a database owner can do: take the guard triggers away."""
    db = exam.day.db_session
    for table in tables:
        if db.get_bind().dialect.name == "postgresql":
            db.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        else:
            for name in db.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
                                   {"t": table}).all():
                db.execute(text(f'DROP TRIGGER "{name}"'))


def _named(findings: list[Finding], table: str, row: object, field: str | None = None) -> bool:
    return any(f.table == table and str(f.row) == str(row) and (field is None or f.field == field) for f in findings)


def _other_person(exam: Exam) -> int:  # noqa: F811
    """A candidate row the owner inserts: someone who never registered."""
    db = exam.day.db_session
    db.execute(text("INSERT INTO candidate (id_number, name, created_at) VALUES ('110101199001011237', '王五', "
                    "CURRENT_TIMESTAMP)"))
    return int(db.scalar(text("SELECT id FROM candidate WHERE id_number = '110101199001011237'")))


def _registration(exam: Exam, i: int) -> Registration:  # noqa: F811
    return exam.day.db_session.scalars(select(Registration).where(
        Registration.admission_number == exam.admissions[i])).one()


def test_an_untouched_finished_sitting_gives_no_finding(exam: Exam) -> None:  # noqa: F811
    _finish(exam)
    assert [f.line() for f in _findings(exam)] == []


@pytest.mark.parametrize("field, value", [("name", "李四"), ("id_number", "110101199003070011")])
def test_the_person_behind_an_admission_number_changed_is_named(exam: Exam, field: str,  # noqa: F811
                                                                 value: str) -> None:
    _finish(exam)
    candidate_id = _registration(exam, 1).candidate_id
    _drop_guards(exam, "candidate")
    exam.day.db_session.execute(text(f"UPDATE candidate SET {field} = :v WHERE id = :i"),
                                {"v": value, "i": candidate_id})
    findings = _findings(exam)
    assert _named(findings, "candidate", candidate_id, field), [f.line() for f in findings]
    assert not any(value in f.line() for f in findings)  # the new value is not echoed


@pytest.mark.parametrize("table, field, value", [
    ("candidate", "photo_digest", "f" * 64), ("registration", "personnel_category", "principal"),
    ("registration", "subject", "2.1"), ("registration", "training_institution", "另一培训学校")])
def test_the_registrations_other_facts_changed_are_named(exam: Exam, table: str, field: str,  # noqa: F811
                                                         value: str) -> None:
    _finish(exam)
    registration = _registration(exam, 1)
    row = registration.candidate_id if table == "candidate" else registration.id
    _drop_guards(exam, table)
    exam.day.db_session.execute(text(f"UPDATE {table} SET {field} = :v WHERE id = :i"), {"v": value, "i": row})
    findings = _findings(exam)
    assert _named(findings, table, row, field), [f.line() for f in findings]


def test_a_registration_pointed_at_another_person_is_named(exam: Exam) -> None:  # noqa: F811
    _finish(exam)
    second = _registration(exam, 1)
    _drop_guards(exam, "registration")
    exam.day.db_session.execute(text("UPDATE registration SET candidate_id = :c WHERE id = :i"),
                                {"c": _other_person(exam), "i": second.id})
    assert _named(_findings(exam), "registration", second.id, "candidate_id")


def test_a_registration_deleted_or_added_is_named(exam: Exam) -> None:  # noqa: F811
    _finish(exam)
    db = exam.day.db_session
    second = _registration(exam, 1)
    _drop_guards(exam, "registration")
    db.execute(text("INSERT INTO registration (sitting_id, candidate_id, admission_number, registered_at) "
                    "VALUES (:s, :c, '999999999999', CURRENT_TIMESTAMP)"),
               {"s": second.sitting_id, "c": _other_person(exam)})
    added = db.scalar(text("SELECT id FROM registration WHERE admission_number = '999999999999'"))
    findings = _findings(exam)
    assert _named(findings, "registration", added, "admission_number"), [f.line() for f in findings]
    db.execute(text("DELETE FROM registration WHERE id = :i"), {"i": added})
    number = exam.admissions[1]
    db.execute(text("UPDATE registration SET admission_number = :n WHERE id = :i"),
               {"n": "888888888888", "i": second.id})
    findings = _findings(exam)
    assert _named(findings, "registration", number), [f.line() for f in findings]


def test_incidents_inserted_deleted_or_reworded_are_named(exam: Exam) -> None:  # noqa: F811
    _finish(exam)
    db = exam.day.db_session
    _drop_guards(exam, "incident")
    warning, pause = db.execute(text("SELECT id FROM incident ORDER BY id")).scalars().all()[:2]
    db.execute(text("UPDATE incident SET reason = '无异常' WHERE id = :i"), {"i": warning})
    db.execute(text("DELETE FROM incident WHERE id = :i"), {"i": pause})
    db.execute(text("INSERT INTO incident (sitting_id, room_id, registration_id, kind, reason, details, actor_id, at) "
                    "SELECT sitting_id, room_id, registration_id, 'removal', '夹带资料', '{}', actor_id, at "
                    "FROM incident WHERE id = :i"), {"i": warning})
    inserted = db.scalar(text("SELECT max(id) FROM incident"))
    findings = _findings(exam)
    lines = [f.line() for f in findings]
    assert _named(findings, "incident", warning, "reason"), lines
    assert any(f.table == "incident" and f.row == pause and f.entry is not None for f in findings), lines
    assert _named(findings, "incident", inserted), lines


def test_the_room_record_edited_resigned_or_deleted_is_named(exam: Exam) -> None:  # noqa: F811
    _finish(exam)
    db = exam.day.db_session
    sitting_id = _registration(exam, 0).sitting_id
    _drop_guards(exam, "room_record")
    row = db.execute(text("SELECT document FROM room_record WHERE sitting_id = :s"), {"s": sitting_id}).one()
    forged = json.loads(row.document)
    forged["attendance"][1]["seat"] = 29
    data = canonical_json(forged)
    digest = hashlib.sha256(data).hexdigest()
    name = db.scalar(text("SELECT key_name FROM examiner_key WHERE user_id = :u"), {"u": exam.crew.chief.id})
    db.execute(text("UPDATE room_record SET document = :d, digest = :g WHERE sitting_id = :s"),
               {"d": data.decode(), "g": digest, "s": sitting_id})
    findings = _findings(exam)
    lines = [f.line() for f in findings]
    assert _named(findings, "room_record", sitting_id, "digest"), lines
    assert _named(findings, "room_record", sitting_id, f"document.attendance[{exam.admissions[1]}].seat"), lines
    note = sign_note(f"examsvc room record\nsitting {exam.code}\nsha256 {digest}\n",
                     Ed25519Signer(name, Ed25519PrivateKey.generate()))  # the chief's name, not their key
    db.execute(text("UPDATE room_record SET signed_note = :n WHERE sitting_id = :s"), {"n": note, "s": sitting_id})
    assert _named(_findings(exam), "room_record", sitting_id, "signed_note")
    db.execute(text("DELETE FROM room_record WHERE sitting_id = :s"), {"s": sitting_id})
    assert _named(_findings(exam), "room_record", sitting_id)


def test_the_room_record_does_not_verify_with_a_key_swapped_in_the_database(exam: Exam) -> None:  # noqa: F811
    """The chief examiner's key is taken from the log: a key replaced in ``examiner_key`` and a note
    re-signed with it does not verify."""
    _finish(exam)
    db = exam.day.db_session
    sitting_id = _registration(exam, 0).sitting_id
    chief = exam.crew.chief.id
    name = db.scalar(text("SELECT key_name FROM examiner_key WHERE user_id = :u"), {"u": chief})
    private = Ed25519PrivateKey.generate()
    _drop_guards(exam, "examiner_key", "room_record")
    db.execute(text("UPDATE examiner_key SET public_key = :k WHERE user_id = :u"),
               {"k": private.public_key().public_bytes_raw(), "u": chief})
    digest = db.scalar(text("SELECT digest FROM room_record WHERE sitting_id = :s"), {"s": sitting_id})
    note = sign_note(f"examsvc room record\nsitting {exam.code}\nsha256 {digest}\n", Ed25519Signer(name, private))
    db.execute(text("UPDATE room_record SET signed_note = :n WHERE sitting_id = :s"), {"n": note, "s": sitting_id})
    findings = _findings(exam)
    assert _named(findings, "room_record", sitting_id, "signed_note"), [f.line() for f in findings]


def _bank_question(exam: Exam) -> tuple[int, str]:  # noqa: F811
    version = exam.day.rule.national_bank_version_id
    key = exam.day.db_session.scalar(text("SELECT key FROM question WHERE bank_version_id = :v AND type = "
                                          "'single_choice' ORDER BY key LIMIT 1"), {"v": version})
    return version, key


@pytest.mark.parametrize("field, statement", [
    ("stem", "UPDATE question SET stem = stem || '不' WHERE bank_version_id = :v AND key = :k"),
    ("explanation", "UPDATE question SET explanation = '' WHERE bank_version_id = :v AND key = :k"),
    ("answer", "UPDATE question SET answer = CASE WHEN answer = 'A' THEN 'B' ELSE 'A' END "
               "WHERE bank_version_id = :v AND key = :k"),
    ("options", "UPDATE question SET options = '[[\"A\",\"x\"],[\"B\",\"y\"],[\"C\",\"z\"],[\"D\",\"w\"]]' "
                "WHERE bank_version_id = :v AND key = :k"),
])
def test_published_bank_content_edited_is_named_by_key_and_field(exam: Exam, field: str,  # noqa: F811
                                                                  statement: str) -> None:
    _finish(exam)
    db = exam.day.db_session
    version, key = _bank_question(exam)
    stem = db.scalar(text("SELECT stem FROM question WHERE bank_version_id = :v AND key = :k"),
                     {"v": version, "k": key})
    _drop_guards(exam, "question")
    db.execute(text(statement), {"v": version, "k": key})
    findings = _findings(exam)
    lines = [f.line() for f in findings]
    assert _named(findings, "question", f"{version}/{key}", field), lines
    assert not any(stem in line for line in lines)  # no question text in findings


def _rule_row(exam: Exam) -> tuple[int, dict]:  # type: ignore[type-arg]  # noqa: F811
    row = exam.day.db_session.execute(text("SELECT id, document FROM blueprint_version WHERE id = :i"),
                                      {"i": exam.day.rule.id}).one()
    return row.id, json.loads(row.document)


@pytest.mark.parametrize("field, value", [("duration_minutes", 150), ("title", "改过的标题"), ("show_score", False)])
def test_the_approved_rule_edited_is_named_by_field(exam: Exam, field: str, value: object) -> None:  # noqa: F811
    _finish(exam)
    rule_id, document = _rule_row(exam)
    document[field] = value
    data = canonical_json(document)
    _drop_guards(exam, "blueprint_version")
    exam.day.db_session.execute(text("UPDATE blueprint_version SET document = :d, digest = :g WHERE id = :i"),
                                {"d": data.decode(), "g": hashlib.sha256(data).hexdigest(), "i": rule_id})
    findings = _findings(exam)
    assert _named(findings, "blueprint_version", rule_id, f"document.{field}"), [f.line() for f in findings]


def test_the_rule_title_and_approval_note_edited_are_named(exam: Exam) -> None:  # noqa: F811
    _finish(exam)
    db = exam.day.db_session
    rule_id = exam.day.rule.id
    note = db.scalar(text("SELECT approval_note FROM blueprint_version WHERE id = :i"), {"i": rule_id})
    _drop_guards(exam, "blueprint_version")
    db.execute(text("UPDATE blueprint_version SET title = '另一个规则', approval_note = :n WHERE id = :i"),
               {"n": note.split("\n\n")[0] + "\n\n", "i": rule_id})
    findings = _findings(exam)
    lines = [f.line() for f in findings]
    assert _named(findings, "blueprint_version", rule_id, "title"), lines
    assert _named(findings, "blueprint_version", rule_id, "approval_note"), lines


def test_a_chief_cosignature_dropped_from_a_used_paper_set_is_named(exam: Exam) -> None:  # noqa: F811
    _finish(exam)
    db = exam.day.db_session
    manifest = db.scalar(text("SELECT manifest FROM paper_set WHERE id = :i"), {"i": exam.paper_set})
    body, signatures = manifest.split("\n\n", 1)
    service_only = body + "\n\n" + signatures.splitlines(keepends=True)[0]
    _drop_guards(exam, "paper_set")
    db.execute(text("UPDATE paper_set SET manifest = :m, approved_by = NULL WHERE id = :i"),
               {"m": service_only, "i": exam.paper_set})
    findings = _findings(exam)
    assert _named(findings, "paper_set", exam.paper_set, "approved_by"), [f.line() for f in findings]


def test_a_staff_assignment_cannot_be_removed_once_the_sitting_opened(exam: Exam) -> None:  # noqa: F811
    db = exam.day.db_session
    sitting_id = _registration(exam, 0).sitting_id
    with pytest.raises(DatabaseError, match="staff assignments change only before the sitting opens"), \
            db.begin_nested():
        db.execute(text("DELETE FROM staff_assignment WHERE sitting_id = :s"), {"s": sitting_id})


@pytest.mark.parametrize("statement", ["UPDATE candidate SET name = '李四'",
                                       "DELETE FROM registration",
                                       "UPDATE registration SET binding_salt = '00'"])
def test_people_and_registrations_are_append_only(exam: Exam, statement: str) -> None:  # noqa: F811
    db = exam.day.db_session
    with pytest.raises(DatabaseError, match="append-only"), db.begin_nested():
        db.execute(text(statement))


@pytest.mark.parametrize("field, value", [("duration_minutes", 150), ("scheduled_start", "2027-01-10 00:00:00")])
def test_the_sittings_schedule_edited_is_named(exam: Exam, field: str, value: object) -> None:  # noqa: F811
    _finish(exam)
    sitting_id = get_sitting(db_session=exam.day.db_session, code=exam.code).id
    _drop_guards(exam, "sitting")
    exam.day.db_session.execute(text(f"UPDATE sitting SET {field} = :v WHERE id = :i"), {"v": value, "i": sitting_id})
    findings = _findings(exam)
    assert _named(findings, "sitting", sitting_id, field), [f.line() for f in findings]


def test_the_rules_approver_edited_is_named(exam: Exam) -> None:  # noqa: F811
    _finish(exam)
    sitting = get_sitting(db_session=exam.day.db_session, code=exam.code)
    _drop_guards(exam, "blueprint_version")
    exam.day.db_session.execute(text("UPDATE blueprint_version SET decided_by = :u WHERE id = :i"),
                                {"u": exam.crew.chief.id, "i": sitting.blueprint_version_id})
    findings = _findings(exam)
    assert _named(findings, "blueprint_version", sitting.blueprint_version_id, "decided_by"), [
        f.line() for f in findings]


def test_staff_assignments_moved_deleted_or_added_are_named(exam: Exam) -> None:  # noqa: F811
    """Before the close too (no room record yet): the assignments are replayed from the log."""
    db = exam.day.db_session
    sitting_id = _registration(exam, 0).sitting_id
    proctor = exam.crew.proctors["01"][0].id
    _drop_guards(exam, "staff_assignment")
    moved = db.scalar(text("SELECT id FROM staff_assignment WHERE sitting_id = :s AND user_id = :u"),
                      {"s": sitting_id, "u": proctor})
    other_room = db.scalar(text("SELECT room_id FROM staff_assignment WHERE sitting_id = :s AND room_id IS NOT NULL "
                                "AND room_id <> (SELECT room_id FROM staff_assignment WHERE id = :m)"),
                           {"s": sitting_id, "m": moved})
    db.execute(text("UPDATE staff_assignment SET room_id = :r WHERE id = :m"), {"r": other_room, "m": moved})
    findings = [f for f in _findings(exam) if f.check == "staff"]
    assert _named(findings, "staff_assignment", moved), [f.line() for f in findings]
    assert any(f.entry is not None and f.row is None for f in findings), "the logged assignment is named too"
    db.execute(text("DELETE FROM staff_assignment WHERE id = :m"), {"m": moved})
    findings = [f for f in _findings(exam) if f.check == "staff"]
    assert [(f.table, f.row) for f in findings] == [("staff_assignment", None)], [f.line() for f in findings]
