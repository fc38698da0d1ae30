"""The signals API on a real closed sitting: two candidates whose collected answers are the same (a
similarity lead with seats and answers by key and bank label, no content), one answering everything right
in seconds (fast high score), one idle for half an hour then answering in a burst (its save journal); a
person's action is written to signal_action and the audit log; who may read and act."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from sqlalchemy import delete, select

from examsvc.analytics.models import AttemptItems
from examsvc.analytics.signal_models import SignalAction
from examsvc.attempts.models import Attempt
from examsvc.audit.models import AuditEntry
from examsvc.banks.models import Question
from examsvc.candidates.models import Registration
from examsvc.identity.roles import Role
from examsvc.results.models import Result
from tests.attempts.exam import PASSPHRASE, Exam
from tests.builders import Actors
from tests.sittings.conftest import Day, day  # noqa: F401  (the fixture)

ITEMS = 60
CANDIDATES = 10  # the null model estimates abilities and distractor frequencies from the sitting
WRONG = set(range(0, ITEMS, 5)) | set(range(1, ITEMS, 5))  # 24 of 60 wrong for candidates 0 and 1


def _mask(answer: str, qtype: str) -> int:
    if qtype == "true_false":
        return {"T": 1, "F": 2}[answer]
    return sum(1 << (ord(c) - ord("A")) for c in answer)


def _collect_as(exam: Exam) -> list[Question]:
    """attempt_items rows for the sitting's attempts as the collector would write them, with answers we
    choose: 0 and 1 the same (right and wrong), 2 all right, the others right on 50–74 % of the questions
    (seeded) and a random wrong option elsewhere. Replaces any collected rows."""
    db = exam.day.db_session
    questions = list(db.scalars(select(Question).where(
        Question.bank_version_id == exam.day.rule.national_bank_version_id).order_by(Question.id).limit(ITEMS)))
    assert len(questions) == ITEMS
    db.execute(delete(AttemptItems).where(AttemptItems.sitting_id == exam.attempt(0).sitting_id))
    rng = np.random.default_rng(21)
    shared_wrong = {}  # candidates 0 and 1: the same wrong option
    for q in questions:
        right = _mask(q.answer, q.type)
        shared_wrong[q.id] = (3 - right) if q.type == "true_false" else (1 if right != 1 else 2)
    for i in range(CANDIDATES):
        attempt = exam.attempt(i)
        own_wrong = set(rng.permutation(ITEMS)[:round(ITEMS * (0.5 - 0.03 * (i - 3)))].tolist())
        result = db.scalars(select(Result).where(Result.registration_id == attempt.registration_id)
                            .order_by(Result.version.desc())).first()
        assert result is not None
        chosen, awarded = [], []
        for k, q in enumerate(questions):
            right = _mask(q.answer, q.type)
            others = [1 << b for b in range(max(2, len(q.options))) if 1 << b != right]
            wrong = shared_wrong[q.id] if i < 2 or q.type == "true_false" else int(rng.choice(others))
            is_wrong = k in WRONG if i in (0, 1) else (i > 2 and k in own_wrong)
            chosen.append(wrong if is_wrong else right)
            awarded.append(0 if is_wrong else 10)
        db.add(AttemptItems(
            attempt_id=attempt.id, sitting_id=attempt.sitting_id, registration_id=attempt.registration_id,
            question_ids=np.array([q.id for q in questions], "<i4").tobytes(),
            chosen=np.array(chosen, np.uint8).tobytes(), awarded=np.array(awarded, "<u2").tobytes(),
            possible=np.full(ITEMS, 10, "<u2").tobytes(), score=sum(awarded), total_points=10 * ITEMS,
            result_digest=result.digest, paper_digest="0" * 64, sheet_digest="0" * 64))
    db.commit()
    return questions


@pytest.fixture
def sitting(day: Day) -> tuple[Exam, list[Question]]:  # noqa: F811
    exam = Exam(day, candidates=CANDIDATES)
    for i in range(CANDIDATES):
        assert exam.start(i).status_code == 200
    exam.age(0, 30)  # candidate 0 started half an hour ago and saved nothing since
    right = exam.correct(0)
    for position in range(20):
        assert exam.save(0, position, right[position], seq=1).status_code == 200
    for i in range(CANDIDATES):
        assert exam.submit(i).status_code == 200
    assert exam.client.post(f"/sittings/{exam.code}/close", headers=exam.chief,
                            json={"passphrase": PASSPHRASE}).status_code == 200
    return exam, _collect_as(exam)


def _signals(exam: Exam, headers: dict[str, str], **query: str) -> list[dict[str, Any]]:
    response = exam.client.get("/analytics/signals", params={"sitting": exam.code, **query}, headers=headers)
    assert response.status_code == 200, response.text
    out: list[dict[str, Any]] = response.json()
    return out


def test_the_sittings_signals_carry_their_evidence_without_content(sitting: tuple[Exam, list[Question]]) -> None:
    exam, questions = sitting
    found = _signals(exam, exam.day.admin)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for s in found:
        by_kind.setdefault(s["kind"], []).append(s)
    (pair,) = by_kind["similarity"]
    assert sorted(pair["subjects"]) == sorted(exam.admissions[:2])
    evidence = pair["evidence"]
    assert evidence["common"] == evidence["matches"] == ITEMS and evidence["identical_wrong"] == len(WRONG)
    assert evidence["p_value"] < 1e-6
    assert {row["key"] for row in evidence["answers"]} == {q.key for q in questions}
    assert all(row["same"] for row in evidence["answers"])
    # seats of the check-ins: candidate 0 in room 01 seat 1, candidate 1 in room 02 seat 1
    assert evidence["seats"]["same_room"] is False
    assert {evidence["seats"]["a"]["room"], evidence["seats"]["b"]["room"]} == {"01", "02"}
    (fast,) = by_kind["fast_score"]
    assert fast["subjects"] == [exam.admissions[2]] and fast["evidence"]["reason"] == "floor"
    (burst,) = by_kind["idle_burst"]
    assert burst["subjects"][0] == exam.admissions[0]
    assert burst["evidence"]["idle_seconds"] >= 1790 and burst["evidence"]["burst_items"] == 20
    assert [p["position"] for p in burst["evidence"]["timeline"]] == list(range(20))
    text = json.dumps(found, ensure_ascii=False)
    assert not any(q.stem in text for q in questions)
    assert not any(text_ in text for q in questions for _, text_ in q.options if len(text_) > 3)
    assert _signals(exam, exam.day.admin, kind="similarity") == [pair]


def test_an_action_is_recorded_with_the_signal_and_in_the_log(sitting: tuple[Exam, list[Question]],
                                                              actors: Actors) -> None:
    exam, _ = sitting
    (pair,) = _signals(exam, exam.day.admin, kind="similarity")
    url = f"/analytics/signals/{pair['id']}/actions"
    db = exam.day.db_session
    size_before = len(db.scalars(select(AuditEntry.idx)).all())
    bad = exam.client.post(url, params={"sitting": exam.code}, headers=exam.day.admin,
                           json={"action": "punished", "note": "x"})
    assert bad.status_code == 422
    empty = exam.client.post(url, params={"sitting": exam.code}, headers=exam.day.admin,
                             json={"action": "referred", "note": ""})
    assert empty.status_code == 422
    unknown = exam.client.post("/analytics/signals/sg-" + "0" * 24 + "/actions", params={"sitting": exam.code},
                               headers=exam.day.admin, json={"action": "referred", "note": "调取录像"})
    assert unknown.status_code == 404 and unknown.json()["error"] == "signal_not_found"
    assert db.scalars(select(SignalAction)).all() == []
    done = exam.client.post(url, params={"sitting": exam.code}, headers=exam.day.admin,
                            json={"action": "referred", "note": "座位相邻，调取录像"})
    assert done.status_code == 201, done.text
    assert [a["action"] for a in done.json()["actions"]] == ["referred"]
    db.expire_all()
    (row,) = db.scalars(select(SignalAction)).all()
    assert (row.signal_id, row.action, row.note) == (pair["id"], "referred", "座位相邻，调取录像")
    entry = json.loads(db.get(AuditEntry, row.log_index).entry)  # type: ignore[union-attr]
    assert entry["action"] == "signal.referred" and entry["subject"] == {"type": "signal", "id": pair["id"]}
    assert "座位相邻" not in json.dumps(entry, ensure_ascii=False)  # the note's digest only
    assert len(db.scalars(select(AuditEntry.idx)).all()) == size_before + 1
    db.commit()
    # the same id after recomputation, now with its action
    again = exam.client.get(f"/analytics/signals/{pair['id']}", params={"sitting": exam.code},
                            headers=exam.day.admin).json()
    assert again["id"] == pair["id"] and again["actions"][0]["note"] == "座位相邻，调取录像"
    # auditors read, do not act; inspectors act; proctors neither
    auditor, inspector = actors.user_with(Role.AUDITOR), actors.user_with(Role.INSPECTOR)
    assert _signals(exam, auditor, kind="similarity")[0]["id"] == pair["id"]
    assert exam.client.post(url, params={"sitting": exam.code}, headers=auditor,
                            json={"action": "dismissed", "note": "n"}).status_code == 403
    assert exam.client.post(url, params={"sitting": exam.code}, headers=inspector,
                            json={"action": "reviewed", "note": "已看录像"}).status_code == 201
    assert exam.client.get("/analytics/signals", params={"sitting": exam.code},
                           headers=exam.proctor("01")).status_code == 403


def test_attempts_do_not_leak_between_sittings(sitting: tuple[Exam, list[Question]]) -> None:
    exam, _ = sitting
    db = exam.day.db_session
    ids = {a.id for a in db.scalars(select(Attempt))}
    regs = {r.admission_number for r in db.scalars(select(Registration))}
    assert len(ids) == CANDIDATES and set(exam.admissions) <= regs
    missing = exam.client.get("/analytics/signals", params={"sitting": "NO-SUCH"}, headers=exam.day.admin)
    assert missing.status_code == 404
