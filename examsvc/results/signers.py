"""Who may sign for a sitting, and with which key: both as the log recorded them (issue 15 item 6).

A results manifest signed by a chief examiner of *another* sitting verifies as a signature, so the
verifiers also ask whose it is. The answer comes from the log (``sitting.staff_assigned`` and
``sitting.staff_unassigned`` entries for the chief examiner role), not from the staff table, which the
owner of the database could edit; and it is asked *at the time of signing* (log order), so that a chief
assigned later, or one removed before, does not count. The key that checks a chief examiner's signature
is the one in their ``examiner.key_created`` entry, never the ``examiner_key`` row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy.orm import Session

from examsvc.audit import repository
from examsvc.crypto.signed_note import NoteError, Verifier, parse_vkey
from examsvc.sittings.models import StaffRole


def all_entries(db_session: Session) -> list[dict[str, Any]]:
    """Every committed log entry, parsed, oldest first."""
    return [json.loads(raw) for raw in repository.entries(db_session, 0, repository.committed_size(db_session))]


def sitting_entries(db_session: Session, sitting_id: int,
                    entries: Iterable[dict[str, Any]] | None = None) -> Iterator[dict[str, Any]]:
    """The sitting's log entries, oldest first."""
    for entry in all_entries(db_session) if entries is None else entries:
        subject = entry.get("subject") or {}
        if subject.get("type") == "sitting" and subject.get("id") == str(sitting_id):
            yield entry


def logged_chiefs(entries: Iterable[dict[str, Any]], before: int | None = None) -> set[int]:
    """User ids assigned as the sitting's chief examiner by the log (assignments minus removals), counting
    only entries with an index below ``before`` when it is given: the chiefs at that moment."""
    chiefs: set[int] = set()
    for entry in entries:
        if before is not None and entry["index"] >= before:
            break
        details = entry.get("details") or {}
        if details.get("role") != StaffRole.CHIEF_EXAMINER:
            continue
        if entry["action"] == "sitting.staff_assigned":
            chiefs.add(int(details["user_id"]))
        elif entry["action"] == "sitting.staff_unassigned":
            chiefs.discard(int(details["user_id"]))
    return chiefs


def examiner_key_from_log(entries: Iterable[dict[str, Any]], user_id: int | None) -> Verifier:
    """The chief examiner's verifier key as registered in the log (``examiner.key_created``); raises
    ``NoteError`` if the log registers none (a key that exists only in the database is not trusted)."""
    for entry in entries:
        subject = entry.get("subject") or {}
        if entry["action"] == "examiner.key_created" and subject.get("type") == "user" \
                and subject.get("id") == str(user_id):
            return parse_vkey(str((entry.get("details") or {}).get("vkey", "")))
    raise NoteError(f"no key of user {user_id} is registered in the log")


def actor_id(entry: dict[str, Any]) -> int | None:
    actor = entry.get("actor") or {}
    return int(actor["id"]) if actor.get("type") == "user" and "id" in actor else None
