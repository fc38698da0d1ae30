"""awareness_banks: a bank version's purpose and the kinds of person it serves (examsvc-bank/2)

Revision ID: 20261207_awareness_banks
Revises: 20261206_signal_action
Create Date: 2026-12-07 00:00:00

Issue 22: 应知应会 (must-know) banks serve kinds of person (``person_kinds``) rather than one personnel
category, so ``personnel_category`` becomes nullable (NULL for an awareness bank). The two new columns
are content: the guards that keep a published version immutable (20261128_banks) are re-installed
with them in the list. On SQLite the table is rebuilt (batch mode), which drops its triggers, and the
question / knowledge_point guards name bank_version in their bodies, so all guards are dropped first
and installed again after.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261207_awareness_banks'
down_revision: str | None = '20261206_signal_action'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MESSAGE = "examsvc: a published bank version is immutable"
_BEFORE = ("bank_id", "part", "version_label", "title", "province", "personnel_category", "industry",
           "operation_item", "catalogue_version", "effective_date", "content_digest", "question_count",
           "source_name", "imported_at", "imported_by", "published_at", "published_by")
_AFTER = (*_BEFORE, "purpose", "person_kinds")
_SQLITE_TRIGGERS = ("bank_version_guard_update", "bank_version_guard_delete",
                    *(f"{table}_guard_{event}" for table in ("question", "knowledge_point")
                      for event in ("insert", "update", "delete")))


def _sqlite_guards(content: tuple[str, ...]) -> list[str]:
    # As 20261128_banks._sqlite_guards, with the content columns given.
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in content)
    status_ok = ("(NEW.status = OLD.status AND NEW.retired_at IS OLD.retired_at AND NEW.retired_by IS OLD.retired_by)"
                 " OR (OLD.status = 'published' AND NEW.status = 'retired')")
    raise_ = f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
    statements = [
        f"CREATE TRIGGER bank_version_guard_update BEFORE UPDATE ON bank_version "
        f"WHEN OLD.status <> 'draft' AND (({changed}) OR NOT ({status_ok})) {raise_}",
        f"CREATE TRIGGER bank_version_guard_delete BEFORE DELETE ON bank_version WHEN OLD.status <> 'draft' {raise_}",
    ]
    for table in ("question", "knowledge_point"):
        status_of = "(SELECT status FROM bank_version WHERE id = {}.bank_version_id) <> 'draft'"
        statements += [
            f"CREATE TRIGGER {table}_guard_insert BEFORE INSERT ON {table} WHEN {status_of.format('NEW')} {raise_}",
            f"CREATE TRIGGER {table}_guard_update BEFORE UPDATE ON {table} "
            f"WHEN {status_of.format('OLD')} OR {status_of.format('NEW')} {raise_}",
            f"CREATE TRIGGER {table}_guard_delete BEFORE DELETE ON {table} WHEN {status_of.format('OLD')} {raise_}",
        ]
    return statements


def _postgresql_version_guard(content: tuple[str, ...]) -> str:
    # As 20261128_banks's bank_version_guard(), with the content columns given; the triggers stay.
    # JSON has no equality operator in PostgreSQL: the JSON column is compared as text.
    new = ", ".join(f"NEW.{c}::text" if c == "person_kinds" else f"NEW.{c}" for c in content)
    old = ", ".join(f"OLD.{c}::text" if c == "person_kinds" else f"OLD.{c}" for c in content)
    return f"""CREATE OR REPLACE FUNCTION bank_version_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'TRUNCATE' THEN
                RAISE EXCEPTION '{_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF OLD.status = 'draft' THEN
                RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
            END IF;
            IF TG_OP = 'DELETE'
               OR ROW({new}) IS DISTINCT FROM ROW({old})
               OR NOT ((NEW.status = OLD.status AND NEW.retired_at IS NOT DISTINCT FROM OLD.retired_at
                        AND NEW.retired_by IS NOT DISTINCT FROM OLD.retired_by)
                       OR (OLD.status = 'published' AND NEW.status = 'retired')) THEN
                RAISE EXCEPTION '{_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$"""


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if not postgres:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table('bank_version', schema=None) as batch_op:
        # Every stored version is a qualification bank: the server default fills them, then goes.
        batch_op.add_column(sa.Column('purpose', sa.String(length=16), nullable=False,
                                      server_default='qualification'))
        batch_op.add_column(sa.Column('person_kinds', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.alter_column('personnel_category', existing_type=sa.String(length=32), nullable=True)
    with op.batch_alter_table('bank_version', schema=None) as batch_op:
        batch_op.alter_column('purpose', existing_type=sa.String(length=16), server_default=None)
        batch_op.alter_column('person_kinds', existing_type=sa.JSON(), server_default=None)
    if postgres:
        op.execute(_postgresql_version_guard(_AFTER))
    else:
        for statement in _sqlite_guards(_AFTER):
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if bind.execute(sa.text("SELECT count(*) FROM bank_version WHERE purpose <> 'qualification'")).scalar():
        # Refused rather than deleting published versions (and the rules and papers that cite them).
        raise RuntimeError("awareness (应知应会) bank versions are stored: they cannot be kept without this revision")
    if not postgres:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table('bank_version', schema=None) as batch_op:
        batch_op.alter_column('personnel_category', existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_column('person_kinds')
        batch_op.drop_column('purpose')
    if postgres:
        op.execute(_postgresql_version_guard(_BEFORE))
    else:
        for statement in _sqlite_guards(_BEFORE):
            op.execute(statement)
