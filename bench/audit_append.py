"""The cost of the audit log on a state-changing action: the same action with and without its entry.

The action is what creating an exam site does in the database (one row, one commit); "with entry"
also appends its log entry in the same transaction. Runs alternate (A B A B …) so that machine noise
falls on both. Prints, per database, median per-action times and their ratio; last, the larger ratio.
Goal: <= 1.3.

    .venv/bin/python -m bench.audit_append [--actions N]
"""

from __future__ import annotations

import argparse
import statistics
import time

from sqlalchemy.engine import Engine

from bench._databases import on_each_database
from examsvc.audit import log as audit_log
from examsvc.audit.actors import Actor
from examsvc.bootstrap import transaction
from examsvc.sites.models import Site

ACTOR = Actor.system("benchmark")


def _action(engine: Engine, n: int, with_entry: bool) -> float:
    started = time.perf_counter()
    with transaction(engine) as db_session:
        site = Site(code=f"B{n}", name="基准考点", address="", enrolment_code_digest="0" * 64)
        db_session.add(site)
        db_session.flush()
        if with_entry:
            audit_log.record(db_session=db_session, actor=ACTOR, action="site.created", subject_type="site",
                             subject_id=site.id, details={"code": site.code, "name": site.name})
    return time.perf_counter() - started


def measure(engine: Engine, actions: int) -> float:
    for n in range(50):  # warm-up: connections, caches, a non-empty tree
        _action(engine, -n - 1, with_entry=True)
    plain, logged = [], []
    for n in range(actions):
        plain.append(_action(engine, 2 * n, with_entry=False))
        logged.append(_action(engine, 2 * n + 1, with_entry=True))
    a, b = statistics.median(plain), statistics.median(logged)
    print(f"{engine.dialect.name}: without entry {a * 1000:.2f} ms, with entry {b * 1000:.2f} ms, "
          f"ratio {b / a:.2f}")
    return b / a


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--actions", type=int, default=400)
    args = parser.parse_args()
    ratios = on_each_database(lambda engine: measure(engine, args.actions))
    print(f"audit append ratio (worst database): {max(ratios):.2f}")


if __name__ == "__main__":
    main()
