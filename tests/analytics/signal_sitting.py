"""A closed theory sitting of ten candidates whose collected items (attempt_items) say what the signals tests
need: candidates 0 and 1 gave the same answers, right and wrong (a similarity lead); 2 answered everything
right within seconds of starting (a fast high score); 0 started half an hour before saving twenty answers in
a burst (idle then burst, from the save journal); the others answered on their own."""

from __future__ import annotations

import numpy as np
from sqlalchemy import delete, select

from examsvc.analytics.models import AttemptItems
from examsvc.banks.models import Question
from examsvc.results.models import Result
from tests.attempts.exam import PASSPHRASE, Exam
from tests.sittings.conftest import Day

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


def closed_sitting(day: Day, code: str = "S-1") -> tuple[Exam, list[Question]]:
    exam = Exam(day, candidates=CANDIDATES, code=code)
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
