"""Collecting attempt_items from a real published sitting, checked against the results, the papers the
chief examiner reads and the responses the candidates saved."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import delete, select

from examsvc.analytics.backfill import backfill, check
from examsvc.analytics.models import AttemptItems
from examsvc.analytics.responses import load
from examsvc.banks.models import BankVersion, Question
from examsvc.candidates.models import Registration
from examsvc.sittings.models import Sitting
from tests.analytics.published import finish as _responses
from tests.analytics.published import publish as _publish
from tests.attempts.exam import PASSPHRASE, Exam


def _rows(exam: Exam) -> dict[str, AttemptItems]:
    db = exam.day.db_session
    db.expire_all()
    rows = db.execute(select(Registration.admission_number, AttemptItems).join(
        AttemptItems, AttemptItems.registration_id == Registration.id)).all()
    return {admission: row for admission, row in rows}


def _expected_mask(item: dict[str, Any], response: str) -> int:
    """Independently of the collector: displayed letter i is the bank label item["options"][i]."""
    if not response:
        return 0
    if not item["options"]:
        return {"T": 1, "F": 2}[response]
    return sum(1 << "ABCDEFGH".index(item["options"][ord(c) - ord("A")]) for c in set(response))


def test_publication_collects_every_attempt_as_the_results_and_papers_say(exam: Exam) -> None:
    wanted = _responses(exam)
    assert _rows(exam) == {}  # nothing before publication
    _publish(exam)
    rows = _rows(exam)
    assert set(rows) == set(exam.admissions)
    results = {r["admission_number"]: r for r in
               exam.client.get(f"/sittings/{exam.code}/results", headers=exam.day.admin).json()}
    ids = {(part, key): (qid, revision) for part, key, qid, revision in exam.day.db_session.execute(
        select(BankVersion.part, Question.key, Question.id, Question.revision).join(
            BankVersion, BankVersion.id == Question.bank_version_id).where(
            BankVersion.id.in_([exam.day.rule.national_bank_version_id, exam.day.rule.provincial_bank_version_id])))}
    for i, admission in enumerate(exam.admissions):
        row, result = rows[admission], results[admission]
        paper = exam.client.get(f"/paper-sets/{exam.paper_set}/papers/{admission}", headers=exam.chief).json()
        items = paper["items"]
        assert np.frombuffer(row.awarded, "<u2").tolist() == result["items"]
        assert row.score == result["score"] == sum(result["items"]) and row.result_digest == result["digest"]
        assert np.frombuffer(row.possible, "<u2").tolist() == [item["points"] for item in items]
        assert row.total_points == sum(item["points"] for item in items)
        assert np.frombuffer(row.question_ids, "<i4").tolist() == [ids[(it["part"], it["key"])][0] for it in items]
        assert all(ids[(it["part"], it["key"])][1] == it["revision"] for it in items)
        chosen = np.frombuffer(row.chosen, "u1").tolist()
        assert chosen == [_expected_mask(item, wanted[i].get(p, "")) for p, item in enumerate(items)]
    assert not any(np.frombuffer(rows[exam.admissions[1]].chosen, "u1"))  # the blank sheet
    # Candidate 2 answered all right: every chosen mask is the bank's answer.
    answers = {qid: answer for qid, answer in exam.day.db_session.execute(select(Question.id, Question.answer))}
    row2 = rows[exam.admissions[2]]
    for qid, mask in zip(np.frombuffer(row2.question_ids, "<i4"), np.frombuffer(row2.chosen, "u1"), strict=True):
        answer = answers[int(qid)]
        assert mask == ({"T": 1, "F": 2}[answer] if answer in ("T", "F") else
                        sum(1 << "ABCDEFGH".index(c) for c in answer))


def test_a_review_replaces_the_row_and_a_voided_result_leaves(exam: Exam) -> None:
    _responses(exam)
    _publish(exam)
    before = _rows(exam)[exam.admissions[0]]
    old_digest, old_awarded = before.result_digest, np.frombuffer(before.awarded, "<u2").copy()
    reviewed = exam.client.post(f"/sittings/{exam.code}/results/{exam.admissions[0]}/review", headers=exam.chief,
                                json={"reason": "第1题经复核给分", "adjustments": [{"position": 0, "points": 10}],
                                      "passphrase": PASSPHRASE})
    assert reviewed.status_code == 201, reviewed.text
    after = _rows(exam)[exam.admissions[0]]
    assert after.result_digest == reviewed.json()["digest"] != old_digest
    awarded = np.frombuffer(after.awarded, "<u2")
    assert awarded[0] == 10 and old_awarded[0] == 0 and (awarded[1:] == old_awarded[1:]).all()
    assert after.score == reviewed.json()["score"]
    voided = exam.client.post(f"/sittings/{exam.code}/results/{exam.admissions[1]}/review", headers=exam.chief,
                              json={"reason": "违纪，成绩作废", "void": True, "passphrase": PASSPHRASE})
    assert voided.status_code == 201, voided.text
    assert set(_rows(exam)) == {exam.admissions[0], exam.admissions[2]}


def test_the_backfill_is_idempotent_and_rebuilds_the_same_rows(exam: Exam) -> None:
    _responses(exam)
    _publish(exam)
    db = exam.day.db_session
    keys = exam.client.app.state.paper_keys  # type: ignore[attr-defined]
    snapshot = {a: (r.question_ids, r.chosen, r.awarded, r.possible, r.result_digest) for a, r in _rows(exam).items()}
    again = backfill(db, keys=keys, sitting_code=exam.code)
    assert [(c.written, c.unchanged) for c in again] == [(0, 3)]
    db.execute(delete(AttemptItems))
    rebuilt = backfill(db, keys=keys)
    assert [(c.sitting, c.written) for c in rebuilt] == [(exam.code, 3)]
    assert {a: (r.question_ids, r.chosen, r.awarded, r.possible, r.result_digest)
            for a, r in _rows(exam).items()} == snapshot
    sitting = db.scalars(select(Sitting).where(Sitting.code == exam.code)).one()
    loaded = load(db, sitting_ids=[sitting.id], bank_version_ids=[exam.day.rule.national_bank_version_id])
    assert loaded.attempts == 3 and loaded.offsets[-1] == len(loaded.question_ids)
    first = _rows(exam)[exam.admissions[0]]
    row = int(np.flatnonzero(loaded.attempt_ids == first.attempt_id)[0])
    span = slice(loaded.offsets[row], loaded.offsets[row + 1])
    assert loaded.awarded[span].tobytes() == first.awarded and loaded.chosen[span].tobytes() == first.chosen
    assert load(db, sitting_ids=[sitting.id], paper_set_ids=[-1]).attempts == 0


def test_check_names_every_collected_row_a_database_owner_edited(exam: Exam) -> None:
    _responses(exam)
    _publish(exam)
    db, keys = exam.day.db_session, exam.client.app.state.paper_keys  # type: ignore[attr-defined]
    assert check(db, keys=keys, sitting_code=exam.code) == []
    rows = _rows(exam)
    first, second, third = (rows[a] for a in exam.admissions)
    chosen = bytearray(first.chosen)
    chosen[0] ^= 1  # one answer made another's, e.g. to break up a similar pair
    first.chosen = bytes(chosen)
    second.score += 10
    db.delete(third)
    db.flush()
    failures = check(db, keys=keys, sitting_code=exam.code)
    assert [f.split("]")[1] for f in failures if f"attempt={first.attempt_id}]" in f] == [
        ".chosen differs from the sealed paper, answer sheet and current result"]
    assert any(f"attempt={second.attempt_id}].score differs" in f for f in failures)
    assert any(f"attempt={third.attempt_id}] missing" in f for f in failures)
    assert len(failures) == 3
    assert backfill(db, keys=keys, sitting_code=exam.code)  # the missing row comes back; edits stay until
    assert len(check(db, keys=keys, sitting_code=exam.code)) == 2  # their result changes, and check names them
