"""Submits attempts whose time is up, every few seconds (one of three equivalent paths; see service)."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from examsvc.attempts.service import sweep
from examsvc.db import utcnow

logger = logging.getLogger("examsvc.attempts")


def sweep_once(app: FastAPI) -> list[str]:
    with app.state.session_factory() as db_session, db_session.begin():
        return sweep(db_session=db_session, now=utcnow(), grace_seconds=app.state.settings.answer_grace_seconds,
                     keys=app.state.paper_keys, via="sweep")


async def sweep_loop(app: FastAPI, interval: float) -> None:
    while True:
        try:
            done = await run_in_threadpool(sweep_once, app)
            if done:
                logger.info("attempts submitted at their deadline", extra={"count": len(done)})
        except SQLAlchemyError as exc:
            logger.warning("deadline sweep failed", extra={"exception_type": type(exc).__name__})
        await asyncio.sleep(interval)
