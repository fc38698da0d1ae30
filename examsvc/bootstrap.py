"""What ``examsvc serve`` does before it listens: data folder, schema, first administrator.

Every CLI command opens its transaction here, so this module imports only SQLAlchemy's ORM at the top:
Alembic, the identity and bank services are imported by the functions that use them (startup time of
the ``examsvc`` command, issue 16 item 21).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from examsvc.config import Settings
from examsvc.db import make_session_factory

FIRST_ADMIN_USERNAME = "admin"


class NotMigrated(RuntimeError):
    pass


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """The CLI's one transaction: committed if the block succeeds, rolled back otherwise."""
    db_session = make_session_factory(engine)()
    try:
        yield db_session
        db_session.commit()
    except BaseException:
        db_session.rollback()
        raise
    finally:
        db_session.close()


def prepare_schema(settings: Settings, engine: Engine, *, migrate_requested: bool) -> None:
    """Upgrades the embedded SQLite by itself; a shared database only when asked (``--migrate``)."""
    from examsvc import migrate

    if migrate.is_up_to_date(engine):
        return
    if settings.uses_embedded_database or migrate_requested:
        migrate.upgrade(engine)
        return
    raise NotMigrated(
        f"the database is at revision {migrate.current_revision(engine)!r}, this examsvc needs "
        f"{migrate.head_revision(engine)!r}: run `examsvc db upgrade` (after a backup) or `examsvc serve --migrate`"
    )


@dataclass(frozen=True)
class FirstAdmin:
    username: str
    password: str


def ensure_first_admin(settings: Settings, engine: Engine) -> FirstAdmin | None:
    """On the embedded default only: create the first system admin with a generated password."""
    from examsvc.audit.actors import Actor
    from examsvc.identity import service as identity_service
    from examsvc.identity.roles import Role

    if not settings.uses_embedded_database:
        return None
    with transaction(engine) as db_session:
        if identity_service.has_system_admin(db_session=db_session):
            return None
        password = identity_service.generate_password()
        identity_service.create_user(
            db_session=db_session, username=FIRST_ADMIN_USERNAME, display_name="考试系统管理员",
            password=password, roles=[Role.SYSTEM_ADMIN], actor=Actor.system("first start"),
            password_cost_log2=settings.password_cost_log2,
        )
    return FirstAdmin(username=FIRST_ADMIN_USERNAME, password=password)


def load_sample_banks(settings: Settings, engine: Engine) -> int:
    """On the embedded default's first start, import and publish the sample banks in question_banks/
    (question banks, then the practical banks in question_banks/practical/)."""
    from examsvc.banks import files as bank_files
    from examsvc.practical import service as practical

    if not settings.uses_embedded_database:
        return 0
    with transaction(engine) as db_session:
        loaded = len(bank_files.load_samples_if_empty(db_session=db_session))
        folder = bank_files.sample_banks_dir() / bank_files.PRACTICAL_FOLDER
        return loaded + len(practical.load_samples_if_empty(db_session=db_session, folder=folder))


def announce_first_admin(admin: FirstAdmin) -> None:
    # Printed to the terminal once, never logged: it is the only copy of the password. On stdout, so
    # that stderr stays pure JSON lines (the log, examsvc.requestlog) for whatever collects it.
    print(
        "\n"
        "================ examsvc: first start ================\n"
        f"  system admin created: username {admin.username!r}\n"
        f"  password (shown once, change it): {admin.password}\n"
        "======================================================\n",
        file=sys.stdout,
        flush=True,
    )
