"""Signs a checkpoint every few seconds while the log grows (the service's own monitor loop), and beside
it submits the newest checkpoint to the configured witnesses (C2SP tlog-witness)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx
from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from examsvc.audit.checkpoints import InconsistentLog, sign_if_grown
from examsvc.audit.witness_client import submit_blocking
from examsvc.audit.witnesses import configured

logger = logging.getLogger("examsvc.audit")


def sign_once(app: FastAPI) -> int:
    with app.state.session_factory() as db_session, db_session.begin():
        return sign_if_grown(db_session=db_session, signer=app.state.log_signer).tree_size


async def witness_loop(app: FastAPI, interval: float) -> None:
    """Each round, every witness in parallel, each in a worker thread of its own: a slow or dead witness
    delays only its own next round, never a request, the exam or the signer."""
    witnesses = configured(app.state.settings)
    if not witnesses:
        if app.state.settings.environment == "production":
            logger.warning("no witnesses configured (EXAMSVC_WITNESSES): the log's checkpoints do not leave the "
                           "system, so an owner of the database and the log key can rewrite it unseen")
        return
    timeout = app.state.settings.witness_timeout_seconds
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        while True:
            results = await asyncio.gather(
                *(run_in_threadpool(submit_blocking, app.state.session_factory, w, client) for w in witnesses),
                return_exceptions=True)
            for witness, result in zip(witnesses, results, strict=True):
                if isinstance(result, BaseException):
                    # The loop must outlive any failure (a database hiccup, a bug): report and go on.
                    logger.warning("witness submission crashed", extra={"witness": witness.cosigner.name,
                                                                        "exception_type": type(result).__name__})
            await asyncio.sleep(interval)


async def checkpoint_loop(app: FastAPI, interval: float) -> None:
    witnesses = asyncio.create_task(witness_loop(app, interval))
    last = -1
    try:
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
    finally:
        witnesses.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await witnesses
