"""Submitting the log's newest checkpoint to each witness (C2SP tlog-witness §add-checkpoint, client side).

For each witness: the newest signed checkpoint, with an RFC 6962 §2.1.2 consistency proof from the size
the witness last cosigned (taken from the cosignatures we hold; 0 at first). A 409 answer carries the
witness's real size: the submission is rebuilt from that size and sent again. 200: the cosignature is
verified against the configured witness key and stored. Anything else (422 = the witness found our
log inconsistent with what it cosigned; 403/404 = it does not know our key or origin; network errors)
is reported and retried next round: never raised into a request or the exam.

The protocol steps are plain functions over a database session (``prepare`` and ``record``) so that
the server's background loop (async HTTP) and the CLI (blocking HTTP) share them. Outbound HTTP goes to
the configured witness URLs only, without following redirects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from examsvc.audit import repository
from examsvc.audit.witnesses import WitnessEndpoint, store_cosignatures
from examsvc.tlog.cosignature import CosignatureError
from examsvc.tlog.proofs import consistency_proof, nodes_for_consistency
from examsvc.tlog.witness_protocol import PATH, SIZE_CONTENT_TYPE, AddCheckpoint, WitnessProtocolError, parse_size_body

logger = logging.getLogger("examsvc.audit.witness")
ATTEMPTS = 3  # a 409 tells the witness's size; one retry normally settles it


@dataclass(frozen=True)
class Submission:
    witness: WitnessEndpoint
    tree_size: int
    request: AddCheckpoint


@dataclass(frozen=True)
class Outcome:
    """What one answer meant: ``done`` (cosigned, or nothing to do), ``retry_from`` (409: the witness's
    size), or ``problem`` (reported, retried next round)."""

    done: bool = False
    retry_from: int | None = None
    problem: str | None = None


def prepare(db_session: Session, witness: WitnessEndpoint, old_size: int | None) -> Submission | Outcome:
    """The add-checkpoint request for the newest checkpoint, from ``old_size`` (None: the largest size
    this witness cosigned for us)."""
    latest = repository.latest_checkpoint(db_session)
    if latest is None or repository.has_cosignature(db_session, latest.tree_size, witness.key_id):
        return Outcome(done=True)
    if old_size is None:
        old_size = repository.last_cosigned_size(db_session, witness.key_id)
    size = latest.tree_size
    if old_size > size:
        return Outcome(problem=f"witness {witness.cosigner.name} has cosigned size {old_size}, larger than the "
                               f"log's newest checkpoint {size}: the log was rolled back or forked")
    proof: list[bytes] = []
    if 0 < old_size < size:
        proof = consistency_proof(old_size, size, repository.nodes(db_session, nodes_for_consistency(old_size, size)))
    return Submission(witness=witness, tree_size=size,
                      request=AddCheckpoint(old_size=old_size, proof=proof, note=latest.note))


def record(db_session: Session, submission: Submission, status: int, content_type: str, text: str) -> Outcome:
    name = submission.witness.cosigner.name
    if status == 200:
        checkpoint = repository.checkpoint_at(db_session, submission.tree_size)
        assert checkpoint is not None  # checkpoints are never deleted
        try:
            with db_session.begin_nested():
                store_cosignatures(db_session, checkpoint, submission.witness, text)
        except CosignatureError as exc:
            return Outcome(problem=str(exc))
        except IntegrityError:
            pass  # another worker stored the same cosignature first
        return Outcome(done=True)
    if status == 409 and content_type.split(";")[0].strip() == SIZE_CONTENT_TYPE:
        try:
            size = parse_size_body(text)
        except WitnessProtocolError as exc:
            return Outcome(problem=f"witness {name} answered 409 with a bad size: {exc}")
        if size == submission.request.old_size:
            # Same old size but still a conflict: the witness holds a different root for our size (a fork).
            return Outcome(problem=f"witness {name} refused checkpoint {submission.tree_size}: it cosigned a "
                                   f"different tree of size {size} (409)")
        return Outcome(retry_from=size)
    reason = {403: "it does not trust the log's key", 404: "it does not know the log's origin",
              422: "the consistency proof from what it cosigned does not verify: the log was rewritten"}.get(
        status, "unexpected answer")
    return Outcome(problem=f"witness {name} refused checkpoint {submission.tree_size} ({status}): {reason}; "
                           f"it said: {text.strip()[:300]}")


def _report(witness: WitnessEndpoint, outcome: Outcome) -> Outcome:
    if outcome.problem is not None:
        level = logging.CRITICAL if "rewritten" in outcome.problem or "fork" in outcome.problem else logging.WARNING
        logger.log(level, "witness submission failed", extra={"witness": witness.cosigner.name,
                                                               "reason": outcome.problem})
    return outcome


def submit_blocking(session_factory: Callable[[], Session], witness: WitnessEndpoint, client: httpx.Client) -> Outcome:
    """One witness, with blocking HTTP (the CLI). Each database step is its own short transaction, so no
    lock is held while waiting for the network."""
    old_size: int | None = None
    for _ in range(ATTEMPTS):
        with session_factory() as db_session, db_session.begin():
            step = prepare(db_session, witness, old_size)
        if isinstance(step, Outcome):
            return _report(witness, step)
        try:
            response = client.post(witness.url + PATH, content=step.request.body())
        except httpx.HTTPError as exc:
            return _report(witness, Outcome(problem=f"witness {witness.cosigner.name} unreachable: "
                                                    f"{type(exc).__name__}: {exc}"))
        with session_factory() as db_session, db_session.begin():
            outcome = record(db_session, step, response.status_code, response.headers.get("content-type", ""),
                             response.text)
        if outcome.retry_from is None:
            return _report(witness, outcome)
        old_size = outcome.retry_from
    return _report(witness, Outcome(problem=f"witness {witness.cosigner.name}: still conflicting after "
                                            f"{ATTEMPTS} attempts"))
