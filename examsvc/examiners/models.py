from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from examsvc.db import Base, UtcDateTime, utcnow


class ExaminerKey(Base):
    """A chief examiner's Ed25519 key. The private half is stored only encrypted under a key derived
    from their passphrase (scrypt): the server cannot sign as them without it."""

    __tablename__ = "examiner_key"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    key_name: Mapped[str] = mapped_column(String(200))
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    kdf_salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    kdf_cost_log2: Mapped[int] = mapped_column(Integer)
    sealed_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ExaminerExchangeKey(Base):
    """The X25519 public key of a chief examiner, to which a paper set's data key is sealed until the
    sitting opens (issue 14 item 13). Its private half is never stored: it is derived from the Ed25519
    private key (``examiners.exchange``), so the same passphrase unlocks both. A row of its own, not a
    column of ``examiner_key``: that table is immutable (database triggers), and keys made before this
    existed get their row at their next unlock."""

    __tablename__ = "examiner_exchange_key"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
