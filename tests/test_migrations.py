from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from examsvc import migrate
from examsvc.models import Base


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_migrations_downgrade_to_nothing_and_upgrade_back(engine: Engine) -> None:
    assert migrate.is_up_to_date(engine)
    migrate.downgrade(engine, "base")
    assert _tables(engine) == set()
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert _tables(engine) == set(Base.metadata.tables)
    assert migrate.current_revision(engine) == migrate.head_revision(engine)


def test_models_match_the_migrations(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        drift = compare_metadata(context, Base.metadata)
    assert drift == []
