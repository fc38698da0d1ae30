"""paper key release: a set's data key wrapped for its chief examiner until the sitting opens

Issue 14 item 13. ``paper_set.chief_sealed_data_key`` holds the data key sealed to the sitting's chief
examiner's X25519 key and then wrapped by the key-encryption key (both needed);
``paper_set.sealed_to_user_id`` names that chief. ``paper_set.wrapped_data_key`` (the key-encryption key
alone) stays empty until the opening releases it. ``examiner_exchange_key`` holds each chief examiner's
X25519 public key; like ``examiner_key`` it is never updated or deleted (database triggers).

Revision ID: 20261206_paper_key_release
Revises: 20261206_login_throttle
Create Date: 2026-12-06 03:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261206_paper_key_release'
down_revision: str | None = '20261206_login_throttle'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MESSAGE = "examsvc: approved rules, papers and examiner keys are immutable"


def upgrade() -> None:
    op.create_table(
        "examiner_exchange_key",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"],
                                name=op.f("fk_examiner_exchange_key_user_id_user_account")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_examiner_exchange_key")),
    )
    with op.batch_alter_table("paper_set", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chief_sealed_data_key", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("sealed_to_user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_paper_set_sealed_to_user_id_user_account"), "user_account",
                                    ["sealed_to_user_id"], ["id"])
    # A swapped exchange key would let whoever swapped it open the next sitting's papers: never updated.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TRIGGER examiner_exchange_key_immutable BEFORE UPDATE OR DELETE ON examiner_exchange_key "
                   "FOR EACH ROW EXECUTE FUNCTION immutable_row()")
        op.execute("CREATE TRIGGER examiner_exchange_key_no_truncate BEFORE TRUNCATE ON examiner_exchange_key "
                   "FOR EACH STATEMENT EXECUTE FUNCTION immutable_row()")
        for trigger in ("examiner_exchange_key_immutable", "examiner_exchange_key_no_truncate"):
            op.execute(f"ALTER TABLE examiner_exchange_key ENABLE ALWAYS TRIGGER {trigger}")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER examiner_exchange_key_no_{event.lower()} BEFORE {event} ON "
                       f"examiner_exchange_key BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END")


def downgrade() -> None:
    with op.batch_alter_table("paper_set", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_paper_set_sealed_to_user_id_user_account"), type_="foreignkey")
        batch_op.drop_column("sealed_to_user_id")
        batch_op.drop_column("chief_sealed_data_key")
    op.drop_table("examiner_exchange_key")
