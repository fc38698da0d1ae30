"""fact guards (issue 15): the salts that keep identity and bank fingerprints out of reach of log readers,
and append-only guards on the tables verify-sitting relies on

Revision ID: 20261206_fact_guards_a
Revises: 20261206_sitting_scope
Create Date: 2026-12-06 04:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261206_fact_guards_a'
down_revision: str | None = '20261206_sitting_scope'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Who a registration is for (candidate, registration) never changes once written: a correction is a
# new registration in a new sitting. (docs/audit-log.md, "What a database owner can still do".)
_APPEND_ONLY = ("candidate", "registration")
# Staff assignments: never updated; deleted only while the sitting is scheduled (sittings.service.unassign).
_ASSIGNMENT_MESSAGE = "examsvc: staff assignments change only before the sitting opens"


def _append_only(table: str, postgres: bool) -> None:
    message = f"examsvc: {table} rows are append-only"
    if postgres:
        op.execute(f"""CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{message}' USING ERRCODE = 'insufficient_privilege';
        END $$""")
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()")
        op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_append_only")
        op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate")
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def _assignment_guard(postgres: bool) -> None:
    if postgres:
        op.execute(f"""CREATE FUNCTION staff_assignment_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' AND EXISTS (
                    SELECT 1 FROM sitting WHERE id = OLD.sitting_id AND status = 'scheduled') THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION '{_ASSIGNMENT_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
        END $$""")
        op.execute("CREATE TRIGGER staff_assignment_guard BEFORE UPDATE OR DELETE ON staff_assignment "
                   "FOR EACH ROW EXECUTE FUNCTION staff_assignment_guard()")
        op.execute("CREATE TRIGGER staff_assignment_no_truncate BEFORE TRUNCATE ON staff_assignment "
                   "FOR EACH STATEMENT EXECUTE FUNCTION staff_assignment_guard()")
        op.execute("ALTER TABLE staff_assignment ENABLE ALWAYS TRIGGER staff_assignment_guard")
        op.execute("ALTER TABLE staff_assignment ENABLE ALWAYS TRIGGER staff_assignment_no_truncate")
        # The room record's original guard had no TRUNCATE trigger.
        op.execute("CREATE TRIGGER room_record_no_truncate BEFORE TRUNCATE ON room_record "
                   "FOR EACH STATEMENT EXECUTE FUNCTION room_record_immutable()")
        op.execute("ALTER TABLE room_record ENABLE ALWAYS TRIGGER room_record_no_truncate")
        return
    op.execute(f"CREATE TRIGGER staff_assignment_no_update BEFORE UPDATE ON staff_assignment "
               f"BEGIN SELECT RAISE(ABORT, '{_ASSIGNMENT_MESSAGE}'); END")
    op.execute(f"CREATE TRIGGER staff_assignment_no_delete BEFORE DELETE ON staff_assignment "
               f"WHEN (SELECT status FROM sitting WHERE id = OLD.sitting_id) IS NOT 'scheduled' "
               f"BEGIN SELECT RAISE(ABORT, '{_ASSIGNMENT_MESSAGE}'); END")


def upgrade() -> None:
    # Random per row, never logged: the log carries salted digests of a person's name and ID number
    # (and of a bank's fields) that nobody holding only the log can test guesses against.
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('binding_salt', sa.String(length=32), nullable=True))
    op.add_column('bank_version', sa.Column('field_salt', sa.String(length=32), nullable=True))
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in _APPEND_ONLY:
        _append_only(table, postgres)
    _assignment_guard(postgres)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        for table in _APPEND_ONLY:
            op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS staff_assignment_guard() CASCADE")
        op.execute("DROP TRIGGER IF EXISTS room_record_no_truncate ON room_record")
    else:
        for name in ("candidate_no_update", "candidate_no_delete", "registration_no_update", "registration_no_delete",
                     "staff_assignment_no_update", "staff_assignment_no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_column('bank_version', 'field_salt')
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_column('binding_salt')
