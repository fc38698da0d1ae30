"""Chief examiners' keys: made with a passphrase, unlocked only for the moment of a signature."""

from __future__ import annotations

import hashlib
import os

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.crypto.envelope import EnvelopeError, open_sealed, seal
from examsvc.crypto.signed_note import Ed25519Signer, Verifier
from examsvc.db import utcnow
from examsvc.errors import Conflict, Forbidden, InvalidInput, NotFound
from examsvc.examiners import exchange
from examsvc.examiners.models import ExaminerKey
from examsvc.identity import throttle
from examsvc.identity.models import UserAccount
from examsvc.limits import PASSPHRASE_MIN, PASSPHRASE_RULE


def _derive(passphrase: str, salt: bytes, cost_log2: int) -> bytes:
    n = 1 << cost_log2
    return hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, n=n, r=8, p=1, maxmem=256 * n * 8 + (1 << 20),
                          dklen=32)


def _binding(user_id: int, key_name: str) -> bytes:
    return f"examsvc examiner key\n{user_id}\n{key_name}\n".encode()


def key_name(origin: str, username: str) -> str:
    return f"{origin}/examiner/{username}"


def create_key(*, db_session: Session, user: UserAccount, passphrase: str, origin: str, cost_log2: int,
               actor: Actor) -> Verifier:
    if len(passphrase) < PASSPHRASE_MIN:
        raise InvalidInput(f"{PASSPHRASE_RULE}。", code="weak_passphrase",
                           detail={"field": "passphrase"})
    if db_session.get(ExaminerKey, user.id) is not None:
        raise Conflict("已有签名密钥。", code="examiner_key_exists", detail={"user_id": user.id})
    private = Ed25519PrivateKey.generate()
    name = key_name(origin, user.username)
    salt = os.urandom(16)
    sealed = seal(_derive(passphrase, salt, cost_log2), private.private_bytes_raw(), _binding(user.id, name))
    public = private.public_key().public_bytes_raw()
    db_session.add(ExaminerKey(user_id=user.id, key_name=name, public_key=public, kdf_salt=salt,
                               kdf_cost_log2=cost_log2, sealed_private_key=sealed))
    db_session.flush()
    verifier = Verifier(name=name, public_key=public)
    audit.record(db_session=db_session, actor=actor, action="examiner.key_created", subject_type="user",
                 subject_id=user.id, details={"vkey": verifier.vkey()})
    # The X25519 key paper sets are sealed to (issue 14 item 13), derived from the same private key.
    exchange.private_key(db_session, user.id, Ed25519Signer(name, private), actor)
    return verifier


def verifier_for(*, db_session: Session, user_id: int) -> Verifier:
    row = db_session.get(ExaminerKey, user_id)
    if row is None:
        raise NotFound("该主考官尚未创建签名密钥。", code="examiner_key_missing", detail={"user_id": user_id})
    return Verifier(name=row.key_name, public_key=bytes(row.public_key))


def unlock(*, db_session: Session, user_id: int, passphrase: str,
           rule: throttle.Rule = throttle.DEFAULT_RULE) -> Ed25519Signer:
    """The examiner's signer, for one signature; a wrong passphrase gets nothing.

    Wrong passphrases are counted and logged, and past ``rule.free_failures`` in a row the examiner
    must wait, doubling (429, before any hashing; issue 14 item 7). The caller's work is rolled back
    on the refusal, so the count is written after that rollback, in a transaction of its own
    (``WrongPassphrase.after_rollback``, run by db.request_transaction)."""
    now = utcnow()
    throttle.refuse_if_waiting(db_session, scope=throttle.Scope.PASSPHRASE, subject=str(user_id), now=now)
    row = db_session.get(ExaminerKey, user_id)
    if row is None:
        raise NotFound("该主考官尚未创建签名密钥。", code="examiner_key_missing", detail={"user_id": user_id})
    try:
        raw = open_sealed(_derive(passphrase, bytes(row.kdf_salt), row.kdf_cost_log2), bytes(row.sealed_private_key),
                          _binding(user_id, row.key_name))
    except EnvelopeError:
        raise WrongPassphrase(user_id, rule) from None
    throttle.forget(db_session, scope=throttle.Scope.PASSPHRASE, subject=str(user_id))
    return Ed25519Signer(row.key_name, Ed25519PrivateKey.from_private_bytes(raw))


class WrongPassphrase(Forbidden):
    code = "wrong_passphrase"
    message = "签名口令不正确。"

    def __init__(self, user_id: int, rule: throttle.Rule) -> None:
        super().__init__()
        self.user_id, self.rule = user_id, rule

    def after_rollback(self, db_session: Session) -> None:
        failure = throttle.record_failure(db_session, scope=throttle.Scope.PASSPHRASE, subject=str(self.user_id),
                                          rule=self.rule, now=utcnow())
        audit.record(db_session=db_session, actor=Actor.system("passphrase"),
                     action="examiner.passphrase_throttled" if failure.wait else "examiner.passphrase_failed",
                     subject_type="user", subject_id=self.user_id, details=failure.details())
