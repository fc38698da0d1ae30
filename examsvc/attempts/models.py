"""A candidate's answering of their paper (答卷): the attempt, its saved answers, the sealed sheet, and
what proctors did in the room (incidents)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from examsvc.db import Base, UtcDateTime, utcnow


class AttemptStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    REMOVED = "removed"  # 暂行办法 art. 21: removed for a violation, the sitting's score is void


class SubmittedHow(StrEnum):
    CANDIDATE = "candidate"
    DEADLINE = "deadline"
    REMOVED = "removed"


class Attempt(Base):
    """Server-authoritative time: deadline = started_at + duration + credited pauses + extra time."""

    __tablename__ = "attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), unique=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id"))
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"), index=True)
    workstation_id: Mapped[int] = mapped_column(ForeignKey("workstation.id"))
    item_count: Mapped[int] = mapped_column(Integer)
    # Per item, what a valid response looks like: "t" true/false, "s4" single of 4, "m5" multiple of 5.
    # Lets a save be checked without opening the sealed paper.
    shape: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    duration_seconds: Mapped[int] = mapped_column(Integer)
    pause_credit_ms: Mapped[int] = mapped_column(Integer, default=0)
    extra_seconds: Mapped[int] = mapped_column(Integer, default=0)
    paused_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=AttemptStatus.IN_PROGRESS)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    submitted_how: Mapped[str | None] = mapped_column(String(16), nullable=True)


class Answer(Base):
    """The latest save of one question. ``seq`` is the client's per-question sequence number: a save
    with a lower or equal number than the stored one changes nothing (a stale retry)."""

    __tablename__ = "answer"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0-based, paper order
    response: Mapped[str] = mapped_column(String(8))  # displayed labels "AC", "T"/"F", "" for cleared
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    seq: Mapped[int] = mapped_column(Integer)
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The running digest of this question's accepted saves (examsvc/crypto/save_chain.py), advanced by
    # the save's own upsert and sealed into the answer sheet.
    chain: Mapped[str] = mapped_column(String(64), default="")


class AnswerSave(Base):
    """The journal of every accepted save, one row each, in the save's own statement. Append-only
    (triggers): a verifier re-derives each question's chain from it (docs/audit-log.md)."""

    __tablename__ = "answer_save"
    __table_args__ = (UniqueConstraint("attempt_id", "position", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"))
    position: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(String(8))
    flagged: Mapped[bool] = mapped_column(Boolean)
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    chain: Mapped[str] = mapped_column(String(64))


class AnswerSheet(Base):
    """The submitted answers as a canonical document; its digest is in the log. Append-only (triggers)."""

    __tablename__ = "answer_sheet"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class IncidentKind(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    EXTRA_TIME = "extra_time"
    WARNING = "warning"
    REMOVAL = "removal"
    MOVE = "move"
    REOPEN = "reopen"


class Incident(Base):
    """A proctor action, for the room record (考场记录). Append-only (triggers)."""

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"))
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registration.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(300))
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    actor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ServiceClock(Base):
    """When the service was last seen alive (the deadline sweep touches it every few seconds): a gap
    longer than an outage's threshold is credited to the attempts that were running (examsvc.attempts.outage)."""

    __tablename__ = "service_clock"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alive_at: Mapped[datetime] = mapped_column(UtcDateTime)
