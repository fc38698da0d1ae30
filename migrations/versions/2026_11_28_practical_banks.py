"""practical banks

Revision ID: 20261128_practical_banks
Revises: 20261128_answering
Create Date: 2026-11-28 23:42:23.578181
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261128_practical_banks'
down_revision: str | None = '20261128_answering'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A published practical bank version is immutable, as question bank versions are (same rules): after
# publication only the status change published -> retired (with retired_at) is allowed.
_VERSION_CONTENT = ("code", "version_label", "title", "province", "operation_item", "operation_item_name",
                    "effective_date", "sources", "content_digest", "item_count", "source_name", "imported_at",
                    "imported_by", "published_at")
_MESSAGE = "examsvc: a published practical bank version is immutable"


def _sqlite_guards() -> list[str]:
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _VERSION_CONTENT)
    status_ok = ("(NEW.status = OLD.status AND NEW.retired_at IS OLD.retired_at)"
                 " OR (OLD.status = 'published' AND NEW.status = 'retired')")
    raise_ = f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
    status_of = "(SELECT status FROM practical_bank_version WHERE id = {}.version_id) <> 'draft'"
    return [
        f"CREATE TRIGGER practical_bank_version_guard_update BEFORE UPDATE ON practical_bank_version "
        f"WHEN OLD.status <> 'draft' AND (({changed}) OR NOT ({status_ok})) {raise_}",
        f"CREATE TRIGGER practical_bank_version_guard_delete BEFORE DELETE ON practical_bank_version "
        f"WHEN OLD.status <> 'draft' {raise_}",
        f"CREATE TRIGGER practical_item_guard_insert BEFORE INSERT ON practical_item "
        f"WHEN {status_of.format('NEW')} {raise_}",
        f"CREATE TRIGGER practical_item_guard_update BEFORE UPDATE ON practical_item "
        f"WHEN {status_of.format('OLD')} OR {status_of.format('NEW')} {raise_}",
        f"CREATE TRIGGER practical_item_guard_delete BEFORE DELETE ON practical_item "
        f"WHEN {status_of.format('OLD')} {raise_}",
    ]


def _postgresql_guards() -> list[str]:
    new = ", ".join(f"NEW.{c}::text" for c in _VERSION_CONTENT)
    old = ", ".join(f"OLD.{c}::text" for c in _VERSION_CONTENT)
    return [
        f"""CREATE FUNCTION practical_bank_version_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'TRUNCATE' THEN
                RAISE EXCEPTION '{_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF OLD.status = 'draft' THEN
                RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
            END IF;
            IF TG_OP = 'DELETE'
               OR ROW({new}) IS DISTINCT FROM ROW({old})
               OR NOT ((NEW.status = OLD.status AND NEW.retired_at IS NOT DISTINCT FROM OLD.retired_at)
                       OR (OLD.status = 'published' AND NEW.status = 'retired')) THEN
                RAISE EXCEPTION '{_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$""",
        f"""CREATE FUNCTION practical_item_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'TRUNCATE' THEN
                RAISE EXCEPTION '{_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
                    SELECT 1 FROM practical_bank_version WHERE id = OLD.version_id AND status <> 'draft')
               OR TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
                    SELECT 1 FROM practical_bank_version WHERE id = NEW.version_id AND status <> 'draft') THEN
                RAISE EXCEPTION '{_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$""",
    ] + [
        statement
        for table in ("practical_bank_version", "practical_item")
        for statement in (
            f"CREATE TRIGGER {table}_guard BEFORE UPDATE OR DELETE"
            + (" OR INSERT" if table == "practical_item" else "")
            + f" ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_guard()",
            f"CREATE TRIGGER {table}_guard_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_guard()",
            f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_guard",
            f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_guard_truncate",
        )
    ]


def _install_guards() -> None:
    dialect = op.get_bind().dialect.name
    for statement in _postgresql_guards() if dialect == "postgresql" else _sqlite_guards():
        op.execute(statement)


def _drop_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS practical_item_guard() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS practical_bank_version_guard() CASCADE")


def upgrade() -> None:
    op.create_table('practical_bank_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('version_label', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('province', sa.String(length=40), nullable=False),
    sa.Column('operation_item', sa.String(length=8), nullable=False),
    sa.Column('operation_item_name', sa.String(length=100), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('sources', sa.JSON(), nullable=False),
    sa.Column('content_digest', sa.String(length=64), nullable=False),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.Column('source_name', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['imported_by'], ['user_account.id'], name=op.f('fk_practical_bank_version_imported_by_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practical_bank_version')),
    sa.UniqueConstraint('code', 'version_label', name=op.f('uq_practical_bank_version_code_version_label'))
    )
    with op.batch_alter_table('practical_bank_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practical_bank_version_code'), ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_practical_bank_version_content_digest'), ['content_digest'], unique=False)

    op.create_table('practical_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=4), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('time_limit_minutes', sa.Integer(), nullable=False),
    sa.Column('full_marks', sa.Integer(), nullable=False),
    sa.Column('task', sa.Text(), nullable=False),
    sa.Column('equipment', sa.JSON(), nullable=False),
    sa.Column('criteria', sa.JSON(), nullable=False),
    sa.Column('content_digest', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['practical_bank_version.id'], name=op.f('fk_practical_item_version_id_practical_bank_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practical_item')),
    sa.UniqueConstraint('version_id', 'key', name=op.f('uq_practical_item_version_id_key'))
    )
    with op.batch_alter_table('practical_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practical_item_version_id'), ['version_id'], unique=False)
    _install_guards()


def downgrade() -> None:
    _drop_guards()
    with op.batch_alter_table('practical_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practical_item_version_id'))

    op.drop_table('practical_item')
    with op.batch_alter_table('practical_bank_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practical_bank_version_content_digest'))
        batch_op.drop_index(batch_op.f('ix_practical_bank_version_code'))

    op.drop_table('practical_bank_version')
