"""banks

Revision ID: 20261128_banks
Revises: 20261128_platform

Tables for versioned question banks, and the triggers that keep a published version immutable.
Create Date: 2026-11-28 20:58:37.350062
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261128_banks'
down_revision: str | None = '20261128_platform'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A published bank version is immutable, whoever asks: the application, the CLI, or someone with SQL.
# Allowed after publication: only the status change published -> retired (with retired_at/_by).
_VERSION_CONTENT = ("bank_id", "part", "version_label", "title", "province", "personnel_category", "industry",
                    "operation_item", "catalogue_version", "effective_date", "content_digest", "question_count",
                    "source_name", "imported_at", "imported_by", "published_at", "published_by")
_MESSAGE = "examsvc: a published bank version is immutable"


def _sqlite_guards() -> list[str]:
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _VERSION_CONTENT)
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


def _postgresql_guards() -> list[str]:
    new = ", ".join(f"NEW.{c}" for c in _VERSION_CONTENT)
    old = ", ".join(f"OLD.{c}" for c in _VERSION_CONTENT)
    return [
        f"""CREATE FUNCTION bank_version_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
        END $$""",
        f"""CREATE FUNCTION bank_content_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'TRUNCATE' THEN
                RAISE EXCEPTION '{_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
                    SELECT 1 FROM bank_version WHERE id = OLD.bank_version_id AND status <> 'draft')
               OR TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
                    SELECT 1 FROM bank_version WHERE id = NEW.bank_version_id AND status <> 'draft') THEN
                RAISE EXCEPTION '{_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$""",
        "CREATE TRIGGER bank_version_guard BEFORE UPDATE OR DELETE ON bank_version "
        "FOR EACH ROW EXECUTE FUNCTION bank_version_guard()",
        "CREATE TRIGGER bank_version_guard_truncate BEFORE TRUNCATE ON bank_version "
        "FOR EACH STATEMENT EXECUTE FUNCTION bank_version_guard()",
        # ENABLE ALWAYS: the guards fire even with session_replication_role = replica.
        "ALTER TABLE bank_version ENABLE ALWAYS TRIGGER bank_version_guard",
        "ALTER TABLE bank_version ENABLE ALWAYS TRIGGER bank_version_guard_truncate",
    ] + [
        statement
        for table in ("question", "knowledge_point")
        for statement in (
            f"CREATE TRIGGER {table}_guard BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION bank_content_guard()",
            f"CREATE TRIGGER {table}_guard_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION bank_content_guard()",
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
        op.execute("DROP FUNCTION IF EXISTS bank_content_guard() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS bank_version_guard() CASCADE")
    # SQLite drops a table's triggers with the table.


def upgrade() -> None:
    op.create_table('bank',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank')),
    sa.UniqueConstraint('code', name=op.f('uq_bank_code'))
    )
    op.create_table('bank_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('part', sa.String(length=16), nullable=False),
    sa.Column('version_label', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('province', sa.String(length=40), nullable=False),
    sa.Column('personnel_category', sa.String(length=32), nullable=False),
    sa.Column('industry', sa.String(length=32), nullable=False),
    sa.Column('operation_item', sa.String(length=8), nullable=True),
    sa.Column('catalogue_version', sa.String(length=200), nullable=True),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('content_digest', sa.String(length=64), nullable=False),
    sa.Column('question_count', sa.Integer(), nullable=False),
    sa.Column('source_name', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by', sa.Integer(), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retired_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['bank_id'], ['bank.id'], name=op.f('fk_bank_version_bank_id_bank')),
    sa.ForeignKeyConstraint(['imported_by'], ['user_account.id'], name=op.f('fk_bank_version_imported_by_user_account')),
    sa.ForeignKeyConstraint(['published_by'], ['user_account.id'], name=op.f('fk_bank_version_published_by_user_account')),
    sa.ForeignKeyConstraint(['retired_by'], ['user_account.id'], name=op.f('fk_bank_version_retired_by_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_version')),
    sa.UniqueConstraint('bank_id', 'part', 'version_label', name=op.f('uq_bank_version_bank_id_part_version_label'))
    )
    with op.batch_alter_table('bank_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_version_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_version_content_digest'), ['content_digest'], unique=False)

    op.create_table('knowledge_point',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_version_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['bank_version_id'], ['bank_version.id'], name=op.f('fk_knowledge_point_bank_version_id_bank_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_point')),
    sa.UniqueConstraint('bank_version_id', 'code', name=op.f('uq_knowledge_point_bank_version_id_code'))
    )
    op.create_table('question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_version_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('stem', sa.Text(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('answer', sa.String(length=8), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('knowledge_point', sa.String(length=32), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('difficulty', sa.Integer(), nullable=False),
    sa.Column('legal_basis', sa.String(length=500), nullable=True),
    sa.Column('content_digest', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['bank_version_id'], ['bank_version.id'], name=op.f('fk_question_bank_version_id_bank_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question')),
    sa.UniqueConstraint('bank_version_id', 'key', name=op.f('uq_question_bank_version_id_key'))
    )
    _install_guards()


def downgrade() -> None:
    _drop_guards()
    op.drop_table('question')
    op.drop_table('knowledge_point')
    with op.batch_alter_table('bank_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_version_content_digest'))
        batch_op.drop_index(batch_op.f('ix_bank_version_bank_id'))

    op.drop_table('bank_version')
    op.drop_table('bank')
