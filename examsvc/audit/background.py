"""Signs a checkpoint every few seconds while the log grows (the service's own monitor loop)."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from examsvc.audit.checkpoints import InconsistentLog, sign_if_grown

logger = logging.getLogger("examsvc.audit")


def sign_once(app: FastAPI) -> int:
    with app.state.session_factory() as db_session, db_session.begin():
        return sign_if_grown(db_session=db_session, signer=app.state.log_signer).tree_size


async def checkpoint_loop(app: FastAPI, interval: float) -> None:
    last = -1
    while True:
        try:
            size = await run_in_threadpool(sign_once, app)
            if size != last:
                logger.info("checkpoint signed", extra={"tree_size": size})
                last = size
        except InconsistentLog:
            # Never sign over an altered log; shout, and keep refusing on every round.
            logger.critical("the audit log does not extend its last signed checkpoint: refusing to sign")
        except SQLAlchemyError as exc:
            logger.warning("checkpoint signing failed", extra={"exception_type": type(exc).__name__})
        await asyncio.sleep(interval)
