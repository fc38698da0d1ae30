"""A throw-away PostgreSQL database beside a given one, migrated, dropped afterwards.

For tests that must really commit and for benchmarks; never used by the service itself."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Engine

from examsvc import migrate
from examsvc.db import make_engine


@contextmanager
def scratch_postgres(url: str, prefix: str) -> Iterator[Engine]:
    """Creates ``<prefix>_<random>`` on ``url``'s server (raises if it is unreachable)."""
    server = make_url(url)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    # pre-ping: the fault tests restart the server in between, which ends the pooled connection
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(server.set(database=name).render_as_string(hide_password=False))
    try:
        migrate.upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
