"""room record

Revision ID: 20261128_room_record
Revises: 20261128_checkin
Create Date: 2026-11-28 22:17:32.937595
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261128_room_record'
down_revision: str | None = '20261128_checkin'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A signed room record never changes: the database refuses UPDATE and DELETE.
_MESSAGE = "examsvc: a room record is immutable"


def _install_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""CREATE FUNCTION room_record_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
        END $$""")
        op.execute("CREATE TRIGGER room_record_immutable BEFORE UPDATE OR DELETE ON room_record "
                   "FOR EACH ROW EXECUTE FUNCTION room_record_immutable()")
        op.execute("ALTER TABLE room_record ENABLE ALWAYS TRIGGER room_record_immutable")
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER room_record_no_{event.lower()} BEFORE {event} ON room_record "
                   f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END")


def _drop_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS room_record_immutable() CASCADE")


def upgrade() -> None:
    op.create_table('room_record',
    sa.Column('sitting_id', sa.Integer(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('signed_note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['sitting_id'], ['sitting.id'], name=op.f('fk_room_record_sitting_id_sitting')),
    sa.PrimaryKeyConstraint('sitting_id', name=op.f('pk_room_record'))
    )
    _install_guards()


def downgrade() -> None:
    _drop_guards()
    op.drop_table('room_record')
