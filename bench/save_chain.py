"""The cost of the save chain and journal (issue 15) on one answer save: the save's statement before
(the plain upsert) and after (the upsert that also advances the question's chain and journals the
save: one statement on PostgreSQL, the same as the event-loop path sends; two in-process on SQLite).

Each save is its own committed transaction, as a real save is. Runs alternate (A B A B …) on two
attempts so machine noise falls on both. Foreign keys are not checked on the benchmark connection
(the attempts have no sitting behind them); they cost both variants the same. Prints, per database,
median per-save times and their ratio; last, the larger ratio.

    .venv/bin/python -m bench.save_chain [--saves N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from bench._databases import on_each_database
from examsvc.attempts import autosave
from examsvc.attempts.models import Attempt

QUESTIONS = 100


def _before(dialect: str) -> Any:
    """The save's upsert as it was before the chain (examsvc/attempts/autosave.py at issue 14)."""
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    answer = autosave._answer
    statement = insert(answer).values(attempt_id=bindparam("attempt"), position=bindparam("position"),
                                      response=bindparam("response"), flagged=bindparam("flagged"),
                                      seq=bindparam("seq"), saved_at=bindparam("saved_at"))
    return statement.on_conflict_do_update(
        index_elements=[answer.c.attempt_id, answer.c.position],
        set_={"response": statement.excluded.response, "flagged": statement.excluded.flagged,
              "seq": statement.excluded.seq, "saved_at": statement.excluded.saved_at},
        where=answer.c.seq < statement.excluded.seq,
    ).returning(answer.c.response, answer.c.flagged, answer.c.seq)


def _save(connection: Connection, attempt: Attempt, n: int, chained: bool, before: Any) -> float:
    position, seq = n % QUESTIONS, n // QUESTIONS + 1
    started = time.perf_counter()
    with connection.begin():
        params = autosave._upsert_params(attempt, position, "AB"[n % 2], seq, False, datetime.now(UTC))
        if chained:
            stored = connection.execute(autosave._UPSERT[connection.dialect.name], params).first()
            if stored is not None and connection.dialect.name != "postgresql":
                connection.execute(autosave._JOURNAL, stored._asdict())
        else:
            connection.execute(before, params).first()
    return time.perf_counter() - started


def measure(engine: Engine, saves: int) -> float:
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET session_replication_role = replica")  # no FK checks, as SQLite below
            connection.commit()
        else:  # outside any transaction, where SQLite honours it (SQLAlchemy's BEGIN comes with a statement)
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        before = _before(connection.dialect.name)
        # Only what _upsert_params reads: the id and the shape (100 single-choice questions of 4).
        shape = ",".join(["s4"] * QUESTIONS)
        plain, chained = Attempt(id=1, shape=shape), Attempt(id=2, shape=shape)
        for n in range(2 * QUESTIONS):  # warm-up, and every question has a row: later saves update
            _save(connection, plain, n, False, before)
            _save(connection, chained, n, True, before)
        a, b = [], []
        for n in range(2 * QUESTIONS, 2 * QUESTIONS + saves):
            a.append(_save(connection, plain, n, False, before))
            b.append(_save(connection, chained, n, True, before))
    x, y = statistics.median(a), statistics.median(b)
    print(f"{engine.dialect.name}: save before {x * 1000:.3f} ms, with chain and journal {y * 1000:.3f} ms, "
          f"ratio {y / x:.2f}")
    return y / x


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=2000)
    args = parser.parse_args()
    ratios = on_each_database(lambda engine: measure(engine, args.saves))
    print(f"answer save with chain and journal / before (worst database): {max(ratios):.2f}")


if __name__ == "__main__":
    main()
