"""Practical bank versions and their items. A published version never changes (database triggers)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
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
