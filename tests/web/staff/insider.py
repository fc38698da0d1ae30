"""For the auditor's and the chief examiner's browser tests: a staff account made through the identity service,
and an insider's rewrite of the log's tables (guard triggers dropped, as a database owner can)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from examsvc.bootstrap import transaction
from examsvc.identity import service as identity
from examsvc.identity.models import UserAccount
from examsvc.identity.roles import Role
from tests.web.conftest import Site
from tests.web.morning import PASSWORD, SETUP


def staff_user(site: Site, name: str, *roles: Role) -> int:
    """The account ``name`` with ``roles`` (made once per server; password PASSWORD)."""
    with transaction(site.engine) as db:
        found = db.scalars(select(UserAccount).where(UserAccount.username == name)).first()
        if found is not None:
            return found.id
        return identity.create_user(db_session=db, username=name, display_name="测试人员", password=PASSWORD,
                                    roles=list(roles), actor=SETUP, password_cost_log2=10).id


def _without_triggers(connection: Connection, table: str) -> list[str]:
    """Drops the append-only triggers of ``table`` (as an owner can) and returns how to put them back."""
    if connection.dialect.name == "sqlite":
        rows = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
                                  {"t": table}).all()
        for name, _ in rows:
            connection.execute(text(f'DROP TRIGGER "{name}"'))
        return [sql for _, sql in rows]
    rows = connection.execute(text(
        "SELECT tgname, pg_get_triggerdef(oid), tgenabled FROM pg_trigger "
        "WHERE tgrelid = CAST(:t AS regclass) AND NOT tgisinternal"), {"t": table}).all()
    restore = []
    for name, definition, enabled in rows:
        connection.execute(text(f'DROP TRIGGER "{name}" ON {table}'))
        restore.append(definition)
        if enabled == "A":
            restore.append(f'ALTER TABLE {table} ENABLE ALWAYS TRIGGER "{name}"')
    return restore


@contextmanager
def rewritten_entry(site: Site, index: int, new_bytes: bytes) -> Iterator[bytes]:
    """An insider's edit: the guard triggers dropped, one log entry's bytes rewritten in place; on leaving,
    the original bytes and the triggers are put back (the server goes on serving the other tests)."""
    with site.engine.begin() as connection:
        original = connection.execute(text("SELECT entry FROM audit_entry WHERE idx = :i"), {"i": index}).scalar_one()
        restore = _without_triggers(connection, "audit_entry")
        connection.execute(text("UPDATE audit_entry SET entry = :e WHERE idx = :i"), {"e": new_bytes, "i": index})
    try:
        yield bytes(original)
    finally:
        with site.engine.begin() as connection:
            connection.execute(text("UPDATE audit_entry SET entry = :e WHERE idx = :i"), {"e": original, "i": index})
            for statement in restore:
                connection.execute(text(statement))


