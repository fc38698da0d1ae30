"""Candidate check-ins and staff presence against their log entries (issue 15 item 1).

A check-in row must be what ``sitting.candidate_checked_in`` recorded (door photo digest, who checked
the candidate in and when), sitting where the last of the candidate's ``proctor.move`` entries (or the
check-in) put them. A presence row must be what ``sitting.staff_checked_in`` and, once they left,
``sitting.staff_checked_out`` recorded. A row with no entry was inserted behind the service's back;
an entry with no row names a deleted row. The sign-in columns (code digest, failed attempts, session)
are credentials, not facts of the exam, and legitimately change (docs/audit-log.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from examsvc.audit.sitting_check.core import Context, Finding, check
from examsvc.audit.sitting_check.logged import (
    actor_id,
    admission_numbers,
    by_key,
    carried,
    compare,
    single,
    sole_entry,
    when,
)
from examsvc.sites.models import Room, Seat
from examsvc.sittings.models import CandidateCheckIn, Presence

CHECK_INS = "check_ins"
PRESENCE = "presence"


def _seats(ctx: Context) -> dict[int, tuple[str, int]]:
    rows = ctx.db_session.execute(select(Seat.id, Room.code, Seat.number).join(Room, Room.id == Seat.room_id).where(
        Room.site_id == ctx.sitting.site_id))
    return {row.id: (row.code, row.number) for row in rows}


def _expected_place(entry: dict[str, Any], moves: list[dict[str, Any]]) -> dict[str, Any]:
    """Where the log puts the candidate: the check-in's seat, then each move's (moves stay in the room)."""
    details = entry.get("details") or {}
    place = carried(details, room="room", seat="seat", workstation_id="workstation_id")
    for move in moves:
        place |= carried(move.get("details") or {}, seat="seat", workstation_id="workstation_id")
    return place


@check(CHECK_INS)
def check_ins_match_the_log(ctx: Context) -> Iterator[Finding]:
    numbers = admission_numbers(ctx)
    logged = by_key(ctx, "sitting.candidate_checked_in", "admission_number")
    moves = by_key(ctx, "proctor.move", "admission_number")
    seats = _seats(ctx)
    rows = ctx.db_session.scalars(select(CandidateCheckIn).where(CandidateCheckIn.sitting_id == ctx.sitting.id)
                                  .order_by(CandidateCheckIn.id))
    for row in rows:
        number = numbers.get(row.registration_id)
        if number is None:
            yield Finding(CHECK_INS, "candidate_check_in", "names no registration of this sitting", row=row.id,
                          field="registration_id")
            continue
        entry = yield from sole_entry(CHECK_INS, "candidate_check_in", row.id, number, "sitting.candidate_checked_in",
                                      logged.pop(number, []))
        if entry is None:
            continue
        details = entry.get("details") or {}
        expected = carried(details, photo_digest="photo_digest", checked_in_at="checked_in_at")
        expected["checked_in_by"] = actor_id(entry)
        expected |= _expected_place(entry, moves.get(number, []))
        room, seat = seats.get(row.seat_id, (None, None))
        stored = {"photo_digest": row.photo_digest, "checked_in_at": when(row.checked_in_at),
                  "checked_in_by": row.checked_in_by, "room": room, "seat": seat,
                  "workstation_id": row.workstation_id}
        for finding in compare(CHECK_INS, "candidate_check_in", row.id, entry, expected, stored):
            field = "seat_id" if finding.field in ("room", "seat") else finding.field
            yield Finding(finding.check, finding.table, f"{number}: {finding.message}", row=finding.row, field=field,
                          entry=finding.entry)
    for number, entries in logged.items():
        for entry in entries:
            yield Finding(CHECK_INS, "candidate_check_in", f"{number}: checked in according to the log, but the row "
                          "is missing (deleted)", entry=entry.get("index"))


@check(PRESENCE)
def presence_matches_the_log(ctx: Context) -> Iterator[Finding]:
    arrived = by_key(ctx, "sitting.staff_checked_in", "user_id")
    left = by_key(ctx, "sitting.staff_checked_out", "user_id")
    rows = ctx.db_session.scalars(select(Presence).where(Presence.sitting_id == ctx.sitting.id).order_by(Presence.id))
    for row in rows:
        entry = yield from sole_entry(PRESENCE, "presence", row.id, f"user {row.user_id}", "sitting.staff_checked_in",
                                      arrived.pop(row.user_id, []))
        if entry is None:
            continue
        expected = carried(entry.get("details") or {}, workstation_id="workstation_id", checked_in_at="checked_in_at")
        stored: dict[str, Any] = {"workstation_id": row.workstation_id, "checked_in_at": when(row.checked_in_at)}
        yield from compare(PRESENCE, "presence", row.id, entry, expected, stored)
        outs = left.pop(row.user_id, [])
        if not outs:
            if row.checked_out_at is not None or row.checkout_reason is not None:
                yield Finding(PRESENCE, "presence", f"user {row.user_id}: left according to the row, but no "
                              "sitting.staff_checked_out entry", row=row.id, field="checked_out_at")
            continue
        yield from single(PRESENCE, "presence", row.id, outs)
        out = outs[0]
        expected = carried(out.get("details") or {}, checked_out_at="checked_out_at", checkout_reason="reason")
        expected["checkout_approved_by"] = actor_id(out)
        stored = {"checked_out_at": when(row.checked_out_at), "checkout_reason": row.checkout_reason,
                  "checkout_approved_by": row.checkout_approved_by}
        yield from compare(PRESENCE, "presence", row.id, out, expected, stored)
    for user_id, entries in arrived.items():
        for entry in entries:
            yield Finding(PRESENCE, "presence", f"user {user_id}: checked in according to the log, but the row is "
                          "missing (deleted)", entry=entry.get("index"))
    for user_id, entries in left.items():
        for entry in entries:
            yield Finding(PRESENCE, "presence", f"user {user_id}: left according to the log, but there is no "
                          "presence row", entry=entry.get("index"))
