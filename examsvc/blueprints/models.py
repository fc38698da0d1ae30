from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from examsvc.db import Base, UtcDateTime, utcnow


class BlueprintStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"  # active: papers may be made under it
    REJECTED = "rejected"
    RETIRED = "retired"


class BlueprintVersion(Base):
    """One version of a composition rule (组卷规则). Approved versions never change (database triggers)."""

    __tablename__ = "blueprint_version"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    document: Mapped[str] = mapped_column(Text)  # RFC 8785 JSON of the rule
    digest: Mapped[str] = mapped_column(String(64))
    national_bank_version_id: Mapped[int] = mapped_column(ForeignKey("bank_version.id"))
    provincial_bank_version_id: Mapped[int | None] = mapped_column(ForeignKey("bank_version.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=BlueprintStatus.DRAFT)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # The chief examiner's signed note over the rule's and banks' digests (C2SP signed-note).
    approval_note: Mapped[str | None] = mapped_column(Text, nullable=True)
