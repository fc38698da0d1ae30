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
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations_online()
