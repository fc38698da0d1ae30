"""spot_exams: inspections, people on duty, spot exams and their saves; the handover lock on a token

Revision ID: 20261207_spot_exams
Revises: 20261207_awareness_banks
Create Date: 2026-12-07 00:00:00

Issue 22 (逢查必考, docs/spot-exams.md). The save journal is append-only, like ``answer_save``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261207_spot_exams'
down_revision: str | None = '20261207_awareness_banks'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_APPEND_ONLY = "spot_answer_save"


def _install_guard() -> None:
    message = f"examsvc: {_APPEND_ONLY} rows are append-only"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""CREATE FUNCTION {_APPEND_ONLY}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{message}' USING ERRCODE = 'insufficient_privilege';
        END $$""")
        op.execute(f"CREATE TRIGGER {_APPEND_ONLY}_append_only BEFORE UPDATE OR DELETE ON {_APPEND_ONLY} "
                   f"FOR EACH ROW EXECUTE FUNCTION {_APPEND_ONLY}_append_only()")
        op.execute(f"CREATE TRIGGER {_APPEND_ONLY}_no_truncate BEFORE TRUNCATE ON {_APPEND_ONLY} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {_APPEND_ONLY}_append_only()")
        op.execute(f"ALTER TABLE {_APPEND_ONLY} ENABLE ALWAYS TRIGGER {_APPEND_ONLY}_append_only")
        op.execute(f"ALTER TABLE {_APPEND_ONLY} ENABLE ALWAYS TRIGGER {_APPEND_ONLY}_no_truncate")
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER {_APPEND_ONLY}_no_{event.lower()} BEFORE {event} ON {_APPEND_ONLY} "
                   f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def upgrade() -> None:
    op.create_table('spot_inspection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('enterprise_name', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('industry', sa.String(length=32), nullable=False),
    sa.Column('city', sa.String(length=50), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('inspected_on', sa.Date(), nullable=False),
    sa.Column('blueprint_version_id', sa.Integer(), nullable=False),
    sa.Column('draw_count', sa.Integer(), nullable=False),
    sa.Column('lead_officer_id', sa.Integer(), nullable=False),
    sa.Column('second_officer_id', sa.Integer(), nullable=True),
    sa.Column('second_officer_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('seed_commitment', sa.String(length=64), nullable=False),
    sa.Column('sealed_seed', sa.LargeBinary(), nullable=False),
    sa.Column('revealed_seed', sa.String(length=64), nullable=True),
    sa.Column('roster_salt', sa.String(length=32), nullable=False),
    sa.Column('roster_digest', sa.String(length=64), nullable=True),
    sa.Column('roster_size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['blueprint_version_id'], ['blueprint_version.id'], name=op.f('fk_spot_inspection_blueprint_version_id_blueprint_version')),
    sa.ForeignKeyConstraint(['lead_officer_id'], ['user_account.id'], name=op.f('fk_spot_inspection_lead_officer_id_user_account')),
    sa.ForeignKeyConstraint(['second_officer_id'], ['user_account.id'], name=op.f('fk_spot_inspection_second_officer_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spot_inspection')),
    sa.UniqueConstraint('code', name=op.f('uq_spot_inspection_code'))
    )
    with op.batch_alter_table('spot_inspection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spot_inspection_city'), ['city'], unique=False)
        batch_op.create_index(batch_op.f('ix_spot_inspection_credit_code'), ['credit_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_spot_inspection_inspected_on'), ['inspected_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_spot_inspection_lead_officer_id'), ['lead_officer_id'], unique=False)

    op.create_table('spot_person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('person_digest', sa.String(length=64), nullable=False),
    sa.Column('post', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=True),
    sa.Column('row', sa.Integer(), nullable=True),
    sa.Column('manual', sa.Boolean(), nullable=False),
    sa.Column('manual_reason', sa.String(length=300), nullable=True),
    sa.Column('draw_order', sa.Integer(), nullable=True),
    sa.Column('added_by', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by'], ['user_account.id'], name=op.f('fk_spot_person_added_by_user_account')),
    sa.ForeignKeyConstraint(['inspection_id'], ['spot_inspection.id'], name=op.f('fk_spot_person_inspection_id_spot_inspection')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spot_person')),
    sa.UniqueConstraint('inspection_id', 'person_digest', name=op.f('uq_spot_person_inspection_id_person_digest'))
    )
    with op.batch_alter_table('spot_person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spot_person_id_number'), ['id_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_spot_person_inspection_id'), ['inspection_id'], unique=False)

    op.create_table('spot_exam',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('blueprint_version_id', sa.Integer(), nullable=False),
    sa.Column('paper_digest', sa.String(length=64), nullable=False),
    sa.Column('paper_sealed', sa.LargeBinary(), nullable=False),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.Column('shape', sa.Text(), nullable=False),
    sa.Column('total_points', sa.Integer(), nullable=False),
    sa.Column('pass_mark', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_seconds', sa.Integer(), nullable=False),
    sa.Column('started_by', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_how', sa.String(length=16), nullable=True),
    sa.Column('sheet_document', sa.Text(), nullable=True),
    sa.Column('sheet_digest', sa.String(length=64), nullable=True),
    sa.Column('result_document', sa.Text(), nullable=True),
    sa.Column('result_digest', sa.String(length=64), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('certificate_id', sa.Integer(), nullable=True),
    sa.Column('retraining', sa.String(length=16), nullable=True),
    sa.Column('retraining_note', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['blueprint_version_id'], ['blueprint_version.id'], name=op.f('fk_spot_exam_blueprint_version_id_blueprint_version')),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificate.id'], name=op.f('fk_spot_exam_certificate_id_certificate')),
    sa.ForeignKeyConstraint(['inspection_id'], ['spot_inspection.id'], name=op.f('fk_spot_exam_inspection_id_spot_inspection')),
    sa.ForeignKeyConstraint(['person_id'], ['spot_person.id'], name=op.f('fk_spot_exam_person_id_spot_person')),
    sa.ForeignKeyConstraint(['started_by'], ['user_account.id'], name=op.f('fk_spot_exam_started_by_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spot_exam')),
    sa.UniqueConstraint('person_id', name=op.f('uq_spot_exam_person_id'))
    )
    with op.batch_alter_table('spot_exam', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spot_exam_certificate_id'), ['certificate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_spot_exam_inspection_id'), ['inspection_id'], unique=False)

    op.create_table('spot_answer',
    sa.Column('spot_exam_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('response', sa.String(length=8), nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('chain', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['spot_exam_id'], ['spot_exam.id'], name=op.f('fk_spot_answer_spot_exam_id_spot_exam')),
    sa.PrimaryKeyConstraint('spot_exam_id', 'position', name=op.f('pk_spot_answer'))
    )
    op.create_table('spot_answer_save',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('spot_exam_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('response', sa.String(length=8), nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('chain', sa.String(length=64), nullable=False),
    sa.Column('made_remaining_ms', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['spot_exam_id'], ['spot_exam.id'], name=op.f('fk_spot_answer_save_spot_exam_id_spot_exam')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spot_answer_save')),
    sa.UniqueConstraint('spot_exam_id', 'position', 'seq', name=op.f('uq_spot_answer_save_spot_exam_id_position_seq'))
    )
    with op.batch_alter_table('spot_answer_save', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spot_answer_save_spot_exam_id'), ['spot_exam_id'], unique=False)

    with op.batch_alter_table('access_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_spot_exam_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_access_token_locked_spot_exam_id_spot_exam'), 'spot_exam', ['locked_spot_exam_id'], ['id'])


    _install_guard()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {_APPEND_ONLY}_append_only() CASCADE")
    with op.batch_alter_table('access_token', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_access_token_locked_spot_exam_id_spot_exam'), type_='foreignkey')
        batch_op.drop_column('locked_spot_exam_id')

    with op.batch_alter_table('spot_answer_save', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spot_answer_save_spot_exam_id'))

    op.drop_table('spot_answer_save')
    op.drop_table('spot_answer')
    with op.batch_alter_table('spot_exam', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spot_exam_inspection_id'))
        batch_op.drop_index(batch_op.f('ix_spot_exam_certificate_id'))

    op.drop_table('spot_exam')
    with op.batch_alter_table('spot_person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spot_person_inspection_id'))
        batch_op.drop_index(batch_op.f('ix_spot_person_id_number'))

    op.drop_table('spot_person')
    with op.batch_alter_table('spot_inspection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spot_inspection_lead_officer_id'))
        batch_op.drop_index(batch_op.f('ix_spot_inspection_inspected_on'))
        batch_op.drop_index(batch_op.f('ix_spot_inspection_credit_code'))
        batch_op.drop_index(batch_op.f('ix_spot_inspection_city'))

    op.drop_table('spot_inspection')
