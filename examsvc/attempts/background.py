"""Every few seconds: marks the service alive, crediting an outage it finds (see outage), then submits
attempts whose time is up (one of three equivalent paths; see service).

Only real downtime is credited: the process keeps its own record (liveness: a heartbeat on the event
loop, and which database failures meant the database was unreachable), so a sweep that merely ran
late is no outage."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from examsvc.attempts.liveness import Liveness, heartbeat
from examsvc.attempts.outage import credit_outage, threshold
from examsvc.attempts.service import DEADLINE_ACTOR, sweep
from examsvc.db import utcnow
from examsvc.spot import exams as spot_exams

logger = logging.getLogger("examsvc.attempts")


def liveness_of(app: FastAPI) -> Liveness:
    """The process's record of its downtime, begun at its first use (the start-up outage check)."""
    liveness: Liveness | None = getattr(app.state, "liveness", None)
    if liveness is None:
        liveness = app.state.liveness = Liveness(stall=threshold(app.state.settings.sweep_interval_seconds))
    return liveness


def credit_outage_once(app: FastAPI) -> int:
    settings, liveness = app.state.settings, liveness_of(app)
    try:
        with app.state.session_factory() as db_session, db_session.begin():
            credited = credit_outage(db_session, now=utcnow(), sweep_interval_seconds=settings.sweep_interval_seconds,
                                     was_down=liveness.was_down)
    except SQLAlchemyError as exc:
        liveness.database_failed(exc, utcnow())
        raise
    liveness.database_reached(utcnow())  # credit_outage logs what it credited, and only that
    return credited


def sweep_once(app: FastAPI) -> list[str]:
    credit_outage_once(app)  # first: an attempt whose deadline fell in the outage gets its time back
    with app.state.session_factory() as db_session, db_session.begin():
        done = sweep(db_session=db_session, now=utcnow(), grace_seconds=app.state.settings.answer_grace_seconds,
                     keys=app.state.paper_keys, via="sweep")
    with app.state.session_factory() as db_session, db_session.begin():
        spot_exams.sweep(db_session, now=utcnow(), keys=app.state.paper_keys, actor=DEADLINE_ACTOR)
    return done


async def sweep_loop(app: FastAPI, interval: float) -> None:
    beating = asyncio.create_task(heartbeat(liveness_of(app)))
    try:
        while True:
            try:
                done = await run_in_threadpool(sweep_once, app)
                if done:
                    logger.info("attempts submitted at their deadline", extra={"count": len(done)})
            except SQLAlchemyError as exc:
                logger.warning("deadline sweep failed", extra={"exception_type": type(exc).__name__})
            await asyncio.sleep(interval)
    finally:
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating


