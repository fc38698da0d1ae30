"""service clock: when the service was last alive, to credit outages to running attempts

Revision ID: 20261129_service_clock
Revises: 20261128_practical_exams
Create Date: 2026-11-29 02:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261129_service_clock'
down_revision: str | None = '20261128_practical_exams'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_clock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alive_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_service_clock_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_clock")),
    )


def downgrade() -> None:
    op.drop_table("service_clock")
