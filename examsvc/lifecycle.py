"""The one way a record moves from one status to the next: checked, changed, and logged together."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.orm import Session

from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.errors import Conflict


class HasStatus(Protocol):
    id: int
    status: str


def advance(db_session: Session, row: HasStatus, *, expected: str, to: str, actor: Actor, action: str,
            subject_type: str, refusal: str, code: str, details: dict[str, Any] | None = None) -> None:
    """Moves ``row`` from ``expected`` to ``to`` and appends ``action`` to the audit log; anything
    else is a ``Conflict`` naming the row and its status."""
    if row.status != expected:
        raise Conflict(refusal, code=code, detail={f"{subject_type}_id": row.id, "status": row.status,
                                                   "expected": expected})
    row.status = to
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action=action, subject_type=subject_type, subject_id=row.id,
                 details=details or {})
