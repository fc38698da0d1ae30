"""What the sitting checks read from the log: entries about other subjects (a bank version, a rule, a
paper set), chief examiners' keys as registered there, a sitting's entries by candidate or staff member,
and a row's fields compared with the entry that recorded them (naming each field whose stored value is
not the one the log says)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Generator, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select

from examsvc.audit.log import rfc3339
from examsvc.audit.sitting_check.core import Context, Finding
from examsvc.candidates.models import Registration
from examsvc.crypto.signed_note import Verifier
from examsvc.results.signers import examiner_key_from_log


def last_entry(ctx: Context, action: str, subject_type: str, subject_id: object) -> dict[str, Any] | None:
    """The newest entry with this action about this subject, or None."""
    found = None
    for entry in ctx.entries:
        subject = entry.get("subject") or {}
        if entry["action"] == action and subject.get("type") == subject_type and subject.get("id") == str(subject_id):
            found = entry
    return found


def details(entry: dict[str, Any]) -> dict[str, Any]:
    value = entry.get("details")
    return value if isinstance(value, dict) else {}


def examiner_key(ctx: Context, user_id: int | None) -> Verifier:
    """The chief examiner's key from their ``examiner.key_created`` entry (raises NoteError if none)."""
    cache: dict[int | None, Verifier] = ctx.extra.setdefault("examiner_keys", {})
    if user_id not in cache:
        cache[user_id] = examiner_key_from_log(ctx.entries, user_id)
    return cache[user_id]


def when(moment: datetime | None) -> str | None:
    """A stored time as the log writes it (RFC 3339 UTC, microseconds), or None."""
    return None if moment is None else rfc3339(moment)


def actor_id(entry: dict[str, Any]) -> Any:
    return (entry.get("actor") or {}).get("id")


def by_key(ctx: Context, action: str, key: str) -> dict[Any, list[dict[str, Any]]]:
    """This sitting's entries of one action, grouped by a details field (admission number, user id)."""
    grouped: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for entry in ctx.actions(action):
        grouped[(entry.get("details") or {}).get(key)].append(entry)
    return grouped


def admission_numbers(ctx: Context) -> dict[int, str]:
    """The sitting's registrations: id → admission number (their binding to a person is the identity check's)."""
    rows = ctx.db_session.execute(select(Registration.id, Registration.admission_number).where(
        Registration.sitting_id == ctx.sitting.id))
    return {row.id: row.admission_number for row in rows}


def compare(check: str, table: str, row: str | int, entry: dict[str, Any], expected: dict[str, Any],
            stored: dict[str, Any]) -> Iterator[Finding]:
    """A finding for each field whose stored value is not the logged one."""
    for name, logged in expected.items():
        if stored.get(name) != logged:
            yield Finding(check, table, f"stored {stored.get(name)!r}, the log says {logged!r}", row=row, field=name,
                          entry=entry.get("index"))


def carried(details: dict[str, Any], **names: str) -> dict[str, Any]:
    """Row field → the entry's value, for the fields the entry carries (one written before a field was
    logged is not compared on it: there is nothing to compare with)."""
    return {field: details[key] for field, key in names.items() if key in details}


def single(check: str, table: str, row: str | int, entries: list[dict[str, Any]]) -> Iterator[Finding]:
    """A fact logged once must have one entry: a second one for the same row is itself a finding."""
    for extra in entries[1:]:
        yield Finding(check, table, "logged more than once", row=row, entry=extra.get("index"))


def sole_entry(check: str, table: str, row: str | int, who: str, action: str,
               entries: list[dict[str, Any]]) -> Generator[Finding, None, dict[str, Any] | None]:
    """The one ``action`` entry that recorded a row (``entry = yield from sole_entry(…)``); a finding for
    a row no entry recorded (inserted outside the service) or one recorded twice."""
    if not entries:
        yield Finding(check, table, f"{who}: no {action} entry: the row was inserted outside the service", row=row)
        return None
    yield from single(check, table, row, entries)
    return entries[0]
