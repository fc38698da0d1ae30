"""Saving one answer (自动保存): the exam's hottest path, so it is lean.

A save that finds its attempt running reads everything it needs in one statement (the workstation by
its credential, the candidate session on that workstation, the attempt under a shared lock), writes
with one upsert and commits: three round trips, Core statements only. Anything else (no such session,
not started, paused, submitted, time up) goes the full way through ``access.authenticate`` and
``service``, which name the refusal exactly or submit an attempt whose time is up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from examsvc.attempts import clock, service
from examsvc.attempts.access import CandidateCredentials, authenticate
from examsvc.attempts.models import Answer, Attempt, AttemptStatus
from examsvc.crypto.envelope import KeyProvider
from examsvc.errors import InvalidInput
from examsvc.identity.tokens import digest_secret
from examsvc.sites.models import Workstation, WorkstationStatus
from examsvc.sittings.models import CandidateCheckIn

_answer = cast(Table, Answer.__table__)
_attempt = cast(Table, Attempt.__table__)
_check_in = cast(Table, CandidateCheckIn.__table__)
_workstation = cast(Table, Workstation.__table__)

_RUNNING = (
    select(_workstation.c.id.label("workstation_id"), _attempt.c.id, _attempt.c.status, _attempt.c.paused_at,
           _attempt.c.started_at, _attempt.c.duration_seconds, _attempt.c.extra_seconds, _attempt.c.pause_credit_ms,
           _attempt.c.shape)
    .join(_check_in, _check_in.c.workstation_id == _workstation.c.id)
    .join(_attempt, _attempt.c.registration_id == _check_in.c.registration_id)
    .where(_workstation.c.credential_digest == bindparam("workstation"),
           _workstation.c.status == WorkstationStatus.ACTIVE,
           _check_in.c.session_digest == bindparam("session"))
    .with_for_update(read=True, of=_attempt)  # a submission (exclusive lock) waits for this save
)


def _upsert(insert: Callable[[Table], Any]) -> Any:
    statement = insert(_answer).values(attempt_id=bindparam("attempt"), position=bindparam("position"),
                                       response=bindparam("response"), flagged=bindparam("flagged"),
                                       seq=bindparam("seq"), saved_at=bindparam("saved_at"))
    return statement.on_conflict_do_update(
        index_elements=[_answer.c.attempt_id, _answer.c.position],
        set_={"response": statement.excluded.response, "flagged": statement.excluded.flagged,
              "seq": statement.excluded.seq, "saved_at": statement.excluded.saved_at},
        where=_answer.c.seq < statement.excluded.seq,  # a stale or repeated save changes nothing
    ).returning(_answer.c.response, _answer.c.flagged, _answer.c.seq)


_UPSERT = {"postgresql": _upsert(postgresql.insert), "sqlite": _upsert(sqlite.insert)}
_STORED = select(_answer.c.response, _answer.c.flagged, _answer.c.seq).where(
    _answer.c.attempt_id == bindparam("attempt"), _answer.c.position == bindparam("position"))


@dataclass(frozen=True)
class Saved:
    attempt: Attempt
    answer: Answer
    accepted: bool  # False: a newer save (higher seq) was already stored; nothing changed


def _running(db_session: Session, credentials: CandidateCredentials, now: datetime,
             grace_seconds: int) -> Attempt | None:
    """The candidate's attempt when it takes saves right now (a detached copy of the row), else None."""
    row = db_session.connection().execute(_RUNNING, {
        "workstation": digest_secret(credentials.credential), "session": digest_secret(credentials.session)}).first()
    if row is None:
        return None
    attempt = Attempt(id=row.id, status=row.status, paused_at=row.paused_at, started_at=row.started_at,
                      duration_seconds=row.duration_seconds, extra_seconds=row.extra_seconds,
                      pause_credit_ms=row.pause_credit_ms, shape=row.shape)
    if (attempt.status != AttemptStatus.IN_PROGRESS or attempt.paused_at is not None
            or not clock.accepts_saves(attempt, now, grace_seconds)):
        return None
    credentials.request.scope.setdefault("state", {})["principal_label"] = f"workstation:{row.workstation_id}"
    return attempt


def save(*, db_session: Session, credentials: CandidateCredentials, position: int, response: str, seq: int,
         flagged: bool, now: datetime, grace_seconds: int, keys: KeyProvider) -> Saved:
    attempt = _running(db_session, credentials, now, grace_seconds)
    if attempt is None:
        candidate = authenticate(db_session, credentials)
        attempt = service.answering(db_session, candidate.registration, share=True, now=now,
                                    grace_seconds=grace_seconds, keys=keys)
    shapes = attempt.shape.split(",")
    if not 0 <= position < len(shapes):
        raise InvalidInput("试题序号超出范围。", code="bad_position",
                           detail={"position": position, "field": "position", "items": len(shapes)})
    value = service.normalise_response(shapes[position], position, response)
    connection = db_session.connection()
    stored = connection.execute(_UPSERT[connection.dialect.name], {
        "attempt": attempt.id, "position": position, "response": value, "flagged": flagged, "seq": seq,
        "saved_at": now}).first()
    if stored is None:  # a stale or repeated save: the stored one stands
        stored = connection.execute(_STORED, {"attempt": attempt.id, "position": position}).one()
    answer = Answer(attempt_id=attempt.id, position=position, response=stored.response, flagged=stored.flagged,
                    seq=stored.seq)
    return Saved(attempt=attempt, answer=answer, accepted=stored.seq == seq)  # a repeat is accepted again
