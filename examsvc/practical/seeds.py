"""A practical sitting's draw seed: committed (its SHA-256 logged) when the sitting opens, kept wrapped
under the key-encryption key, revealed into the log when the sitting closes.

Unlike a paper set's data key it is not sealed to the chief examiner: it is drawn at the opening (which
needs the chief's passphrase), so before the opening there is no seed to keep from anyone, and the
draws it serves all happen after it (docs/security.md)."""

from __future__ import annotations

import hashlib
import os

from sqlalchemy.orm import Session

from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.crypto.envelope import KeyProvider
from examsvc.errors import Conflict
from examsvc.practical.models import PracticalSeed
from examsvc.sittings.models import Sitting


def _binding(sitting: Sitting) -> bytes:
    return f"practical-seed\n{sitting.id}\n{sitting.code}\n".encode()


def commit_seed(db_session: Session, sitting: Sitting, keys: KeyProvider, actor: Actor) -> None:
    """At opening: a fresh seed, wrapped under the key-encryption key; its commitment is logged."""
    seed = os.urandom(32)
    row = PracticalSeed(sitting_id=sitting.id, commitment=hashlib.sha256(seed).hexdigest(),
                        wrapped_seed=keys.wrap(seed, _binding(sitting)), key_id=keys.key_id)
    db_session.add(row)
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="practical.seed_committed", subject_type="sitting",
                 subject_id=sitting.id, details={"sitting": sitting.code, "seed_commitment": row.commitment})


def reveal_seed(db_session: Session, sitting: Sitting, keys: KeyProvider, actor: Actor) -> None:
    row = db_session.get(PracticalSeed, sitting.id)
    if row is None:
        return
    seed = keys.unwrap(row.wrapped_seed, _binding(sitting))
    row.revealed_seed = seed.hex()
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="practical.seed_revealed", subject_type="sitting",
                 subject_id=sitting.id, details={"sitting": sitting.code, "seed": seed.hex(),
                                                 "seed_commitment": row.commitment})


def unwrap(db_session: Session, sitting: Sitting, keys: KeyProvider) -> bytes:
    row = db_session.get(PracticalSeed, sitting.id)
    if row is None:
        raise Conflict("该场次尚无抽题种子（场次开考时生成）。", code="no_seed", detail={"sitting": sitting.code})
    return keys.unwrap(row.wrapped_seed, _binding(sitting))
