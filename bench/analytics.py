"""Item analysis (issue 21 §2) end to end on PostgreSQL, against a numpy-only computation on the same arrays.

10,000 collected attempts × 100 questions drawn from a 5,000-question pool (one question of each section
of 50, as a composition rule draws them, so each question is seen by about 200 candidates) are inserted
into ``attempt_items`` on a fresh PostgreSQL database. Timed end to end: a new session reads the rows
(``responses.load`` by bank version, as the API does), the questions' keys, and runs ``items.analyse``.
Baseline: ``items.analyse`` alone on the arrays already in memory. Goal: end to end <= 5 s. The last line
is the ratio (end to end / numpy only).

The parent rows (site, rooms, a sitting, a paper) come from a real exam morning (tests.web.morning); the
10,000 registrations and attempts are cloned in bulk, pointing at one paper of a cloned paper set under
a cloned rule that names the 5,000-question bank version (draft: nothing here publishes it).

    .venv/bin/python -m bench.analytics [--attempts 10000] [--questions 100] [--pool 5000]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from bench._databases import postgres_engine
from bench.similarity import section as similarity_section
from examsvc.analytics import item_service, items, responses
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

SECTION = 50  # questions per section of the pool: a paper takes one of each
ROUNDS = 5


def _id_number(n: int) -> str:
    born = date(1970, 1, 1) + timedelta(days=n // 900)
    first17 = f"110105{born:%Y%m%d}{n % 900 + 100:03d}"
    return first17 + check_character(first17)


def _clone(row: object, **changes: object) -> dict[str, object]:
    table = row.__table__  # type: ignore[attr-defined]
    values = {c.key: getattr(row, c.key) for c in table.columns if c.key != "id"}
    return values | changes


def simulate(attempts: int, length: int, pool: int, seed: int = 21) -> dict[str, np.ndarray]:
    """Per attempt: question indexes (one per section), chosen masks, awarded and possible tenths.
    Sections 0–59 % true/false, then single choice, then multiple choice (4 options, key A+C)."""
    rng = np.random.default_rng(seed)
    per = pool // length
    drawn = np.arange(length) * per + rng.integers(0, per, size=(attempts, length))
    difficulty = rng.normal(0, 1, size=pool)
    ability = rng.normal(0.8, 1, size=(attempts, 1))
    right = rng.random((attempts, length)) < 1 / (1 + np.exp(difficulty[drawn] - ability))
    kind = np.where(np.arange(length) < 0.6 * length, 0, np.where(np.arange(length) < 0.9 * length, 1, 2))
    answer = np.where(kind == 0, 1, np.where(kind == 1, 2, 5))[None, :].repeat(attempts, 0)  # T / B / A+C
    wrong_single = np.left_shift(1, rng.choice([0, 2, 3], size=(attempts, length)))
    wrong = np.where(kind == 0, 2, np.where(kind == 1, wrong_single, 1))  # F / A, C or D / only A
    chosen = np.where(right, answer, wrong).astype(np.uint8)
    chosen[rng.random((attempts, length)) < 0.02] = 0  # a few left blank
    awarded = np.where(chosen == answer, 10, 0).astype(np.uint16)
    return {"question": drawn, "chosen": chosen, "awarded": awarded, "kind": kind}


def seed_database(engine: Engine, settings: Settings, attempts: int, length: int, pool: int) -> int:
    """The pool's bank version id, after inserting everything the analysis reads."""
    exam_morning(engine, settings, 2)
    data = simulate(attempts, length, pool)
    with transaction(engine) as db:
        sitting = db.scalars(select(Sitting).where(Sitting.code == SITTING)).one()
        paper = db.scalars(select(Paper)).first()
        assert paper is not None and sitting.blueprint_version_id is not None
        paper_set = db.get(PaperSet, paper.paper_set_id)
        rule = db.get(BlueprintVersion, sitting.blueprint_version_id)
        assert paper_set is not None and rule is not None
        template = db.get(BankVersion, rule.national_bank_version_id)
        assert template is not None
        bank = Bank(code="BENCH-POOL")
        db.add(bank)
        db.flush()
        version_id = db.execute(insert(BankVersion).returning(BankVersion.id), [_clone(
            template, bank_id=bank.id, version_label="bench", status="draft", question_count=pool,
            content_digest=hashlib.sha256(b"bench pool").hexdigest(), published_at=None, published_by=None)]
        ).scalar_one()
        per = pool // length
        kinds = data["kind"]
        db.execute(insert(Question), [{
            "bank_version_id": version_id, "key": f"P-{q:05d}", "revision": 1,
            "type": ("true_false", "single_choice", "multiple_choice")[kinds[q // per]],
            "stem": f"题干{q}", "options": [] if kinds[q // per] == 0 else [[c, f"选项{c}"] for c in "ABCD"],
            "answer": ("T", "B", "AC")[kinds[q // per]], "explanation": "", "knowledge_point": "1.1",
            "level": "掌握", "difficulty": 2, "legal_basis": None,
            "content_digest": hashlib.sha256(b"%d" % q).hexdigest()}
            for q in range(pool)])
        question_ids = np.asarray(db.scalars(select(Question.id).where(Question.bank_version_id == version_id)
                                             .order_by(Question.key)).all(), dtype=np.int32)
        rule_id = db.execute(insert(BlueprintVersion).returning(BlueprintVersion.id), [_clone(
            rule, version="bench", national_bank_version_id=version_id, provincial_bank_version_id=None)]
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
            "question_ids": question_ids[data["question"][n]].astype("<i4").tobytes(),
            "chosen": data["chosen"][n].tobytes(), "awarded": data["awarded"][n].astype("<u2").tobytes(),
            "possible": possible, "score": int(data["awarded"][n].sum()), "total_points": 10 * length,
            "result_digest": "0" * 64, "paper_digest": "0" * 64, "sheet_digest": "0" * 64, "collected_at": utcnow()}
            for n, (a, r) in enumerate(zip(attempt_ids, registration_ids, strict=True))])
    return int(version_id)


def end_to_end(engine: Engine, version_id: int) -> tuple[float, item_service.Analysis]:
    started = time.perf_counter()
    with transaction(engine) as db:
        version = db.get(BankVersion, version_id)
        assert version is not None
        analysis = item_service.analyse_versions(db, [version])
    return time.perf_counter() - started, analysis


def numpy_only(engine: Engine, version_id: int) -> Callable[[], float]:
    """The baseline: ``items.analyse`` on arrays already in memory (loaded once, outside the timing)."""
    with transaction(engine) as db:
        loaded = responses.load(db, bank_version_ids=[version_id])
        keys = item_service.keys_of(item_service.questions_of(db, [version_id]))

    def run() -> float:
        started = time.perf_counter()
        items.analyse(loaded, keys)
        return time.perf_counter() - started

    return run


def item_analysis(engine: Engine, version_id: int, attempts: int) -> tuple[float, float]:
    """(median end-to-end seconds, ratio to numpy only), rounds alternating."""
    baseline = numpy_only(engine, version_id)
    full, floor = [], []
    analysis = None
    for _ in range(ROUNDS):
        seconds, analysis = end_to_end(engine, version_id)
        full.append(seconds)
        floor.append(baseline())
    assert analysis is not None and analysis.attempts == attempts, analysis
    flagged = sum(1 for row in analysis.rows() if row["flags"])
    e2e, base = statistics.median(full), statistics.median(floor)
    print(f"item analysis on PostgreSQL: {attempts} attempts, {len(analysis.questions)} questions "
          f"({flagged} flagged): end to end {e2e:.2f} s (median of {ROUNDS}); numpy only {base:.3f} s")
    return e2e, e2e / base


# Further sections (the integrity signals' similarity, i21signals) add themselves here: each gets the
# PostgreSQL engine and the pool's bank version id after the item analysis, prints its own lines, and
# must not print after the item-analysis figure below (the last line is the figure).
SECTIONS: list[Callable[[Engine, int], None]] = [similarity_section]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--pool", type=int, default=5_000)
    args = parser.parse_args()
    os.environ.setdefault("EXAMSVC_LOG_LEVEL", "WARNING")
    with tempfile.TemporaryDirectory() as folder_name, postgres_engine() as engine:
        if engine is None:
            return
        settings = Settings(_env_file=None, data_dir=Path(folder_name),  # type: ignore[call-arg]
                            database_url=engine.url.render_as_string(hide_password=False), password_cost_log2=10)
        settings.ensure_data_dir()
        started = time.perf_counter()
        version_id = seed_database(engine, settings, args.attempts, args.questions, args.pool)
        print(f"seeded {args.attempts} attempts × {args.questions} of {args.pool} questions in "
              f"{time.perf_counter() - started:.1f} s")
        seconds, ratio = item_analysis(engine, version_id, args.attempts)
        for section in SECTIONS:
            section(engine, version_id)
    print(f"item analysis {args.attempts} × {args.questions} end to end {seconds:.2f} s (goal <= 5 s); "
          f"ratio to numpy only {ratio:.1f}")


if __name__ == "__main__":
    main()
