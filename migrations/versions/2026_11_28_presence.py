"""presence

Revision ID: 20261128_presence
Revises: 20261128_candidates
Create Date: 2026-11-28 22:09:55.338083
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261128_presence'
down_revision: str | None = '20261128_candidates'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('presence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('workstation_id', sa.Integer(), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checked_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checkout_reason', sa.String(length=300), nullable=True),
    sa.Column('checkout_approved_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['checkout_approved_by'], ['user_account.id'], name=op.f('fk_presence_checkout_approved_by_user_account')),
    sa.ForeignKeyConstraint(['sitting_id'], ['sitting.id'], name=op.f('fk_presence_sitting_id_sitting')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_presence_user_id_user_account')),
    sa.ForeignKeyConstraint(['workstation_id'], ['workstation.id'], name=op.f('fk_presence_workstation_id_workstation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_presence')),
    sa.UniqueConstraint('sitting_id', 'user_id', name=op.f('uq_presence_sitting_id_user_id'))
    )
    with op.batch_alter_table('presence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_presence_sitting_id'), ['sitting_id'], unique=False)

    with op.batch_alter_table('sitting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('sitting', schema=None) as batch_op:
        batch_op.drop_column('closed_at')
        batch_op.drop_column('opened_at')

    with op.batch_alter_table('presence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_presence_sitting_id'))

    op.drop_table('presence')
