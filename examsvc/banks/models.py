"""Banks, their versions, knowledge points and questions.

A published version never changes: the migration installs database triggers that refuse any
UPDATE or DELETE of its content (the only change allowed is published → retired).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examsvc.db import Base, UtcDateTime, utcnow


class VersionStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class Bank(Base):
    """A question bank (题库), identified by its code; its versions carry the content."""

    __tablename__ = "bank"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    versions: Mapped[list[BankVersion]] = relationship(back_populates="bank", order_by="BankVersion.id")


class BankVersion(Base):
    """One version of one part (national or provincial) of a bank."""

    __tablename__ = "bank_version"
    __table_args__ = (UniqueConstraint("bank_id", "part", "version_label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id"), index=True)
    part: Mapped[str] = mapped_column(String(16))
    version_label: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    province: Mapped[str] = mapped_column(String(40))
    # None for an awareness (应知应会) bank, which serves ``person_kinds`` instead (docs/bank-format.md, /2).
    personnel_category: Mapped[str | None] = mapped_column(String(32), nullable=True)
    industry: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(String(16), default="qualification")  # banks.document.Purpose
    person_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)  # banks.document.PersonKind values
    operation_item: Mapped[str | None] = mapped_column(String(8), nullable=True)
    catalogue_version: Mapped[str | None] = mapped_column(String(200), nullable=True)
    effective_date: Mapped[date] = mapped_column(Date)
    content_digest: Mapped[str] = mapped_column(String(64), index=True)
    # Random, set at publication, never logged: salts the per-field fingerprints the log carries
    # (banks.fingerprints). None for versions published before issue 15.
    field_salt: Mapped[str | None] = mapped_column(String(32), nullable=True)
    question_count: Mapped[int] = mapped_column(Integer)
    source_name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=VersionStatus.DRAFT)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    retired_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)

    bank: Mapped[Bank] = relationship(back_populates="versions", lazy="joined")
    knowledge_points: Mapped[list[KnowledgePoint]] = relationship(
        back_populates="bank_version", order_by="KnowledgePoint.id", cascade="all, delete-orphan",
        passive_deletes=True)

    @property
    def bank_code(self) -> str:
        return self.bank.code


class KnowledgePoint(Base):
    __tablename__ = "knowledge_point"
    __table_args__ = (UniqueConstraint("bank_version_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_version_id: Mapped[int] = mapped_column(ForeignKey("bank_version.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))

    bank_version: Mapped[BankVersion] = relationship(back_populates="knowledge_points")


class Question(Base):
    """A question (试题) of one bank version; ``key`` is stable across versions, ``revision`` counts changes."""

    __tablename__ = "question"
    __table_args__ = (UniqueConstraint("bank_version_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_version_id: Mapped[int] = mapped_column(ForeignKey("bank_version.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    revision: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(16))
    stem: Mapped[str] = mapped_column(Text)
    # [[label, text], …] in label order; [] for true/false.
    options: Mapped[list[list[str]]] = mapped_column(JSON)
    # "T"/"F" for true/false; sorted letters for choices.
    answer: Mapped[str] = mapped_column(String(8))
    explanation: Mapped[str] = mapped_column(Text)
    knowledge_point: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(8))
    difficulty: Mapped[int] = mapped_column(Integer)
    legal_basis: Mapped[str | None] = mapped_column(String(500), nullable=True)
    content_digest: Mapped[str] = mapped_column(String(64))
