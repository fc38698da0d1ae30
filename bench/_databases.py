"""Fresh benchmark databases: a SQLite file, and a new PostgreSQL database on the local server."""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import make_url
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from examsvc import migrate
from examsvc.db import make_engine
from examsvc.scratch_db import scratch_postgres

T = TypeVar("T")
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def sqlite_engine(folder: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:6]}.sqlite3'}")
    migrate.upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def postgres_engine() -> Iterator[Engine | None]:
    """A fresh migrated database on EXAMSVC_BENCH_DATABASE_URL's server (default: 127.0.0.1:5432)."""
    url = make_url(os.environ.get("EXAMSVC_BENCH_DATABASE_URL", DEFAULT_POSTGRES))
    if url.host not in (None, "127.0.0.1", "localhost"):
        raise SystemExit("benchmarks only target 127.0.0.1")
    with ExitStack() as stack:
        try:
            engine = stack.enter_context(scratch_postgres(url.render_as_string(hide_password=False), "examsvc_bench"))
        except OperationalError:
            print("PostgreSQL is not reachable: skipped")
            yield None
            return
        yield engine


def on_each_database(measure: Callable[[Engine], T]) -> list[T]:
    """``measure`` on a fresh SQLite file, then on a fresh PostgreSQL database if the server is reachable."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    results = []
    with tempfile.TemporaryDirectory() as folder, sqlite_engine(Path(folder)) as engine:
        results.append(measure(engine))
    with postgres_engine() as engine:
        if engine is not None:
            results.append(measure(engine))
    return results


def on_sqlite_sizes(sizes: Sequence[int], measure: Callable[[Engine, int], T]) -> dict[int, T]:
    """``measure(engine, size)`` on a fresh SQLite file per size (the log grown to that size by ``measure``)."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            with sqlite_engine(Path(folder)) as engine:
                results[size] = measure(engine, size)
    return results
