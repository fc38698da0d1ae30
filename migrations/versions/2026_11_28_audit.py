"""audit log

Revision ID: 20261128_audit
Revises: 20261128_banks

The append-only audit log: entries, stored subtree hashes, signed checkpoints, and the head row.
Create Date: 2026-11-28 21:10:10.891827
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261128_audit'
down_revision: str | None = '20261128_banks'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The log is append-only whoever asks: UPDATE, DELETE and TRUNCATE are refused by the database.
# audit_head is a cache of the size (it serialises appends) and stays writable; verification never
# trusts it. What a database owner can still do is documented in docs/audit-log.md.
_APPEND_ONLY = ("audit_entry", "audit_node", "audit_checkpoint")
_MESSAGE = "examsvc: the audit log is append-only"


def _install_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
        END $$""")
        for table in _APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION audit_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()")
            # ENABLE ALWAYS: the guards fire even with session_replication_role = replica.
            op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_append_only")
            op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate")
    else:
        for table in _APPEND_ONLY:
            for event in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END")


def _drop_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_append_only() CASCADE")


def upgrade() -> None:
    op.create_table('audit_checkpoint',
    sa.Column('tree_size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('root_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('key_id', sa.String(length=8), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tree_size', name=op.f('pk_audit_checkpoint'))
    )
    op.create_table('audit_entry',
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('entry', sa.LargeBinary(), nullable=False),
    sa.Column('leaf_hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_audit_entry'))
    )
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('last_leaf_hash', sa.LargeBinary(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('audit_node',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_node'))
    )
    op.execute("INSERT INTO audit_head (id, size) VALUES (1, 0)")
    _install_guards()


def downgrade() -> None:
    _drop_guards()
    op.drop_table('audit_node')
    op.drop_table('audit_head')
    op.drop_table('audit_entry')
    op.drop_table('audit_checkpoint')
