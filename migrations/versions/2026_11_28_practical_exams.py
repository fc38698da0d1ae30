"""practical exams

Revision ID: 20261128_practical_exams
Revises: 20261128_practical_banks
Create Date: 2026-11-28 23:46:38.036607
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261128_practical_exams'
down_revision: str | None = '20261128_practical_banks'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Sealed practical records never change (corrections are new rows: a review adds a result version),
# and an approved practical rule is immutable but for its retirement.
_APPEND_ONLY = ("practical_draw", "practical_mark", "practical_decision", "evidence", "practical_result")
_RULE_CONTENT = ("code", "version", "title", "document", "digest", "bank_version_id", "author_id", "decided_by",
                 "decided_at", "decision_reason", "approval_note")


def _install_guards() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in _APPEND_ONLY:
        message = f"examsvc: {table} rows are append-only"
        if postgres:
            op.execute(f"""CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{message}' USING ERRCODE = 'insufficient_privilege';
            END $$""")
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()")
            op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_append_only")
            op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate")
            continue
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
    message = "examsvc: an approved practical rule is immutable"
    if postgres:
        changed = " OR ".join(f"NEW.{c}::text IS DISTINCT FROM OLD.{c}::text" for c in _RULE_CONTENT)
        op.execute(f"""CREATE FUNCTION practical_rule_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'TRUNCATE' OR (OLD.status IN ('approved', 'retired') AND (TG_OP = 'DELETE' OR {changed}
                    OR NOT (NEW.status = OLD.status OR (OLD.status = 'approved' AND NEW.status = 'retired')))) THEN
                RAISE EXCEPTION '{message}' USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$""")
        op.execute("CREATE TRIGGER practical_rule_guard BEFORE UPDATE OR DELETE ON practical_rule "
                   "FOR EACH ROW EXECUTE FUNCTION practical_rule_guard()")
        op.execute("CREATE TRIGGER practical_rule_no_truncate BEFORE TRUNCATE ON practical_rule "
                   "FOR EACH STATEMENT EXECUTE FUNCTION practical_rule_guard()")
        op.execute("ALTER TABLE practical_rule ENABLE ALWAYS TRIGGER practical_rule_guard")
        op.execute("ALTER TABLE practical_rule ENABLE ALWAYS TRIGGER practical_rule_no_truncate")
        return
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _RULE_CONTENT)
    op.execute(f"CREATE TRIGGER practical_rule_guard_update BEFORE UPDATE ON practical_rule "
               f"WHEN OLD.status IN ('approved', 'retired') AND (({changed}) OR NOT (NEW.status = OLD.status "
               f"OR (OLD.status = 'approved' AND NEW.status = 'retired'))) "
               f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
    op.execute(f"CREATE TRIGGER practical_rule_guard_delete BEFORE DELETE ON practical_rule "
               f"WHEN OLD.status IN ('approved', 'retired') BEGIN SELECT RAISE(ABORT, '{message}'); END")


def _drop_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _APPEND_ONLY:
            op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS practical_rule_guard() CASCADE")


def upgrade() -> None:
    op.create_table('practical_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('bank_version_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.String(length=500), nullable=True),
    sa.Column('approval_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_practical_rule_author_id_user_account')),
    sa.ForeignKeyConstraint(['bank_version_id'], ['practical_bank_version.id'], name=op.f('fk_practical_rule_bank_version_id_practical_bank_version')),
    sa.ForeignKeyConstraint(['decided_by'], ['user_account.id'], name=op.f('fk_practical_rule_decided_by_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practical_rule')),
    sa.UniqueConstraint('code', 'version', name=op.f('uq_practical_rule_code_version'))
    )
    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=4), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_evidence_registration_id_registration')),
    sa.ForeignKeyConstraint(['sitting_id'], ['sitting.id'], name=op.f('fk_evidence_sitting_id_sitting')),
    sa.ForeignKeyConstraint(['uploaded_by'], ['user_account.id'], name=op.f('fk_evidence_uploaded_by_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_sitting_id'), ['sitting_id'], unique=False)

    op.create_table('practical_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=4), nullable=False),
    sa.Column('tenths', sa.Integer(), nullable=False),
    sa.Column('veto_failed', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by'], ['user_account.id'], name=op.f('fk_practical_decision_decided_by_user_account')),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_practical_decision_registration_id_registration')),
    sa.ForeignKeyConstraint(['sitting_id'], ['sitting.id'], name=op.f('fk_practical_decision_sitting_id_sitting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practical_decision')),
    sa.UniqueConstraint('registration_id', 'subject', name=op.f('uq_practical_decision_registration_id_subject'))
    )
    with op.batch_alter_table('practical_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practical_decision_sitting_id'), ['sitting_id'], unique=False)

    op.create_table('practical_draw',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=4), nullable=False),
    sa.Column('item_key', sa.String(length=40), nullable=False),
    sa.Column('drawn_by', sa.String(length=16), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by'], ['user_account.id'], name=op.f('fk_practical_draw_recorded_by_user_account')),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_practical_draw_registration_id_registration')),
    sa.ForeignKeyConstraint(['sitting_id'], ['sitting.id'], name=op.f('fk_practical_draw_sitting_id_sitting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practical_draw')),
    sa.UniqueConstraint('registration_id', 'subject', name=op.f('uq_practical_draw_registration_id_subject'))
    )
    with op.batch_alter_table('practical_draw', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practical_draw_sitting_id'), ['sitting_id'], unique=False)

    op.create_table('practical_mark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=4), nullable=False),
    sa.Column('evaluator_id', sa.Integer(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('tenths', sa.Integer(), nullable=False),
    sa.Column('veto_failed', sa.Boolean(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['evaluator_id'], ['user_account.id'], name=op.f('fk_practical_mark_evaluator_id_user_account')),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_practical_mark_registration_id_registration')),
    sa.ForeignKeyConstraint(['sitting_id'], ['sitting.id'], name=op.f('fk_practical_mark_sitting_id_sitting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practical_mark')),
    sa.UniqueConstraint('registration_id', 'subject', 'evaluator_id', name=op.f('uq_practical_mark_registration_id_subject_evaluator_id'))
    )
    with op.batch_alter_table('practical_mark', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practical_mark_sitting_id'), ['sitting_id'], unique=False)

    op.create_table('practical_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('veto_failed', sa.Boolean(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_practical_result_created_by_user_account')),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_practical_result_registration_id_registration')),
    sa.ForeignKeyConstraint(['sitting_id'], ['sitting.id'], name=op.f('fk_practical_result_sitting_id_sitting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practical_result')),
    sa.UniqueConstraint('registration_id', 'version', name=op.f('uq_practical_result_registration_id_version'))
    )
    with op.batch_alter_table('practical_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practical_result_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_practical_result_sitting_id'), ['sitting_id'], unique=False)

    op.create_table('practical_seed',
    sa.Column('sitting_id', sa.Integer(), nullable=False),
    sa.Column('commitment', sa.String(length=64), nullable=False),
    sa.Column('wrapped_seed', sa.LargeBinary(), nullable=False),
    sa.Column('key_id', sa.String(length=100), nullable=False),
    sa.Column('revealed_seed', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['sitting_id'], ['sitting.id'], name=op.f('fk_practical_seed_sitting_id_sitting')),
    sa.PrimaryKeyConstraint('sitting_id', name=op.f('pk_practical_seed'))
    )
    with op.batch_alter_table('sitting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('practical_rule_id', sa.Integer(), nullable=True))
        batch_op.alter_column('blueprint_version_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_sitting_practical_rule_id_practical_rule'), 'practical_rule',
                                    ['practical_rule_id'], ['id'])
        batch_op.create_check_constraint('one_rule', '(blueprint_version_id IS NULL) <> (practical_rule_id IS NULL)')
    _install_guards()



def downgrade() -> None:
    _drop_guards()
    op.execute("DELETE FROM sitting WHERE blueprint_version_id IS NULL")
    with op.batch_alter_table('sitting', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_sitting_one_rule'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_sitting_practical_rule_id_practical_rule'), type_='foreignkey')
        batch_op.alter_column('blueprint_version_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('practical_rule_id')

    with op.batch_alter_table('practical_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practical_result_sitting_id'))
        batch_op.drop_index(batch_op.f('ix_practical_result_registration_id'))

    op.drop_table('practical_seed')
    op.drop_table('practical_result')
    with op.batch_alter_table('practical_mark', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practical_mark_sitting_id'))

    op.drop_table('practical_mark')
    with op.batch_alter_table('practical_draw', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practical_draw_sitting_id'))

    op.drop_table('practical_draw')
    with op.batch_alter_table('practical_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practical_decision_sitting_id'))

    op.drop_table('practical_decision')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_sitting_id'))

    op.drop_table('evidence')
    op.drop_table('practical_rule')
