"""What a person did with an integrity signal (异常线索): reviewed, referred for investigation (移交调查) or
dismissed, with a note. Signals themselves are recomputed from the data, so they are named by a stable id
(examsvc/analytics/signals.py); the audit log holds the same action, written in the same transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from examsvc.db import Base, UtcDateTime, utcnow


class SignalAction(Base):
    __tablename__ = "signal_action"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signal_id: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    log_index: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
