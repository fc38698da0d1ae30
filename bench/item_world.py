"""A question pool and its collected attempts inserted in bulk, for the item analysis's benchmark
(bench/analytics.py) and its browser test on realistic numbers (tests/web/staff/test_item_analysis_figures.py).

The parent rows (site, rooms, a sitting, a paper) come from a real exam morning (tests.web.morning); the
registrations and attempts are cloned in bulk, pointing at one paper of a cloned paper set under a cloned
rule that names the pool's bank version (draft: nothing here publishes it). Which question each candidate
held, what they chose and what they were awarded is the caller's simulation (``Simulated``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from examsvc.analytics.models import AttemptItems
from examsvc.attempts.models import Attempt
from examsvc.banks.models import Bank, BankVersion, Question
from examsvc.blueprints.models import BlueprintVersion
from examsvc.bootstrap import transaction
from examsvc.candidates.id_number import check_character
from examsvc.candidates.models import Candidate, Registration
from examsvc.config import Settings
from examsvc.db import utcnow
from examsvc.papers.models import Paper, PaperSet
from examsvc.sittings.models import Sitting
from tests.web.morning import SITTING, exam_morning

OPTIONS = "ABCD"  # every choice question of the pool has four


@dataclass(frozen=True)
class Simulated:
    """A pool and the attempts on it. ``types``/``answers``: per pool question (the bank's type and key,
    e.g. "T", "B", "AC"); ``question``: [attempts, length] pool indexes in paper order; ``chosen``: bank-label
    masks; ``awarded``: tenths of a point (every question is worth 1 point)."""

    types: list[str]
    answers: list[str]
    question: npt.NDArray[np.int64]
    chosen: npt.NDArray[np.uint8]
    awarded: npt.NDArray[np.uint16]

    @property
    def attempts(self) -> int:
        return int(self.question.shape[0])

    @property
    def length(self) -> int:
        return int(self.question.shape[1])


def question_key(index: int) -> str:
    return f"P-{index:05d}"


def _id_number(n: int) -> str:
    born = date(1970, 1, 1) + timedelta(days=n // 900)
    first17 = f"110105{born:%Y%m%d}{n % 900 + 100:03d}"
    return first17 + check_character(first17)


def _clone(row: object, **changes: object) -> dict[str, object]:
    table = row.__table__  # type: ignore[attr-defined]
    values = {c.key: getattr(row, c.key) for c in table.columns if c.key != "id"}
    return values | changes


def seed_pool(engine: Engine, settings: Settings, data: Simulated, *, bank_code: str = "BENCH-POOL",
              version_label: str = "bench") -> int:
    """The pool's bank version id, after inserting everything the analysis reads."""
    exam_morning(engine, settings, 2)
    attempts, length, pool = data.attempts, data.length, len(data.types)
    with transaction(engine) as db:
        sitting = db.scalars(select(Sitting).where(Sitting.code == SITTING)).one()
        paper = db.scalars(select(Paper)).first()
        assert paper is not None and sitting.blueprint_version_id is not None
        paper_set = db.get(PaperSet, paper.paper_set_id)
        rule = db.get(BlueprintVersion, sitting.blueprint_version_id)
        assert paper_set is not None and rule is not None
        template = db.get(BankVersion, rule.national_bank_version_id)
        assert template is not None
        bank = Bank(code=bank_code)
        db.add(bank)
        db.flush()
        version_id = db.execute(insert(BankVersion).returning(BankVersion.id), [_clone(
            template, bank_id=bank.id, version_label=version_label, status="draft", question_count=pool,
            content_digest=hashlib.sha256(b"bench pool").hexdigest(), published_at=None, published_by=None)]
        ).scalar_one()
        db.execute(insert(Question), [{
            "bank_version_id": version_id, "key": question_key(q), "revision": 1, "type": data.types[q],
            "stem": f"题干{q}", "options": [] if data.types[q] == "true_false" else [[c, f"选项{c}"] for c in OPTIONS],
            "answer": data.answers[q], "explanation": "", "knowledge_point": "1.1",
            "level": "掌握", "difficulty": 2, "legal_basis": None,
            "content_digest": hashlib.sha256(b"%d" % q).hexdigest()}
            for q in range(pool)])
        question_ids = np.asarray(db.scalars(select(Question.id).where(Question.bank_version_id == version_id)
                                             .order_by(Question.key)).all(), dtype=np.int32)
        rule_id = db.execute(insert(BlueprintVersion).returning(BlueprintVersion.id), [_clone(
            rule, version=version_label, national_bank_version_id=version_id, provincial_bank_version_id=None)]
        ).scalar_one()
        set_id = db.execute(insert(PaperSet).returning(PaperSet.id), [_clone(
            paper_set, blueprint_version_id=rule_id, sitting_code="BENCH")]).scalar_one()
        paper_id = db.execute(insert(Paper).returning(Paper.id), [_clone(paper, paper_set_id=set_id)]).scalar_one()
        registration = db.scalars(select(Registration).where(Registration.sitting_id == sitting.id)).first()
        assert registration is not None
        room_id = sitting.rooms[0].room_id
        workstation_id = db.scalars(select(Attempt.workstation_id)).first() or 1
        candidate_ids = db.execute(insert(Candidate).returning(Candidate.id), [
            {"id_number": _id_number(n), "name": f"考生{n:05d}", "created_at": utcnow()}
            for n in range(attempts)]).scalars().all()
        registration_ids = db.execute(insert(Registration).returning(Registration.id), [
            {"sitting_id": sitting.id, "candidate_id": c, "admission_number": f"B{n:09d}",
             "personnel_category": registration.personnel_category, "subject": registration.subject,
             "registered_at": utcnow()} for n, c in enumerate(candidate_ids)]).scalars().all()
        attempt_ids = db.execute(insert(Attempt).returning(Attempt.id), [
            {"sitting_id": sitting.id, "registration_id": r, "paper_id": paper_id, "room_id": room_id,
             "workstation_id": workstation_id, "item_count": length, "shape": "", "started_at": utcnow(),
             "duration_seconds": 7200, "pause_credit_ms": 0, "extra_seconds": 0, "status": "submitted"}
            for r in registration_ids]).scalars().all()
        possible = np.full(length, 10, dtype="<u2").tobytes()
        db.execute(insert(AttemptItems), [{
            "attempt_id": a, "sitting_id": sitting.id, "registration_id": r,
            "question_ids": question_ids[data.question[n]].astype("<i4").tobytes(),
            "chosen": data.chosen[n].tobytes(), "awarded": data.awarded[n].astype("<u2").tobytes(),
            "possible": possible, "score": int(data.awarded[n].sum()), "total_points": 10 * length,
            "result_digest": "0" * 64, "paper_digest": "0" * 64, "sheet_digest": "0" * 64, "collected_at": utcnow()}
            for n, (a, r) in enumerate(zip(attempt_ids, registration_ids, strict=True))])
    return int(version_id)
