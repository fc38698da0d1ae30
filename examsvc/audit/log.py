"""Appending to the log: the one way every state-changing action is recorded.

An entry is written in the caller's transaction, so the action and its entry commit or vanish
together. ``record`` composes the entry at once and queues it on the session; the queue is appended
just before the transaction commits (``before_commit``). Appending locks the log's head row until
COMMIT, so appending last keeps that lock for one round trip instead of the rest of the request:
concurrent requests that each log an action (a start storm) no longer queue behind each other's work.

The entry (docs/audit-log.md) is the RFC 8785 encoding of::

    {"index": n, "time": RFC 3339 UTC, "actor": {...}, "action": "bank.version.published",
     "subject": {"type": ..., "id": ...}, "details": {ids and digests only}, "request_id": ... | null,
     "prev": hex SHA-256 leaf hash of entry n-1 ("" for entry 0)}
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from examsvc.audit import repository
from examsvc.audit.actors import Actor
from examsvc.crypto.canonical_json import canonical_json
from examsvc.requestlog import current_request_id, remember_audit_entry


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_PENDING = "examsvc.audit.pending"


def record(*, db_session: Session, actor: Actor, action: str, subject_type: str, subject_id: str | int | None,
           details: dict[str, Any] | None = None) -> None:
    """Records one entry for ``action``, appended when the transaction commits. ``details`` hold ids
    and digests: never question content, passwords, tokens or other secrets."""
    # RFC 8785 orders the keys: action, actor, details | index, prev | request_id, subject, time.
    # "index" and "prev" come from the locked head, so the repository completes the entry.
    before = canonical_json({"action": action, "actor": actor.as_entry(), "details": details or {}})
    after = canonical_json({
        "request_id": current_request_id(),
        "subject": {"type": subject_type, "id": None if subject_id is None else str(subject_id)},
        "time": rfc3339(datetime.now(UTC)),
    })
    db_session.info.setdefault(_PENDING, []).append((before[:-1] + b',"index":', b"," + after[1:]))


def append_pending(db_session: Session) -> None:
    """Appends the entries recorded in this transaction, in the order they were recorded. Runs before
    every commit; call it directly only to read the log, within the transaction, with them included."""
    for prefix, suffix in db_session.info.pop(_PENDING, ()):
        remember_audit_entry(repository.append(db_session, prefix, suffix))


def record_now(*, db_session: Session, actor: Actor, action: str, subject_type: str, subject_id: str | int | None,
               details: dict[str, Any] | None = None) -> int:
    """``record``, appended at once (with any entries recorded before it): its index, for a row that must name
    its entry (a certificate's event). The log's head stays locked until the transaction ends."""
    record(db_session=db_session, actor=actor, action=action, subject_type=subject_type, subject_id=subject_id,
           details=details)
    index = -1
    for prefix, suffix in db_session.info.pop(_PENDING, ()):
        index = repository.append(db_session, prefix, suffix)
        remember_audit_entry(index)
    return index


@event.listens_for(Session, "before_commit")
def _append_before_commit(db_session: Session) -> None:
    append_pending(db_session)


@event.listens_for(Session, "after_transaction_end")
def _forget_after_rollback(db_session: Session, transaction: SessionTransaction) -> None:
    # A transaction that ends without committing (rollback, close) takes its entries with it.
    if transaction.parent is None:
        db_session.info.pop(_PENDING, None)
