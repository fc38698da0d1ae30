"""papers

Revision ID: 20261128_papers
Revises: 20261128_audit

Composition rules, chief examiners' keys, and sealed per-candidate papers under signed manifests.
Create Date: 2026-11-28 21:41:03.789073
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261128_papers'
down_revision: str | None = '20261128_audit'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# An approved rule never changes (only approved -> retired), sealed papers are never rewritten, and a
# chief examiner's key is never swapped: the database refuses it, whoever asks.
_MESSAGE = "examsvc: approved rules, papers and examiner keys are immutable"
_RULE_CONTENT = ("code", "version", "title", "document", "digest", "national_bank_version_id",
                 "provincial_bank_version_id", "author_id", "decided_by", "decided_at", "approval_note")


def _install_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        new = ", ".join(f"NEW.{c}" for c in _RULE_CONTENT)
        old = ", ".join(f"OLD.{c}" for c in _RULE_CONTENT)
        op.execute(f"""CREATE FUNCTION blueprint_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'TRUNCATE' OR TG_OP = 'DELETE' AND OLD.status IN ('approved', 'retired') THEN
                RAISE EXCEPTION '{_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            IF OLD.status IN ('approved', 'retired') AND (ROW({new}) IS DISTINCT FROM ROW({old})
               OR NOT (NEW.status = OLD.status OR (OLD.status = 'approved' AND NEW.status = 'retired'))) THEN
                RAISE EXCEPTION '{_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$""")
        op.execute(f"""CREATE FUNCTION immutable_row() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
        END $$""")
        statements = [
            "CREATE TRIGGER blueprint_version_guard BEFORE UPDATE OR DELETE ON blueprint_version "
            "FOR EACH ROW EXECUTE FUNCTION blueprint_guard()",
            "CREATE TRIGGER blueprint_version_no_truncate BEFORE TRUNCATE ON blueprint_version "
            "FOR EACH STATEMENT EXECUTE FUNCTION blueprint_guard()",
        ]
        for table in ("paper", "examiner_key"):
            statements += [
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION immutable_row()",
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION immutable_row()",
            ]
        for table, trigger in (("blueprint_version", "blueprint_version_guard"),
                               ("blueprint_version", "blueprint_version_no_truncate"),
                               ("paper", "paper_immutable"), ("paper", "paper_no_truncate"),
                               ("examiner_key", "examiner_key_immutable"), ("examiner_key", "examiner_key_no_truncate")):
            statements.append(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {trigger}")
        for statement in statements:
            op.execute(statement)
        return
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _RULE_CONTENT)
    raise_ = f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
    op.execute(f"CREATE TRIGGER blueprint_version_guard_update BEFORE UPDATE ON blueprint_version "
               f"WHEN OLD.status IN ('approved', 'retired') AND (({changed}) OR NOT (NEW.status = OLD.status "
               f"OR (OLD.status = 'approved' AND NEW.status = 'retired'))) {raise_}")
    op.execute(f"CREATE TRIGGER blueprint_version_guard_delete BEFORE DELETE ON blueprint_version "
               f"WHEN OLD.status IN ('approved', 'retired') {raise_}")
    for table in ("paper", "examiner_key"):
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} {raise_}")


def _drop_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS blueprint_guard() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS immutable_row() CASCADE")


def upgrade() -> None:
    op.create_table('examiner_key',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_name', sa.String(length=200), nullable=False),
    sa.Column('public_key', sa.LargeBinary(length=32), nullable=False),
    sa.Column('kdf_salt', sa.LargeBinary(length=16), nullable=False),
    sa.Column('kdf_cost_log2', sa.Integer(), nullable=False),
    sa.Column('sealed_private_key', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_examiner_key_user_id_user_account')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_examiner_key'))
    )
    op.create_table('blueprint_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('national_bank_version_id', sa.Integer(), nullable=False),
    sa.Column('provincial_bank_version_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.String(length=500), nullable=True),
    sa.Column('approval_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_blueprint_version_author_id_user_account')),
    sa.ForeignKeyConstraint(['decided_by'], ['user_account.id'], name=op.f('fk_blueprint_version_decided_by_user_account')),
    sa.ForeignKeyConstraint(['national_bank_version_id'], ['bank_version.id'], name=op.f('fk_blueprint_version_national_bank_version_id_bank_version')),
    sa.ForeignKeyConstraint(['provincial_bank_version_id'], ['bank_version.id'], name=op.f('fk_blueprint_version_provincial_bank_version_id_bank_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blueprint_version')),
    sa.UniqueConstraint('code', 'version', name=op.f('uq_blueprint_version_code_version'))
    )
    op.create_table('paper_set',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sitting_code', sa.String(length=40), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('blueprint_version_id', sa.Integer(), nullable=False),
    sa.Column('seed_commitment', sa.String(length=64), nullable=False),
    sa.Column('sealed_seed', sa.LargeBinary(), nullable=False),
    sa.Column('wrapped_data_key', sa.LargeBinary(), nullable=False),
    sa.Column('key_id', sa.String(length=100), nullable=False),
    sa.Column('paper_count', sa.Integer(), nullable=False),
    sa.Column('merkle_root', sa.String(length=64), nullable=False),
    sa.Column('manifest', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revealed_seed', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['approved_by'], ['user_account.id'], name=op.f('fk_paper_set_approved_by_user_account')),
    sa.ForeignKeyConstraint(['blueprint_version_id'], ['blueprint_version.id'], name=op.f('fk_paper_set_blueprint_version_id_blueprint_version')),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_paper_set_created_by_user_account')),
    sa.ForeignKeyConstraint(['parent_id'], ['paper_set.id'], name=op.f('fk_paper_set_parent_id_paper_set')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_set'))
    )
    with op.batch_alter_table('paper_set', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_set_sitting_code'), ['sitting_code'], unique=False)

    op.create_table('paper',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('paper_set_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('candidate', sa.String(length=40), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['paper_set_id'], ['paper_set.id'], name=op.f('fk_paper_paper_set_id_paper_set')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper')),
    sa.UniqueConstraint('paper_set_id', 'candidate', name=op.f('uq_paper_paper_set_id_candidate'))
    )
    with op.batch_alter_table('paper', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_paper_set_id'), ['paper_set_id'], unique=False)
    _install_guards()


def downgrade() -> None:
    _drop_guards()
    with op.batch_alter_table('paper', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_paper_set_id'))

    op.drop_table('paper')
    with op.batch_alter_table('paper_set', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_set_sitting_code'))

    op.drop_table('paper_set')
    op.drop_table('blueprint_version')
    op.drop_table('examiner_key')
