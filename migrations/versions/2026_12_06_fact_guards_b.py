"""fact guards b: the answer-save journal and its chain; guards on check-ins, presence and attempts

Revision ID: 20261206_fact_guards_b
Revises: 20261206_witness
Create Date: 2026-12-06 04:10:00

Issue 15 item 1 and 4 (docs/audit-log.md, "What a database owner can still do, and how each is caught"):

- ``answer.chain``: the running SHA-256 chain of the question's accepted saves, advanced inside the
  save's own upsert by ``examsvc_save_chain(prev, save)`` (a SQL function here on PostgreSQL; a
  Python function registered on every SQLite connection, examsvc/db.py; both compute
  examsvc/crypto/save_chain.py).
- ``answer_save``: the append-only journal of every accepted save, from which a verifier re-derives
  each chain and compares it with the head sealed in the answer sheet.
- Guards: ``answer_save`` append-only; ``candidate_check_in``, ``presence`` and ``attempt`` rows
  never deleted, and only the columns the service legitimately changes may change (listed below).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261206_fact_guards_b'
down_revision: str | None = '20261206_witness'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> the condition under which an UPDATE is refused (SQL valid in both dialects; NEW/OLD rows).
# candidate_check_in: who was checked in, by whom, when and with which door photo never change; the
#   seat and workstation change only by a proctor's move (logged), the sign-in columns by sign-in.
# presence: who arrived, where and when never change; leaving is recorded once and is then final.
# attempt: the clock changes while it runs (pauses, extra time, moves); once submitted it is final.
_GUARDED_UPDATES = {
    "answer_save": "1 = 1",
    "candidate_check_in": " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in (
        "id", "sitting_id", "registration_id", "photo_digest", "checked_in_by", "checked_in_at")),
    "presence": "OLD.checked_out_at IS NOT NULL OR " + " OR ".join(
        f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in ("id", "sitting_id", "user_id", "workstation_id",
                                                      "checked_in_at")),
    "attempt": "OLD.status <> 'in_progress' OR NEW.id IS DISTINCT FROM OLD.id",
}

_CHAIN_FUNCTION = """CREATE FUNCTION examsvc_save_chain(prev text, save text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
    $$ SELECT encode(sha256(decode(prev, 'hex') || convert_to(save, 'UTF8')), 'hex') $$"""


def _install_guards() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, refused in _GUARDED_UPDATES.items():
        message = f"examsvc: {table} rows are append-only"
        if postgres:
            op.execute(f"""CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' THEN
                    IF NOT ({refused}) THEN
                        RETURN NEW;
                    END IF;
                END IF;
                RAISE EXCEPTION '{message}' USING ERRCODE = 'insufficient_privilege';
            END $$""")
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()")
            op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_append_only")
            op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate")
            continue
        # SQLite has no IS DISTINCT FROM; IS NOT compares NULLs the same way.
        condition = refused.replace("IS DISTINCT FROM", "IS NOT")
        op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} WHEN {condition} "
                   f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
        op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def _drop_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _GUARDED_UPDATES:
            op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only() CASCADE")
        return
    for table in _GUARDED_UPDATES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")


def upgrade() -> None:
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain', sa.String(length=64), nullable=False, server_default=''))
    op.create_table('answer_save',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('response', sa.String(length=8), nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('chain', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_answer_save_attempt_id_attempt')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_save')),
    sa.UniqueConstraint('attempt_id', 'position', 'seq', name=op.f('uq_answer_save_attempt_id_position_seq'))
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_CHAIN_FUNCTION)
    _install_guards()


def downgrade() -> None:
    _drop_guards()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS examsvc_save_chain(text, text)")
    op.drop_table('answer_save')
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_column('chain')
