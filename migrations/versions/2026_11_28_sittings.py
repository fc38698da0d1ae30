"""sittings

Revision ID: 20261128_sittings
Revises: 20261128_rooms
Create Date: 2026-11-28 22:03:07.816166
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261128_sittings'
down_revision: str | None = '20261128_rooms'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sitting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('blueprint_version_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('scheduled_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('late_entry_minutes', sa.Integer(), nullable=False),
    sa.Column('proctors_per_room', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['blueprint_version_id'], ['blueprint_version.id'], name=op.f('fk_sitting_blueprint_version_id_blueprint_version')),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_sitting_created_by_user_account')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_sitting_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sitting')),
    sa.UniqueConstraint('code', name=op.f('uq_sitting_code'))
    )
    with op.batch_alter_table('sitting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sitting_site_id'), ['site_id'], unique=False)

    op.create_table('sitting_room',
    sa.Column('sitting_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_sitting_room_room_id_room')),
    sa.ForeignKeyConstraint(['sitting_id'], ['sitting.id'], name=op.f('fk_sitting_room_sitting_id_sitting')),
    sa.PrimaryKeyConstraint('sitting_id', 'room_id', name=op.f('pk_sitting_room'))
    )
    op.create_table('staff_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assigned_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assigned_by'], ['user_account.id'], name=op.f('fk_staff_assignment_assigned_by_user_account')),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_staff_assignment_room_id_room')),
    sa.ForeignKeyConstraint(['sitting_id'], ['sitting.id'], name=op.f('fk_staff_assignment_sitting_id_sitting')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_staff_assignment_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_assignment')),
    sa.UniqueConstraint('sitting_id', 'user_id', 'role', 'room_id', name=op.f('uq_staff_assignment_sitting_id_user_id_role_room_id'))
    )
    with op.batch_alter_table('staff_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_assignment_sitting_id'), ['sitting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_assignment_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('staff_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_assignment_user_id'))
        batch_op.drop_index(batch_op.f('ix_staff_assignment_sitting_id'))

    op.drop_table('staff_assignment')
    op.drop_table('sitting_room')
    with op.batch_alter_table('sitting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sitting_site_id'))

    op.drop_table('sitting')
