"""Saving one answer (自动保存): the exam's hottest path, so it is lean.

A save that finds its attempt running reads everything it needs in one statement (the workstation by
its credential, the candidate session on that workstation, the attempt under a shared lock), writes
with one upsert and commits: Core statements only. On PostgreSQL that runs on the event loop
(``save_on_loop``), elsewhere in the request's worker thread (``save``). Anything else (no such
session, not started, paused, submitted, time up) goes the full way through ``access.authenticate``
and ``service``, which name the refusal exactly or submit an attempt whose time is up.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.rows import namedtuple_row
from sqlalchemy import Table, bindparam, func, insert, make_url, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from examsvc.attempts import clock, service
from examsvc.attempts.access import CandidateCredentials, authenticate
from examsvc.attempts.models import Answer, AnswerSave, Attempt, AttemptStatus
from examsvc.crypto import save_chain
from examsvc.crypto.envelope import KeyProvider
from examsvc.errors import InvalidInput
from examsvc.identity.tokens import digest_secret
from examsvc.sites.models import Workstation, WorkstationStatus
from examsvc.sittings.models import CandidateCheckIn

_answer = cast(Table, Answer.__table__)
_save = cast(Table, AnswerSave.__table__)
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


_JOURNALLED = (_answer.c.attempt_id, _answer.c.position, _answer.c.seq, _answer.c.response, _answer.c.flagged,
               _answer.c.saved_at, _answer.c.chain)


def _upsert(insert: Callable[[Table], Any]) -> Any:
    # The save chain advances in the same statement (issue 15): the first save of a question starts it
    # from the value computed here, a later one folds itself into the stored head, so the head is
    # always exactly the accepted saves in the order the database applied them.
    statement = insert(_answer).values(attempt_id=bindparam("attempt"), position=bindparam("position"),
                                       response=bindparam("response"), flagged=bindparam("flagged"),
                                       seq=bindparam("seq"), saved_at=bindparam("saved_at"),
                                       chain=bindparam("first_chain"))
    return statement.on_conflict_do_update(
        index_elements=[_answer.c.attempt_id, _answer.c.position],
        set_={"response": statement.excluded.response, "flagged": statement.excluded.flagged,
              "seq": statement.excluded.seq, "saved_at": statement.excluded.saved_at,
              "chain": func.examsvc_save_chain(_answer.c.chain, bindparam("save"))},
        where=_answer.c.seq < statement.excluded.seq,  # a stale or repeated save changes nothing
    ).returning(*_JOURNALLED)


# The journal row of an accepted save (SQLite: a second statement in the same transaction, in-process).
_JOURNAL = insert(_save).values({c.name: bindparam(c.name) for c in _JOURNALLED})


def _postgres_upsert() -> Any:
    """PostgreSQL journals the save in the upsert's own statement (a data-modifying CTE): one round trip."""
    saved = _upsert(postgresql.insert).cte("saved")
    journal = insert(_save).from_select([c.name for c in _JOURNALLED],
                                        select(*(saved.c[c.name] for c in _JOURNALLED))).cte("journal")
    return select(saved.c.response, saved.c.flagged, saved.c.seq).add_cte(journal)


_UPSERT = {"postgresql": _postgres_upsert(), "sqlite": _upsert(sqlite.insert)}
_STORED = select(_answer.c.response, _answer.c.flagged, _answer.c.seq).where(
    _answer.c.attempt_id == bindparam("attempt"), _answer.c.position == bindparam("position"))


@dataclass(frozen=True)
class Saved:
    attempt: Attempt
    answer: Answer
    accepted: bool  # False: a newer save (higher seq) was already stored; nothing changed


def _taking_saves(row: Any, credentials: CandidateCredentials, now: datetime, grace_seconds: int) -> Attempt | None:
    """The attempt of a ``_RUNNING`` row (a detached copy) when it takes saves right now, else None."""
    if row is None:
        return None
    paused_at = None if row.paused_at is None else row.paused_at.astimezone(UTC)  # psycopg: the session's zone
    attempt = Attempt(id=row.id, status=row.status, paused_at=paused_at, started_at=row.started_at.astimezone(UTC),
                      duration_seconds=row.duration_seconds, extra_seconds=row.extra_seconds,
                      pause_credit_ms=row.pause_credit_ms, shape=row.shape)
    if (attempt.status != AttemptStatus.IN_PROGRESS or attempt.paused_at is not None
            or not clock.accepts_saves(attempt, now, grace_seconds)):
        return None
    credentials.request.scope.setdefault("state", {})["principal_label"] = f"workstation:{row.workstation_id}"
    return attempt


def _running_params(credentials: CandidateCredentials) -> dict[str, Any]:
    return {"workstation": digest_secret(credentials.credential), "session": digest_secret(credentials.session)}


