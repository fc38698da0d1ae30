"""candidates

Revision ID: 20261128_candidates
Revises: 20261128_sittings
Create Date: 2026-11-28 22:06:16.508566
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261128_candidates'
down_revision: str | None = '20261128_sittings'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('candidate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('photo_digest', sa.String(length=64), nullable=True),
    sa.Column('training_institution', sa.String(length=200), nullable=True),
    sa.Column('employer', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidate')),
    sa.UniqueConstraint('id_number', name=op.f('uq_candidate_id_number'))
    )
    op.create_table('registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('admission_number', sa.String(length=20), nullable=False),
    sa.Column('training_institution', sa.String(length=200), nullable=True),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidate.id'], name=op.f('fk_registration_candidate_id_candidate')),
    sa.ForeignKeyConstraint(['sitting_id'], ['sitting.id'], name=op.f('fk_registration_sitting_id_sitting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration')),
    sa.UniqueConstraint('admission_number', name=op.f('uq_registration_admission_number')),
    sa.UniqueConstraint('sitting_id', 'candidate_id', name=op.f('uq_registration_sitting_id_candidate_id'))
    )
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_candidate_id'), ['candidate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registration_sitting_id'), ['sitting_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_sitting_id'))
        batch_op.drop_index(batch_op.f('ix_registration_candidate_id'))

    op.drop_table('registration')
    op.drop_table('candidate')
