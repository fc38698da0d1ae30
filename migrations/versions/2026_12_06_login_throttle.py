"""login throttle: failed attempts per account and per source, with back-off (placeholder until filled)

Revision ID: 20261206_login_throttle
Revises: 20261129_service_clock
Create Date: 2026-12-06 03:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = '20261206_login_throttle'
down_revision: str | None = '20261129_service_clock'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
