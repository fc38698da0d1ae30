"""Attempt timing, place and ending against the log (issue 15 item 1: "each extra second matched").

deadline = start + duration + extra time + pause credit (docs/answering.md). The start and the
duration are in ``attempt.started`` (its ``started_at`` and the deadline it gave); every second added
since must be a logged grant: ``proctor.extra_time`` (minutes), a resume's credit (``proctor.resume``,
a room's ``proctor.resume`` per candidate, the credit of a paused attempt ending in
``attempt.submitted``) or an outage credit (``attempts.outage_credited``). The check adds them up and
compares with the row and with the sealed sheet, whose digest is in the log. The workstation and room
are the check-in's, then the last move's; the ending is ``attempt.submitted``'s.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from examsvc.attempts.models import AnswerSheet, Attempt, AttemptStatus, SubmittedHow
from examsvc.audit.sitting_check.core import Context, Finding, check
from examsvc.audit.sitting_check.logged import admission_numbers, by_key, carried, compare, single, sole_entry, when
from examsvc.papers.models import Paper
from examsvc.sites.models import Room

TIMING = "attempt_timing"


def _credits(ctx: Context) -> tuple[dict[str, int], dict[str, int]]:
    """Admission number → logged extra seconds, and → logged pause credit in milliseconds."""
    extra: dict[str, int] = {}
    credit: dict[str, int] = {}

    def add(into: dict[str, int], number: Any, amount: Any) -> None:
        into[str(number)] = into.get(str(number), 0) + int(amount)

    for entry in ctx.actions("proctor.extra_time", "proctor.resume", "attempts.outage_credited", "attempt.submitted"):
        details = entry.get("details") or {}
        action = entry["action"]
        if action == "proctor.extra_time":
            add(extra, details["admission_number"], 60 * int(details["minutes"]))
        elif action == "attempts.outage_credited":
            for number in details["admission_numbers"]:
                add(credit, number, details["credited_ms"])
        elif "admission_number" in details:  # one candidate's resume, or the end of a paused attempt
            add(credit, details["admission_number"], details.get("credited_ms", 0))
        else:  # a room's resume: each candidate's own credit
            for number, amount in (details.get("credited_ms") or {}).items():
                add(credit, number, amount)
    return extra, credit


def _rooms(ctx: Context) -> dict[str, int]:
    return {row.code: row.id for row in ctx.db_session.execute(select(Room.code, Room.id).where(
        Room.site_id == ctx.sitting.site_id))}


def _logged_duration(details: dict[str, Any]) -> int | None:
    """The duration the start gave: its deadline minus its start (both in the entry)."""
    if "started_at" not in details or "deadline" not in details:
        return None
    span = datetime.fromisoformat(details["deadline"]) - datetime.fromisoformat(details["started_at"])
    return span // timedelta(seconds=1)


@check(TIMING)
def attempt_timing_matches_the_log(ctx: Context) -> Iterator[Finding]:
    numbers = admission_numbers(ctx)
    started = by_key(ctx, "attempt.started", "admission_number")
    submitted = by_key(ctx, "attempt.submitted", "admission_number")
    checked_in = by_key(ctx, "sitting.candidate_checked_in", "admission_number")
    moves = by_key(ctx, "proctor.move", "admission_number")
    extra, credit = _credits(ctx)
    rooms = _rooms(ctx)
    attempts = ctx.db_session.scalars(select(Attempt).where(Attempt.sitting_id == ctx.sitting.id).order_by(Attempt.id))
    for attempt in attempts:
        number = numbers.get(attempt.registration_id)
        if number is None:
            yield Finding(TIMING, "attempt", "names no registration of this sitting", row=attempt.id,
                          field="registration_id")
            continue
        start = yield from sole_entry(TIMING, "attempt", attempt.id, number, "attempt.started", started.pop(number, []))
        if start is None:
            continue
        details = start.get("details") or {}
        paper = ctx.db_session.get(Paper, attempt.paper_id)
        expected: dict[str, Any] = carried(details, started_at="started_at", paper="paper")
        duration = _logged_duration(details)
        if duration is not None:
            expected["duration_seconds"] = duration
        expected["extra_seconds"] = extra.get(number, 0)
        expected["pause_credit_ms"] = credit.get(number, 0)
        place = [details] + [m.get("details") or {} for m in moves.get(number, [])]
        expected |= carried(place[-1], workstation_id="workstation_id")
        check_in = (checked_in.get(number) or [{}])[0].get("details") or {}
        if "room" in check_in:
            expected["room_id"] = rooms.get(check_in["room"])
        stored = {"started_at": when(attempt.started_at), "paper": paper.digest if paper else None,
                  "duration_seconds": attempt.duration_seconds, "extra_seconds": attempt.extra_seconds,
                  "pause_credit_ms": attempt.pause_credit_ms, "workstation_id": attempt.workstation_id,
                  "room_id": attempt.room_id}
        for finding in compare(TIMING, "attempt", attempt.id, start, expected, stored):
            yield Finding(TIMING, "attempt", f"{number}: {finding.message}", row=attempt.id, field=finding.field,
                          entry=finding.entry)
        yield from _ending(ctx, attempt, number, submitted.pop(number, []), expected)
    for number, entries in started.items():
        for entry in entries:
            yield Finding(TIMING, "attempt", f"{number}: started according to the log, but the attempt row is "
                          "missing (deleted)", entry=entry.get("index"))


def _ending(ctx: Context, attempt: Attempt, number: str, ends: list[dict[str, Any]],
            logged: dict[str, Any]) -> Iterator[Finding]:
    if not ends:
        if attempt.status != AttemptStatus.IN_PROGRESS or attempt.submitted_at is not None:
            yield Finding(TIMING, "attempt", f"{number}: ended according to the row, but there is no attempt.submitted "
                          "entry", row=attempt.id, field="status")
        return
    yield from single(TIMING, "attempt", attempt.id, ends)
    end = ends[0]
    details = end.get("details") or {}
    how = details.get("how")
    expected = {"status": AttemptStatus.REMOVED if how == SubmittedHow.REMOVED else AttemptStatus.SUBMITTED,
                "submitted_at": details.get("ended_at"), "submitted_how": how, "paused_at": None}
    stored = {"status": attempt.status, "submitted_at": when(attempt.submitted_at),
              "submitted_how": attempt.submitted_how, "paused_at": when(attempt.paused_at)}
    for finding in compare(TIMING, "attempt", attempt.id, end, expected, stored):
        yield Finding(TIMING, "attempt", f"{number}: {finding.message}", row=attempt.id, field=finding.field,
                      entry=finding.entry)
    sheet = ctx.db_session.get(AnswerSheet, attempt.id)
    if sheet is None:
        return  # the results check names a missing sheet
    # The sheet is sealed (its digest in this entry, checked by the save check): its clock must be the log's.
    sealed = json.loads(sheet.document)
    keys = ("started_at", "duration_seconds", "extra_seconds", "pause_credit_ms")
    for finding in compare(TIMING, "answer_sheet", attempt.id, end, {k: logged[k] for k in keys if k in logged},
                           {k: sealed.get(k) for k in keys}):
        yield Finding(TIMING, "answer_sheet", f"{number}: {finding.message}", row=attempt.id, field=finding.field,
                      entry=finding.entry)
