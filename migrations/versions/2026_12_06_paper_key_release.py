"""paper key release: a set's data key wrapped for its chief examiner until the sitting opens (placeholder until filled)

Revision ID: 20261206_paper_key_release
Revises: 20261206_login_throttle
Create Date: 2026-12-06 03:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = '20261206_paper_key_release'
down_revision: str | None = '20261206_login_throttle'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
