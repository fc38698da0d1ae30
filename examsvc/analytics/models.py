"""What analysis reads: one row per scored attempt, its items packed as little-endian arrays in paper order,
so that 10,000 attempts load as a handful of rows' bytes (numpy.frombuffer) rather than a million rows.

Derived data: collected from the sealed paper, the sealed answer sheet and the current result version
after the sitting's results are published; each row names the digests it was derived from, so a
collected row can be checked against what the log commits to (docs/analytics.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from examsvc.db import Base, UtcDateTime, utcnow


class AttemptItems(Base):
    __tablename__ = "attempt_items"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), index=True)
    # int32 per item: question.id (a question of one bank version)
    question_ids: Mapped[bytes] = mapped_column(LargeBinary)
    # uint8 per item: the bank labels chosen as a bit mask (A=1, B=2, C=4 …; true/false T=1, F=2); 0 none
    chosen: Mapped[bytes] = mapped_column(LargeBinary)
    # uint16 per item, tenths of a point: awarded (the current result version) and possible
    awarded: Mapped[bytes] = mapped_column(LargeBinary)
    possible: Mapped[bytes] = mapped_column(LargeBinary)
    score: Mapped[int] = mapped_column(Integer)  # tenths
    total_points: Mapped[int] = mapped_column(Integer)  # tenths
    result_digest: Mapped[str] = mapped_column(String(64))
    paper_digest: Mapped[str] = mapped_column(String(64))
    sheet_digest: Mapped[str] = mapped_column(String(64))
    collected_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
