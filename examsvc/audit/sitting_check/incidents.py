"""Incidents (issue 15 item 2): every incident row re-read against the ``proctor.<kind>`` entry that
recorded it, which carries its whole content (row id, kind, reason, candidate, room, time, proctor,
minutes, seats…). An inserted row without an entry, a deleted row whose entry remains, and any field
reworded are named."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from examsvc.attempts.models import Incident
from examsvc.audit.log import rfc3339
from examsvc.audit.sitting_check.core import Context, Finding, check
from examsvc.audit.sitting_check.logged import details
from examsvc.candidates.models import Registration
from examsvc.results.signers import actor_id

NAME = "incidents"
PREFIX = "proctor."
# Entry details that are columns of the row; the rest is the row's ``details`` JSON.
_COLUMNS = ("incident", "admission_number", "reason", "room_id", "at")


@check(NAME)
def incidents_match_their_log_entries(ctx: Context) -> Iterator[Finding]:
    logged: dict[int, dict[str, Any]] = {}
    for entry in ctx.sitting_entries:
        if entry["action"].startswith(PREFIX) and isinstance(details(entry).get("incident"), int):
            logged[details(entry)["incident"]] = entry
    numbers = {row_id: number for row_id, number in ctx.db_session.execute(
        select(Registration.id, Registration.admission_number).where(Registration.sitting_id == ctx.sitting.id))}
    for row in ctx.db_session.scalars(select(Incident).where(Incident.sitting_id == ctx.sitting.id)
                                      .order_by(Incident.id)):
        if row.id not in logged:
            yield Finding(NAME, "incident", f"a {row.kind} the log does not record (inserted)", row=row.id)
            continue
        yield from _compare(row, logged.pop(row.id), numbers)
    for incident_id, entry in logged.items():
        yield Finding(NAME, "incident", f"the log records this {entry['action'][len(PREFIX):]}, the table has no "
                      "row for it (deleted)", row=incident_id, entry=entry["index"])


def _compare(row: Incident, entry: dict[str, Any], numbers: dict[int, str]) -> Iterator[Finding]:
    facts = details(entry)
    now: dict[str, Any] = {
        "kind": row.kind, "reason": row.reason, "room_id": row.room_id,
        "registration_id": numbers.get(row.registration_id) if row.registration_id is not None else None,
        "at": rfc3339(row.at) if row.at is not None else None, "actor_id": row.actor_id,
        "details": row.details,
    }
    was: dict[str, Any] = {
        "kind": entry["action"][len(PREFIX):], "reason": facts.get("reason"), "room_id": facts.get("room_id"),
        "registration_id": facts.get("admission_number"), "at": facts.get("at"), "actor_id": actor_id(entry),
        "details": {k: v for k, v in facts.items() if k not in _COLUMNS},
    }
    for field in now:
        if now[field] != was[field]:
            yield Finding(NAME, "incident", "differs from its log entry", row=row.id, field=field,
                          entry=entry["index"])
