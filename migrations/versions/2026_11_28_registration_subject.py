"""registration subject

Revision ID: 20261128_registration_subject
Revises: 20261128_room_record
Create Date: 2026-11-28 22:32:10.744392
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261128_registration_subject'
down_revision: str | None = '20261128_room_record'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('personnel_category', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('subject', sa.String(length=40), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_column('subject')
        batch_op.drop_column('personnel_category')