def _upsert_params(attempt: Attempt, position: int, response: str, seq: int, flagged: bool,
                   now: datetime) -> dict[str, Any]:
    shapes = attempt.shape.split(",")
    if not 0 <= position < len(shapes):
        raise InvalidInput("试题序号超出范围。", code="bad_position",
                           detail={"position": position, "field": "position", "items": len(shapes)})
    value = service.normalise_response(shapes[position], position, response)
    save = save_chain.canonical_save(position=position, seq=seq, response=value, flagged=flagged, saved_at=now)
    return {"attempt": attempt.id, "position": position, "response": value, "flagged": flagged, "seq": seq,
            "saved_at": now, "save": save, "first_chain": save_chain.advance("", save)}


def _saved(attempt: Attempt, position: int, seq: int, stored: Any) -> Saved:
    answer = Answer(attempt_id=attempt.id, position=position, response=stored.response, flagged=stored.flagged,
                    seq=stored.seq)
    return Saved(attempt=attempt, answer=answer, accepted=stored.seq == seq)  # a repeat is accepted again


def save(*, db_session: Session, credentials: CandidateCredentials, position: int, response: str, seq: int,
         flagged: bool, now: datetime, grace_seconds: int, keys: KeyProvider) -> Saved:
    connection = db_session.connection()
    attempt = _taking_saves(connection.execute(_RUNNING, _running_params(credentials)).first(), credentials, now,
                            grace_seconds)
    if attempt is None:
        candidate = authenticate(db_session, credentials)
        attempt = service.answering(db_session, candidate.registration, share=True, now=now,
                                    grace_seconds=grace_seconds, keys=keys)
    params = _upsert_params(attempt, position, response, seq, flagged, now)
    stored = connection.execute(_UPSERT[connection.dialect.name], params).first()
    if stored is None:  # a stale or repeated save: the stored one stands
        stored = connection.execute(_STORED, params).one()
    elif connection.dialect.name != "postgresql":
        connection.execute(_JOURNAL, stored._asdict())
    return _saved(attempt, position, seq, stored)


# On PostgreSQL the common case runs on the event loop with psycopg's asynchronous driver: the same
# statements, compiled once, without the worker-thread hop and SQLAlchemy's execution layer (about
# 30 % of a save's time holding the GIL, docs/performance.md). What it cannot settle goes the full way.

def _postgres(statement: Any) -> tuple[str, dict[str, Any]]:
    compiled = statement.compile(dialect=postgresql.psycopg.dialect())  # type: ignore[no-untyped-call]
    # The statement's own literals (a status), as plain strings: psycopg would send an enum's name.
    return str(compiled), {k: str(v) for k, v in compiled.params.items() if v is not None}


_PG_RUNNING, _PG_RUNNING_FIXED = _postgres(_RUNNING)
_PG_UPSERT, _ = _postgres(_UPSERT["postgresql"])
_PG_STORED, _ = _postgres(_STORED)


class LoopConnections:
    """Autocommit psycopg connections for saves made on the event loop, kept per loop and opened when
    first needed; the admission gate bounds how many are in use at once."""

    def __init__(self, sqlalchemy_url: str) -> None:
        self.conninfo = make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._idle: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[psycopg.AsyncConnection[Any]]] = (
            weakref.WeakKeyDictionary())

    async def acquire(self) -> psycopg.AsyncConnection[Any]:
        idle = self._idle.setdefault(asyncio.get_running_loop(), [])
        if idle:
            return idle.pop()
        return await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)

    async def release(self, connection: psycopg.AsyncConnection[Any]) -> None:
        # Only a connection known to be clean goes back: not one broken, nor one left inside a
        # transaction (a save interrupted before its rollback finished).
        if connection.broken or connection.closed or connection.info.transaction_status != TransactionStatus.IDLE:
            await connection.close()
            return
        self._idle.setdefault(asyncio.get_running_loop(), []).append(connection)

    async def close(self) -> None:
        for connection in self._idle.pop(asyncio.get_running_loop(), []):
            await connection.close()


async def save_on_loop(connections: LoopConnections, *, credentials: CandidateCredentials, position: int,
                       response: str, seq: int, flagged: bool, now: datetime, grace_seconds: int) -> Saved | None:
    """``save`` for a running attempt on PostgreSQL, committed before it returns; None: take the full way."""
    connection = await connections.acquire()
    try:
        async with connection.transaction():
            cursor = connection.cursor(row_factory=namedtuple_row)
            await cursor.execute(_PG_RUNNING, _PG_RUNNING_FIXED | _running_params(credentials))
            attempt = _taking_saves(await cursor.fetchone(), credentials, now, grace_seconds)
            if attempt is None:
                return None
            params = _upsert_params(attempt, position, response, seq, flagged, now)
            await cursor.execute(_PG_UPSERT, params)
            stored = await cursor.fetchone()
            if stored is None:  # a stale or repeated save: the stored one stands
                await cursor.execute(_PG_STORED, params)
                stored = await cursor.fetchone()
        return _saved(attempt, position, seq, stored)
    finally:
        await connections.release(connection)
