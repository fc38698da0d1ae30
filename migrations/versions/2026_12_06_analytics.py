"""analytics: the collected items of each scored attempt; the city of a site

Revision ID: 20261206_analytics
Revises: 20261206_certificates
Create Date: 2026-12-06 14:00:00

Issue 21: statistics by city read ``site.city``; item analysis and the integrity signals read
``attempt_items`` (examsvc/analytics/models.py, docs/analytics.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261206_analytics'
down_revision: str | None = '20261206_certificates'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def upgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('city', sa.String(length=40), nullable=True))
    op.create_table(
        'attempt_items',
        sa.Column('attempt_id', sa.Integer(), nullable=False),
        sa.Column('sitting_id', sa.Integer(), nullable=False),
        sa.Column('registration_id', sa.Integer(), nullable=False),
        sa.Column('question_ids', sa.LargeBinary(), nullable=False),
        sa.Column('chosen', sa.LargeBinary(), nullable=False),
        sa.Column('awarded', sa.LargeBinary(), nullable=False),
        sa.Column('possible', sa.LargeBinary(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('total_points', sa.Integer(), nullable=False),
        sa.Column('result_digest', sa.String(length=64), nullable=False),
        sa.Column('paper_digest', sa.String(length=64), nullable=False),
        sa.Column('sheet_digest', sa.String(length=64), nullable=False),
        sa.Column('collected_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id']),
        sa.ForeignKeyConstraint(['registration_id'], ['registration.id']),
        sa.ForeignKeyConstraint(['sitting_id'], ['sitting.id']),
        sa.PrimaryKeyConstraint('attempt_id'),
    )
    op.create_index('ix_attempt_items_sitting_id', 'attempt_items', ['sitting_id'])
    op.create_index('ix_attempt_items_registration_id', 'attempt_items', ['registration_id'])

def downgrade() -> None:
    op.drop_index('ix_attempt_items_registration_id', table_name='attempt_items')
    op.drop_index('ix_attempt_items_sitting_id', table_name='attempt_items')
    op.drop_table('attempt_items')
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_column('city')
