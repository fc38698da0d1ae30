"""Practical bank versions and their items. A published version never changes (database triggers)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from examsvc.db import Base, UtcDateTime, utcnow


class PracticalBankVersion(Base):
    __tablename__ = "practical_bank_version"
    __table_args__ = (UniqueConstraint("code", "version_label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    version_label: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    province: Mapped[str] = mapped_column(String(40))
    operation_item: Mapped[str] = mapped_column(String(8))
    operation_item_name: Mapped[str] = mapped_column(String(100))
    effective_date: Mapped[date] = mapped_column(Date)
    sources: Mapped[list[str]] = mapped_column(JSON)
    content_digest: Mapped[str] = mapped_column(String(64), index=True)
    item_count: Mapped[int] = mapped_column(Integer)
    source_name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class PracticalItemRow(Base):
    __tablename__ = "practical_item"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("practical_bank_version.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(4))
    title: Mapped[str] = mapped_column(String(200))
    time_limit_minutes: Mapped[int] = mapped_column(Integer)
    full_marks: Mapped[int] = mapped_column(Integer)
    task: Mapped[str] = mapped_column(Text)
    equipment: Mapped[list[str]] = mapped_column(JSON)
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    content_digest: Mapped[str] = mapped_column(String(64))


class PracticalRuleVersion(Base):
    """One version of a practical exam rule (实操考试规则): drafted by an exam admin, approved with a
    chief examiner's signature, immutable once approved (database triggers)."""

    __tablename__ = "practical_rule"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    document: Mapped[str] = mapped_column(Text)  # RFC 8785 JSON of the rule
    digest: Mapped[str] = mapped_column(String(64))
    bank_version_id: Mapped[int] = mapped_column(ForeignKey("practical_bank_version.id"))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    approval_note: Mapped[str | None] = mapped_column(Text, nullable=True)


class PracticalDraw(Base):
    """The item a candidate performs for a subject: drawn by the system from the seed, or by the
    candidate on site and recorded by an evaluator. Append-only."""

    __tablename__ = "practical_draw"
    __table_args__ = (UniqueConstraint("registration_id", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"))
    subject: Mapped[str] = mapped_column(String(4))
    item_key: Mapped[str] = mapped_column(String(40))
    drawn_by: Mapped[str] = mapped_column(String(16))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    drawn_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PracticalMark(Base):
    """One evaluator's sealed score sheet for one candidate's subject. Append-only: a submitted sheet
    changes only through a review, which adds a result version."""

    __tablename__ = "practical_mark"
    __table_args__ = (UniqueConstraint("registration_id", "subject", "evaluator_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"))
    subject: Mapped[str] = mapped_column(String(4))
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    document: Mapped[str] = mapped_column(Text)  # canonical JSON: item, marks per criterion, subject score
    digest: Mapped[str] = mapped_column(String(64))
    tenths: Mapped[int] = mapped_column(Integer)
    veto_failed: Mapped[bool] = mapped_column(Boolean)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PracticalDecision(Base):
    """The chief examiner's decision where two evaluators disagree beyond the margin. Append-only."""

    __tablename__ = "practical_decision"
    __table_args__ = (UniqueConstraint("registration_id", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"))
    subject: Mapped[str] = mapped_column(String(4))
    tenths: Mapped[int] = mapped_column(Integer)
    veto_failed: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(500))
    decided_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Evidence(Base):
    """A photo or video of a performance, stored by SHA-256 in the data folder; the digest is logged."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"))
    subject: Mapped[str] = mapped_column(String(4))
    digest: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PracticalResult(Base):
    """A candidate's practical result; version 1 from the sheets, later versions only from review."""

    __tablename__ = "practical_result"
    __table_args__ = (UniqueConstraint("registration_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)  # tenths of a point
    passed: Mapped[bool] = mapped_column(Boolean)
    veto_failed: Mapped[bool] = mapped_column(Boolean)
    document: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PracticalSeed(Base):
    """A practical sitting's draw seed: committed (SHA-256 logged) when the sitting opens, kept wrapped
    under the key-encryption key, revealed into the log when it closes, so every system draw can be
    re-derived by anyone."""

    __tablename__ = "practical_seed"

    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), primary_key=True)
    commitment: Mapped[str] = mapped_column(String(64))
    wrapped_seed: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(100))
    revealed_seed: Mapped[str | None] = mapped_column(String(64), nullable=True)
