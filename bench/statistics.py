"""Statistics (统计, docs/analytics.md (statistics)): how long ``analytics.statistics.compute`` takes on a province's
two years of results, per grouping, against the floor of reading the same result rows without grouping.

The data: one real published theory sitting (tests.web.morning) whose paper, room and workstation every cloned
attempt borrows; 11 sites in the 11 cities of Shanxi, one theory sitting per site and month for 24 months
(264 sittings), ``--results`` results of ``--candidates`` people (so many sit twice: retakes and later
cycles), 1 % void, 60 training institutions, 400 employers. Inserted in bulk: building real attempts would
take hours and the statistics read only these rows.

The tables are ANALYZEd after the bulk insert (as autovacuum would soon do: without statistics PostgreSQL
planned a semi-join of the retake query as nested loops, 10x slower). Each figure is the median of 3 runs.
The floor: ``SELECT`` of the registration id, passed and void of every current result version of published
sittings, fetched to Python (what a row-loading report would read before it counts anything).

    .venv/bin/python -m bench.statistics [--results 100000] [--candidates 70000]
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics as stats
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import exists, func, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased

from bench._databases import DEFAULT_POSTGRES
from examsvc.analytics import statistics
from examsvc.analytics.statistics_filter import StatisticsQuery, parse
from examsvc.attempts.models import Attempt
from examsvc.bootstrap import transaction
from examsvc.candidates.models import Candidate, Registration
from examsvc.config import Settings
from examsvc.identity.models import UserAccount
from examsvc.papers.models import Paper
from examsvc.results.models import Result, ResultsManifest
from examsvc.scratch_db import scratch_postgres
from examsvc.sites.models import Site, Workstation
from examsvc.sittings.models import Sitting
from tests.web.morning import SITTING, exam_morning

CITIES = ("太原市", "大同市", "阳泉市", "长治市", "晋城市", "朔州市", "晋中市", "运城市", "忻州市", "临汾市", "吕梁市")
MONTHS = 24
QUERIES = (("site", {}), ("city,month", {}), ("institution", {}), ("attempt", {}), ("kind,attempt,city", {}),
           ("employer", {"date_from": "2025-01-01", "date_to": "2025-06-30"}), ("", {"attempt": "retake"}))


def seed(engine: Engine, settings: Settings, results: int, candidates: int) -> None:
    exam_morning(engine, settings, 2)
    rng = random.Random(21)
    with transaction(engine) as db:
        template = db.scalars(select(Sitting).where(Sitting.code == SITTING)).one()
        paper = db.scalars(select(Paper)).first()
        workstation = db.scalars(select(Workstation)).first()
        chief = db.scalars(select(UserAccount).where(UserAccount.username == "web-chief")).one()
        assert paper is not None and workstation is not None
        room_id = template.rooms[0].room_id
        site_ids = []
        for n, city in enumerate(CITIES):
            site = Site(code=f"SX-{n:02d}", name=f"{city}考点", city=city, enrolment_code_digest="0" * 64)
            db.add(site)
            db.flush()
            site_ids.append(site.id)
        sittings = []
        for month in range(MONTHS):
            for n, site_id in enumerate(site_ids):
                start = datetime(2024 + month // 12, month % 12 + 1, 10 + n, 1, 0, tzinfo=UTC)
                sittings.append(Sitting(code=f"SX-{month:02d}-{n:02d}", title=template.title,
                                        blueprint_version_id=template.blueprint_version_id, site_id=site_id,
                                        scheduled_start=start, duration_minutes=120, late_entry_minutes=15,
                                        proctors_per_room=2, status="closed"))
        db.add_all(sittings)
        db.flush()
        db.add_all(ResultsManifest(sitting_id=s.id, version=1, result_count=0, merkle_root="0" * 64, note="bench",
                                   signed_by=chief.id) for s in sittings)
        first = db.scalar(select(func.coalesce(func.max(Candidate.id), 0))) + 1
        db.execute(insert(Candidate), [
            {"id": first + n, "id_number": f"B{n:017d}", "name": f"考生{n}",
             "training_institution": f"第{n % 60}培训学校", "employer": f"第{n % 400}有限公司"}
            for n in range(candidates)])
        # Each result: a person and a sitting; a person's sittings are in date order (people sit again later).
        pairs: set[tuple[int, int]] = set()
        while len(pairs) < results:  # a person registers once per sitting
            pairs.add((rng.randrange(candidates), rng.randrange(len(sittings))))
        people = sorted(pairs)
        registration_id = db.scalar(select(func.coalesce(func.max(Registration.id), 0))) + 1
        attempt_id = db.scalar(select(func.coalesce(func.max(Attempt.id), 0))) + 1
        rows_r, rows_a, rows_res = [], [], []
        for n, (person, s) in enumerate(people):
            sitting = sittings[s]
            rid, aid = registration_id + n, attempt_id + n
            rows_r.append({"id": rid, "sitting_id": sitting.id, "candidate_id": first + person,
                           "admission_number": f"X{n:012d}", "personnel_category": "special_operations",
                           "subject": "1.2", "training_institution": None})
            rows_a.append({"id": aid, "sitting_id": sitting.id, "registration_id": rid, "paper_id": paper.id,
                           "room_id": room_id, "workstation_id": workstation.id, "item_count": 100, "shape": "",
                           "started_at": sitting.scheduled_start, "duration_seconds": 7200, "status": "submitted"})
            void = rng.random() < 0.01
            score = 0 if void else rng.randint(500, 1000)
            rows_res.append({"sitting_id": sitting.id, "registration_id": rid, "attempt_id": aid, "version": 1,
                             "score": score, "passed": score >= 800 and not void, "void": void, "document": "{}",
                             "digest": f"{n:064d}"})
        for table, rows in ((Registration, rows_r), (Attempt, rows_a), (Result, rows_res)):
            for chunk in range(0, len(rows), 5000):
                db.execute(insert(table), rows[chunk:chunk + 5000])


def _median(run: Callable[[], None], times: int = 3) -> float:
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        spent.append(time.perf_counter() - started)
    return stats.median(spent)


def measure(engine: Engine, label: str) -> tuple[float, float]:
    """(the slowest grouping's seconds, the floor's)"""
    newer = aliased(Result)

    def floor() -> None:
        with transaction(engine) as db:
            db.execute(select(Result.registration_id, Result.passed, Result.void).where(
                ~exists().where(newer.registration_id == Result.registration_id, newer.version > Result.version),
                Result.sitting_id.in_(select(ResultsManifest.sitting_id)))).all()

    base = _median(floor)
    print(f"{label}: floor (fetch every current result row, no grouping) {base:.3f} s")
    worst = 0.0
    for groups, filters in QUERIES:
        query = parse([groups], filters)

        def run(query: StatisticsQuery = query) -> None:
            with transaction(engine) as db:
                statistics.compute(db, query)

        spent = _median(run)
        with transaction(engine) as db:
            found = statistics.compute(db, query)
        worst = max(worst, spent)
        print(f"{label}: group_by={groups or '-'} {filters or ''} → {len(found.rows)} rows, "
              f"{found.total.sat} results: {spent:.3f} s ({spent / base:.1f}× floor)")
    return worst, base


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", type=int, default=100_000)
    parser.add_argument("--candidates", type=int, default=70_000)
    args = parser.parse_args()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    url = os.environ.get("EXAMSVC_BENCH_DATABASE_URL", DEFAULT_POSTGRES)
    with tempfile.TemporaryDirectory() as folder, scratch_postgres(url, "bench_statistics") as engine:
        settings = Settings(_env_file=None, data_dir=Path(folder) / "data",  # type: ignore[call-arg]
                            database_url=engine.url.render_as_string(hide_password=False), password_cost_log2=10)
        settings.ensure_data_dir()
        started = time.perf_counter()
        seed(engine, settings, args.results, args.candidates)
        with engine.connect() as connection:  # what autovacuum would have done after a day of new rows
            connection.execute(text("ANALYZE"))
            connection.commit()
        print(f"seeded {args.results:,} results of {args.candidates:,} people in {time.perf_counter() - started:.0f} s")
        worst, base = measure(engine, "postgresql")
    print(f"statistics, slowest grouping on {args.results:,} results (PostgreSQL): {worst:.2f} s; "
          f"ratio to fetching every current result row {worst / base:.1f}")


if __name__ == "__main__":
    main()
