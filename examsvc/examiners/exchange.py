"""A chief examiner's X25519 key: the key a paper set's data key is sealed to until the sitting opens.

The private half is derived from the examiner's Ed25519 private key (HKDF-SHA256 with info ``INFO``),
so it exists only while their passphrase has unlocked that key; the database holds the public half.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy.orm import Session

from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.crypto.recipient import public_bytes
from examsvc.crypto.signed_note import Ed25519Signer
from examsvc.errors import Conflict
from examsvc.examiners.models import ExaminerExchangeKey, ExaminerKey

INFO = b"examsvc examiner x25519"


def derive(signer: Ed25519Signer) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(signer.derive_secret(INFO))


def private_key(db_session: Session, user_id: int, signer: Ed25519Signer, actor: Actor) -> X25519PrivateKey:
    """The X25519 private key of an unlocked examiner key; records its public half if not yet recorded
    (keys made before the exchange key existed get it at their next unlock)."""
    private = derive(signer)
    if db_session.get(ExaminerExchangeKey, user_id) is None:
        public = public_bytes(private)
        db_session.add(ExaminerExchangeKey(user_id=user_id, public_key=public))
        db_session.flush()
        audit.record(db_session=db_session, actor=actor, action="examiner.exchange_key_recorded", subject_type="user",
                     subject_id=user_id, details={"x25519_public_key": public.hex()})
    return private


def public_key(db_session: Session, user_id: int) -> bytes:
    """The public key a set is sealed to; refused (a state to fix, not a missing page) without one."""
    row = db_session.get(ExaminerExchangeKey, user_id)
    if row is None:
        made = db_session.get(ExaminerKey, user_id) is not None
        raise Conflict("本场次主考官尚未创建签名密钥，不能生成试卷（试卷密钥须封存给主考官）。" if not made else
                       "本场次主考官的密钥尚无开考用的交换密钥："
                       "请主考官用口令调用 POST /examiners/me/key/exchange 一次。",
                       code="examiner_key_missing", detail={"user_id": user_id, "signing_key": made})
    return bytes(row.public_key)
