"""Item analysis (issue 21 §2) end to end on PostgreSQL, against a numpy-only computation on the same arrays.

10,000 collected attempts × 100 questions drawn from a 5,000-question pool (one question of each section
of 50, as a composition rule draws them, so each question is seen by about 200 candidates) are inserted
into ``attempt_items`` on a fresh PostgreSQL database. Timed end to end: a new session reads the rows
(``responses.load`` by bank version, as the API does), the questions' keys, and runs ``items.analyse``.
Baseline: ``items.analyse`` alone on the arrays already in memory. Goal: end to end <= 5 s. The last line
is the ratio (end to end / numpy only).

The rows are inserted by bench/item_world.py (shared with the page's browser test on realistic numbers):
the parent rows come from a real exam morning, the 10,000 registrations and attempts are cloned in bulk.

    .venv/bin/python -m bench.analytics [--attempts 10000] [--questions 100] [--pool 5000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy.engine import Engine

from bench._databases import postgres_engine
from bench.item_world import Simulated, seed_pool
from bench.similarity import section as similarity_section
from examsvc.analytics import item_service, items, responses
from examsvc.banks.models import BankVersion
from examsvc.bootstrap import transaction
from examsvc.config import Settings

SECTION = 50  # questions per section of the pool: a paper takes one of each
ROUNDS = 5
KIND_TYPES = ("true_false", "single_choice", "multiple_choice")


def simulate(attempts: int, length: int, pool: int, seed: int = 21) -> Simulated:
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
    kinds = [int(kind[q // per]) for q in range(pool)]
    return Simulated(types=[KIND_TYPES[k] for k in kinds], answers=[("T", "B", "AC")[k] for k in kinds],
                     question=drawn, chosen=chosen, awarded=awarded)


def seed_database(engine: Engine, settings: Settings, attempts: int, length: int, pool: int) -> int:
    """The pool's bank version id, after inserting everything the analysis reads."""
    return seed_pool(engine, settings, simulate(attempts, length, pool))


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
