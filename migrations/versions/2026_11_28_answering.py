"""answering

Revision ID: 20261128_answering
Revises: 20261128_registration_subject
Create Date: 2026-11-28 22:56:59.991845
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261128_answering'
down_revision: str | None = '20261128_registration_subject'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Sealed answer sheets, results, manifests, incidents and re-training records never change: the
# database refuses UPDATE and DELETE. Corrections are new rows (a result version from a review).
_APPEND_ONLY = ("answer_sheet", "incident", "result", "results_manifest", "retraining")


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


def _drop_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _APPEND_ONLY:
            op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only() CASCADE")


def upgrade() -> None:
    op.create_table('retraining',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=40), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('completed_on', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidate.id'], name=op.f('fk_retraining_candidate_id_candidate')),
    sa.ForeignKeyConstraint(['recorded_by'], ['user_account.id'], name=op.f('fk_retraining_recorded_by_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retraining'))
    )
    with op.batch_alter_table('retraining', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retraining_candidate_id'), ['candidate_id'], unique=False)

    op.create_table('results_manifest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('result_count', sa.Integer(), nullable=False),
    sa.Column('merkle_root', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('signed_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['signed_by'], ['user_account.id'], name=op.f('fk_results_manifest_signed_by_user_account')),
    sa.ForeignKeyConstraint(['sitting_id'], ['sitting.id'], name=op.f('fk_results_manifest_sitting_id_sitting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_results_manifest')),
    sa.UniqueConstraint('sitting_id', 'version', name=op.f('uq_results_manifest_sitting_id_version'))
    )
    with op.batch_alter_table('results_manifest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_results_manifest_sitting_id'), ['sitting_id'], unique=False)

    op.create_table('attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('workstation_id', sa.Integer(), nullable=False),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.Column('shape', sa.Text(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_seconds', sa.Integer(), nullable=False),
    sa.Column('pause_credit_ms', sa.Integer(), nullable=False),
    sa.Column('extra_seconds', sa.Integer(), nullable=False),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_how', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['paper_id'], ['paper.id'], name=op.f('fk_attempt_paper_id_paper')),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_attempt_registration_id_registration')),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_attempt_room_id_room')),
    sa.ForeignKeyConstraint(['sitting_id'], ['sitting.id'], name=op.f('fk_attempt_sitting_id_sitting')),
    sa.ForeignKeyConstraint(['workstation_id'], ['workstation.id'], name=op.f('fk_attempt_workstation_id_workstation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempt')),
    sa.UniqueConstraint('registration_id', name=op.f('uq_attempt_registration_id'))
    )
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_room_id'), ['room_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempt_sitting_id'), ['sitting_id'], unique=False)

    op.create_table('incident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_incident_actor_id_user_account')),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_incident_registration_id_registration')),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_incident_room_id_room')),
    sa.ForeignKeyConstraint(['sitting_id'], ['sitting.id'], name=op.f('fk_incident_sitting_id_sitting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident'))
    )
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_sitting_id'), ['sitting_id'], unique=False)

    op.create_table('answer',
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('response', sa.String(length=8), nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_answer_attempt_id_attempt')),
    sa.PrimaryKeyConstraint('attempt_id', 'position', name=op.f('pk_answer'))
    )
    op.create_table('answer_sheet',
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_answer_sheet_attempt_id_attempt')),
    sa.PrimaryKeyConstraint('attempt_id', name=op.f('pk_answer_sheet'))
    )
    op.create_table('result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('void', sa.Boolean(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_result_attempt_id_attempt')),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_result_created_by_user_account')),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_result_registration_id_registration')),
    sa.ForeignKeyConstraint(['sitting_id'], ['sitting.id'], name=op.f('fk_result_sitting_id_sitting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_result')),
    sa.UniqueConstraint('registration_id', 'version', name=op.f('uq_result_registration_id_version'))
    )
    with op.batch_alter_table('result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_result_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_result_sitting_id'), ['sitting_id'], unique=False)
    _install_guards()


def downgrade() -> None:
    _drop_guards()
    with op.batch_alter_table('result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_result_sitting_id'))
        batch_op.drop_index(batch_op.f('ix_result_registration_id'))

    op.drop_table('result')
    op.drop_table('answer_sheet')
    op.drop_table('answer')
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_sitting_id'))

    op.drop_table('incident')
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempt_sitting_id'))
        batch_op.drop_index(batch_op.f('ix_attempt_room_id'))

    op.drop_table('attempt')
    with op.batch_alter_table('results_manifest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_results_manifest_sitting_id'))

    op.drop_table('results_manifest')
    with op.batch_alter_table('retraining', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_retraining_candidate_id'))

    op.drop_table('retraining')
