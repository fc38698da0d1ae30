"""checkpoint count: the head remembers how many checkpoints the log signed and the latest one's size

Revision ID: 20261206_checkpoint_count
Revises: 20261206_fact_guards_b
Create Date: 2026-12-06 07:30:00

Issue 15 ("stored checkpoints deleted"): a signed checkpoint deleted from ``audit_checkpoint`` (the
guard dropped first) left no trace, and the service then signed the same tree again. The head now
counts what was signed; the signer and ``audit verify-sitting`` refuse a log whose stored checkpoints
fall short of it (docs/audit-log.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261206_checkpoint_count'
down_revision: str | None = '20261206_fact_guards_b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signed_size', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('signed_count', sa.BigInteger(), nullable=False, server_default='0'))
    op.execute("UPDATE audit_head SET "
               "signed_size = (SELECT COALESCE(MAX(tree_size), 0) FROM audit_checkpoint), "
               "signed_count = (SELECT COUNT(*) FROM audit_checkpoint)")


def downgrade() -> None:
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.drop_column('signed_count')
        batch_op.drop_column('signed_size')
