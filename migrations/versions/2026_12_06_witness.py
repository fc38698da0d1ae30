"""witness cosignatures

Revision ID: 20261206_witness
Revises: 20261206_fact_guards_a

The cosignatures witnesses returned for the log's checkpoints (C2SP tlog-witness, tlog-cosignature),
append-only like the checkpoints they sign.
Create Date: 2026-12-06 04:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261206_witness'
down_revision: str | None = '20261206_fact_guards_a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "audit_cosignature"
_MESSAGE = "examsvc: the audit log is append-only"


def upgrade() -> None:
    op.create_table(_TABLE,
    sa.Column('tree_size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('witness_key_id', sa.String(length=8), nullable=False),
    sa.Column('witness_name', sa.String(length=255), nullable=False),
    sa.Column('line', sa.Text(), nullable=False),
    sa.Column('cosigned_at', sa.BigInteger(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tree_size', 'witness_key_id', name=op.f('pk_audit_cosignature'))
    )
    # The same guards as the other log tables (migration 20261128_audit): UPDATE, DELETE, TRUNCATE refused.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE TRIGGER {_TABLE}_append_only BEFORE UPDATE OR DELETE ON {_TABLE} "
                   "FOR EACH ROW EXECUTE FUNCTION audit_append_only()")
        op.execute(f"CREATE TRIGGER {_TABLE}_no_truncate BEFORE TRUNCATE ON {_TABLE} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()")
        op.execute(f"ALTER TABLE {_TABLE} ENABLE ALWAYS TRIGGER {_TABLE}_append_only")
        op.execute(f"ALTER TABLE {_TABLE} ENABLE ALWAYS TRIGGER {_TABLE}_no_truncate")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {_TABLE}_no_{event.lower()} BEFORE {event} ON {_TABLE} "
                       f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END")


def downgrade() -> None:
    op.drop_table(_TABLE)
