"""Appending to the log: the one way every state-changing action is recorded.

An entry is written in the caller's transaction, so the action and its entry commit or vanish
together. The entry (docs/audit-log.md) is the RFC 8785 encoding of::

    {"index": n, "time": RFC 3339 UTC, "actor": {...}, "action": "bank.version.published",
     "subject": {"type": ..., "id": ...}, "details": {ids and digests only}, "request_id": ... | null,
     "prev": hex SHA-256 leaf hash of entry n-1 ("" for entry 0)}
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from examsvc.audit import repository
from examsvc.audit.actors import Actor
from examsvc.crypto.canonical_json import canonical_json
from examsvc.requestlog import current_request_id, remember_audit_entry


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record(*, db_session: Session, actor: Actor, action: str, subject_type: str, subject_id: str | int | None,
           details: dict[str, Any] | None = None) -> int:
    """Appends one entry for ``action`` and returns its index. ``details`` hold ids and digests:
    never question content, passwords, tokens or other secrets."""
    # RFC 8785 orders the keys: action, actor, details | index, prev | request_id, subject, time.
    # "index" and "prev" come from the locked head, so the repository completes the entry.
    before = canonical_json({"action": action, "actor": actor.as_entry(), "details": details or {}})
    after = canonical_json({
        "request_id": current_request_id(),
        "subject": {"type": subject_type, "id": None if subject_id is None else str(subject_id)},
        "time": rfc3339(datetime.now(UTC)),
    })
    index = repository.append(db_session, before[:-1] + b',"index":', b"," + after[1:])
    remember_audit_entry(index)
    return index
