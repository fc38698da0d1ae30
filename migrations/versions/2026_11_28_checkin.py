"""candidate check-in

Revision ID: 20261128_checkin
Revises: 20261128_presence
Create Date: 2026-11-28 22:13:48.033814
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261128_checkin'
down_revision: str | None = '20261128_presence'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('candidate_check_in',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('seat_id', sa.Integer(), nullable=False),
    sa.Column('workstation_id', sa.Integer(), nullable=False),
    sa.Column('photo_digest', sa.String(length=64), nullable=False),
    sa.Column('code_digest', sa.String(length=64), nullable=False),
    sa.Column('checked_in_by', sa.Integer(), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('failed_sign_ins', sa.Integer(), nullable=False),
    sa.Column('signed_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('session_digest', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['checked_in_by'], ['user_account.id'], name=op.f('fk_candidate_check_in_checked_in_by_user_account')),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_candidate_check_in_registration_id_registration')),
    sa.ForeignKeyConstraint(['seat_id'], ['seat.id'], name=op.f('fk_candidate_check_in_seat_id_seat')),
    sa.ForeignKeyConstraint(['sitting_id'], ['sitting.id'], name=op.f('fk_candidate_check_in_sitting_id_sitting')),
    sa.ForeignKeyConstraint(['workstation_id'], ['workstation.id'], name=op.f('fk_candidate_check_in_workstation_id_workstation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidate_check_in')),
    sa.UniqueConstraint('registration_id', name=op.f('uq_candidate_check_in_registration_id')),
    sa.UniqueConstraint('session_digest', name=op.f('uq_candidate_check_in_session_digest'))
    )
    with op.batch_alter_table('candidate_check_in', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_candidate_check_in_sitting_id'), ['sitting_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('candidate_check_in', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_candidate_check_in_sitting_id'))

    op.drop_table('candidate_check_in')
