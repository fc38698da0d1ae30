"""Fresh benchmark databases: a SQLite file, and a new PostgreSQL database on the local server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from examsvc import migrate
from examsvc.db import make_engine
from examsvc.scratch_db import scratch_postgres

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
