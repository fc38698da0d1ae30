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
from examsvc.tlog.proofs import nodes_appended
from examsvc.tlog.rfc6962 import leaf_hash


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record(*, db_session: Session, actor: Actor, action: str, subject_type: str, subject_id: str | int | None,
           details: dict[str, Any] | None = None) -> int:
    """Appends one entry for ``action`` and returns its index. ``details`` hold ids and digests:
    never question content, passwords, tokens or other secrets."""
    head = repository.lock_head(db_session)
    index = head.size
    entry = canonical_json({
        "index": index,
        "time": rfc3339(datetime.now(UTC)),
        "actor": actor.as_entry(),
        "action": action,
        "subject": {"type": subject_type, "id": None if subject_id is None else str(subject_id)},
        "details": details or {},
        "request_id": current_request_id(),
        "prev": head.last_leaf_hash.hex() if head.last_leaf_hash else "",
    })
    leaf = leaf_hash(entry)
    siblings = _left_siblings(index)
    stored = repository.nodes(db_session, siblings)
    created = dict(nodes_appended(index, leaf, stored.__getitem__))
    repository.append(db_session, index, entry, leaf, created)
    head.size = index + 1
    head.last_leaf_hash = leaf
    db_session.flush()
    remember_audit_entry(index)
    return index


def _left_siblings(index: int) -> list[tuple[int, int]]:
    wanted = []
    level, position = 0, index
    while position & 1:
        wanted.append((level, position - 1))
        level, position = level + 1, position >> 1
    return wanted
