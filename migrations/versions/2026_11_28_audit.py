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


# PostgreSQL appends in one round trip: this function takes the entry's canonical bytes around its
# "index" and "prev" values (which only the locked head knows), completes the entry, hashes it as
# an RFC 6962 leaf, extends the tree's frontier and writes entry, nodes and head. The SQLite path
# does the same in Python (examsvc/audit/repository.py); tests check both give identical logs.
_PG_APPEND = r"""
CREATE FUNCTION audit_append(p_prefix bytea, p_suffix bytea) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_size bigint;
    v_last bytea;
    v_frontier bytea;
    v_entry bytea;
    v_leaf bytea;
    v_position bigint;
    v_level bigint := 0;
    v_current bytea;
    v_cut int;
    v_ids bigint[];
    v_hashes bytea[];
BEGIN
    SELECT h.size, h.last_leaf_hash, h.frontier INTO v_size, v_last, v_frontier
        FROM audit_head h WHERE h.id = 1 FOR UPDATE;
    v_entry := p_prefix || convert_to(v_size::text || ',"prev":"' || coalesce(encode(v_last, 'hex'), '') || '"',
                                      'UTF8') || p_suffix;
    v_leaf := sha256('\x00'::bytea || v_entry);
    v_ids := ARRAY[v_size];
    v_hashes := ARRAY[v_leaf];
    v_frontier := v_frontier || v_leaf;
    v_position := v_size;
    v_current := v_leaf;
    WHILE v_position % 2 = 1 LOOP
        v_cut := length(v_frontier) - 64;
        v_current := sha256('\x01'::bytea || substring(v_frontier FROM v_cut + 1 FOR 32) || v_current);
        v_frontier := substring(v_frontier FROM 1 FOR v_cut) || v_current;
        v_level := v_level + 1;
        v_position := v_position / 2;
        v_ids := v_ids || ((v_level << 40) | v_position);
        v_hashes := v_hashes || v_current;
    END LOOP;
    INSERT INTO audit_entry (idx, entry, leaf_hash) VALUES (v_size, v_entry, v_leaf);
    INSERT INTO audit_node (id, hash) SELECT * FROM unnest(v_ids, v_hashes);
    UPDATE audit_head SET size = v_size + 1, last_leaf_hash = v_leaf, frontier = v_frontier WHERE id = 1;
    RETURN v_size;
END $$
"""


def _install_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_APPEND)
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
        op.execute("DROP FUNCTION IF EXISTS audit_append(bytea, bytea)")


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
    sa.Column('frontier', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('audit_node',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_node'))
    )
    head = sa.table("audit_head", sa.column("id", sa.Integer()), sa.column("size", sa.BigInteger()),
                    sa.column("frontier", sa.LargeBinary()))
    op.bulk_insert(head, [{"id": 1, "size": 0, "frontier": b""}])
    _install_guards()


def downgrade() -> None:
    _drop_guards()
    op.drop_table('audit_node')
    op.drop_table('audit_head')
    op.drop_table('audit_entry')
    op.drop_table('audit_checkpoint')
