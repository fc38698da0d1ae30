"""Who may sign a sitting's results: its chief examiner as the log recorded the assignment.

A results manifest signed by a chief examiner of *another* sitting verifies as a signature, so the
verifiers also ask whose it is. The answer comes from the log (``sitting.staff_assigned`` and
``sitting.staff_unassigned`` entries for the chief examiner role), not from the staff table, which the
owner of the database could edit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from examsvc.audit import repository
from examsvc.sittings.models import StaffRole


def sitting_entries(db_session: Session, sitting_id: int) -> Iterator[dict[str, Any]]:
    """The sitting's log entries, oldest first."""
    for raw in repository.entries(db_session, 0, repository.committed_size(db_session)):
        entry: dict[str, Any] = json.loads(raw)
        subject = entry.get("subject") or {}
        if subject.get("type") == "sitting" and subject.get("id") == str(sitting_id):
            yield entry


def logged_chiefs(entries: Iterator[dict[str, Any]] | list[dict[str, Any]]) -> set[int]:
    """User ids assigned as the sitting's chief examiner, by the log (assignments minus removals)."""
    chiefs: set[int] = set()
    for entry in entries:
        details = entry.get("details") or {}
        if details.get("role") != StaffRole.CHIEF_EXAMINER:
            continue
        if entry["action"] == "sitting.staff_assigned":
            chiefs.add(int(details["user_id"]))
        elif entry["action"] == "sitting.staff_unassigned":
            chiefs.discard(int(details["user_id"]))
    return chiefs


def actor_id(entry: dict[str, Any]) -> int | None:
    actor = entry.get("actor") or {}
    return int(actor["id"]) if actor.get("type") == "user" and "id" in actor else None
