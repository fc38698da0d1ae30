"""Staff assignments (who is the chief examiner, who proctors which room) against the log: the rows must
be what the sitting's ``sitting.staff_assigned`` and ``sitting.staff_unassigned`` entries leave, replayed
in log order. The room record compares the same rows with the signed document at close; this check
names the table a changed assignment lives in, also before the close."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from examsvc.audit.sitting_check.core import Context, Finding, check
from examsvc.audit.sitting_check.logged import details
from examsvc.sites.models import Room
from examsvc.sittings.models import StaffAssignment

NAME = "staff"
TABLE = "staff_assignment"
Key = tuple[Any, Any, Any]  # (user id, role, room code or None)


def _logged(ctx: Context, rooms: dict[int, str]) -> dict[Key, dict[str, Any]]:
    """(user, role, room) → the entry that assigned it, for the assignments the log leaves standing."""
    standing: dict[Key, dict[str, Any]] = {}
    for entry in ctx.actions("sitting.staff_assigned", "sitting.staff_unassigned"):
        said = details(entry)
        if entry["action"] == "sitting.staff_assigned":
            standing[(said.get("user_id"), said.get("role"), said.get("room"))] = entry
        else:
            room_id = said.get("room_id")
            standing.pop((said.get("user_id"), said.get("role"), rooms.get(room_id) if room_id else None), None)
    return standing


@check(NAME)
def staff_assignments_match_the_log(ctx: Context) -> Iterator[Finding]:
    db = ctx.db_session
    rooms = {row.id: row.code for row in db.execute(select(Room.id, Room.code).where(
        Room.site_id == ctx.sitting.site_id))}
    logged = _logged(ctx, rooms)
    stored: dict[Key, StaffAssignment] = {}
    for row in db.scalars(select(StaffAssignment).where(StaffAssignment.sitting_id == ctx.sitting.id)
                          .order_by(StaffAssignment.id)):
        room = rooms.get(row.room_id, f"id {row.room_id}") if row.room_id is not None else None
        stored[(row.user_id, row.role, room)] = row
    for key in sorted(set(stored) - set(logged), key=repr):
        user, role, room = key
        yield Finding(NAME, TABLE, f"user {user} as {role}" + (f" in room {room}" if room else "")
                      + ": no sitting.staff_assigned entry in the log gives this assignment", row=stored[key].id)
    for key in sorted(set(logged) - set(stored), key=repr):
        user, role, room = key
        yield Finding(NAME, TABLE, f"the log assigned user {user} as {role}" + (f" in room {room}" if room else "")
                      + "; no row holds it (deleted or changed)", entry=logged[key]["index"])
