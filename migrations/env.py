"""Alembic environment. The engine comes from examsvc (``examsvc db upgrade``, ``examsvc serve``,
the tests) through ``config.attributes["engine"]``; there is no alembic.ini with a URL to go stale."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Engine

from examsvc.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:
        raise RuntimeError("run migrations through `examsvc db upgrade`, which supplies the database")
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.dbapi_connection
        if sqlite:
            # SQLite changes a table by copying it (batch mode); with foreign keys enforced, dropping
            # the old copy of a table others reference would fail. SQLite's documented procedure:
            # enforcement off (outside any transaction), migrate, check every foreign key, back on.
            assert raw is not None
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
            if sqlite:
                assert raw is not None
                broken = raw.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: {broken[:5]}")
        finally:
            if sqlite and raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations_online()
