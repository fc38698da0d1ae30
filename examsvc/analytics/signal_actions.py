"""A person's action on a signal: a row in signal_action and an audit entry, in the same transaction. The
note stays in the table; the log carries its digest (like a certificate event's reason), so the log's
copies outside the system carry no free text about a candidate."""

from __future__ import annotations

import hashlib
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.analytics.signal_models import SignalAction
from examsvc.analytics.signals import Kind, Signal, signals_for
from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.db import utcnow
from examsvc.errors import NotFound
from examsvc.sittings.models import Sitting

MAX_NOTE_CHARS = 1000


class Action(StrEnum):
    REVIEWED = "reviewed"
    REFERRED = "referred"  # 移交调查
    DISMISSED = "dismissed"


ACTION_NAMES = {Action.REVIEWED: "已复核", Action.REFERRED: "移交调查", Action.DISMISSED: "排除"}


def find(db_session: Session, *, sitting: Sitting, signal_id: str, kind: Kind | None = None) -> Signal:
    """The sitting's signal with this id, computed now; 404 if the data no longer raise it."""
    # The id is a digest and does not say its kind: every kind is computed.
    for signal in signals_for(db_session, sitting, kind):
        if signal.id == signal_id:
            return signal
    raise NotFound("该场次没有此异常线索。", code="signal_not_found", detail={"signal_id": signal_id})


def act(db_session: Session, *, sitting: Sitting, signal: Signal, action: Action, note: str,
        actor: Actor) -> SignalAction:
    details = {"sitting": sitting.code, "kind": str(signal.kind), "action": str(action),
               "note_digest": hashlib.sha256(note.encode()).hexdigest()}
    index = audit.record_now(db_session=db_session, actor=actor, action=f"signal.{action}",
                             subject_type="signal", subject_id=signal.id, details=details)
    row = SignalAction(signal_id=signal.id, kind=str(signal.kind), sitting_id=sitting.id, action=str(action),
                       note=note, actor_id=actor.user_id, log_index=index, at=utcnow())
    db_session.add(row)
    db_session.flush()
    return row


def actions_of(db_session: Session, *, sitting: Sitting) -> dict[str, list[SignalAction]]:
    out: dict[str, list[SignalAction]] = {}
    for row in db_session.scalars(select(SignalAction).where(SignalAction.sitting_id == sitting.id)
                                  .order_by(SignalAction.id)):
        out.setdefault(row.signal_id, []).append(row)
    return out
