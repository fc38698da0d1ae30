"""signal_action: what a person did with an integrity signal (reviewed, referred, dismissed)

Revision ID: 20261206_signal_action
Revises: 20261206_analytics
Create Date: 2026-12-06 15:00:00

Issue 21 §3: each signal is logged when a person acts on it (examsvc/analytics/signal_models.py,
docs/analytics.md (signals)).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261206_signal_action'
down_revision: str | None = '20261206_analytics'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def upgrade() -> None:
    op.create_table(
        'signal_action',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('signal_id', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('sitting_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('log_index', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['user_account.id']),
        sa.ForeignKeyConstraint(['sitting_id'], ['sitting.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_signal_action_signal_id', 'signal_action', ['signal_id'])
    op.create_index('ix_signal_action_sitting_id', 'signal_action', ['sitting_id'])

def downgrade() -> None:
    op.drop_index('ix_signal_action_sitting_id', table_name='signal_action')
    op.drop_index('ix_signal_action_signal_id', table_name='signal_action')
    op.drop_table('signal_action')
