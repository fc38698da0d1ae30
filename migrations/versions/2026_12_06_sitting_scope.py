"""sitting scope: no schema change (who may act on which sitting is decided in code from staff_assignment); a link of the chain only

Revision ID: 20261206_sitting_scope
Revises: 20261206_paper_key_release
Create Date: 2026-12-06 03:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = '20261206_sitting_scope'
down_revision: str | None = '20261206_paper_key_release'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
