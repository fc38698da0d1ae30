from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from examsvc.db import Base, UtcDateTime, utcnow


class PaperSetStatus(StrEnum):
    SEALED = "sealed"  # made and signed by the service; waiting for the chief examiner
    APPROVED = "approved"  # the chief examiner's signature is on the manifest
    OPENED = "opened"  # the sitting opened: the data key was released
    CLOSED = "closed"  # the sitting closed: the seed was revealed


class PaperSet(Base):
    """The papers of one sitting (or a supplement for late candidates), under one signed manifest."""

    __tablename__ = "paper_set"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sitting_code: Mapped[str] = mapped_column(String(40), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("paper_set.id"), nullable=True)
    blueprint_version_id: Mapped[int] = mapped_column(ForeignKey("blueprint_version.id"))
    seed_commitment: Mapped[str] = mapped_column(String(64))
    sealed_seed: Mapped[bytes] = mapped_column(LargeBinary)  # under the data key, until revealed
    # Empty until the sitting opens: the data key wrapped by the key-encryption key alone (what exam starts use).
    wrapped_data_key: Mapped[bytes] = mapped_column(LargeBinary)
    # Until then the data key exists only sealed to the sitting's chief examiner's X25519 key and wrapped by
    # the key-encryption key on top: opening needs the chief's passphrase and the service's key together.
    chief_sealed_data_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    sealed_to_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    key_id: Mapped[str] = mapped_column(String(100))
    paper_count: Mapped[int] = mapped_column(Integer)
    merkle_root: Mapped[str] = mapped_column(String(64))
    manifest: Mapped[str] = mapped_column(Text)  # C2SP signed note: the service's, then the chief examiner's line
    status: Mapped[str] = mapped_column(String(16), default=PaperSetStatus.SEALED)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revealed_seed: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Paper(Base):
    """One candidate's sealed paper. Rows are append-only (database triggers)."""

    __tablename__ = "paper"
    __table_args__ = (UniqueConstraint("paper_set_id", "candidate"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_set_id: Mapped[int] = mapped_column(ForeignKey("paper_set.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # admission-number order: the manifest tree's leaf index
    candidate: Mapped[str] = mapped_column(String(40))  # admission number (准考证号)
    digest: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)  # AES-256-GCM under the set's data key
