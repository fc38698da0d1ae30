"""逢查必考: spot exams during enforcement inspections (docs/spot-exams.md).

An inspection (执法检查) of one enterprise by two officers; the people on duty it listed; the ones drawn
(or added by hand) and their spot exams, each a sealed paper, the saves, the sealed answer sheet and result.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from examsvc.db import Base, UtcDateTime, utcnow


class InspectionStatus(StrEnum):
    OPEN = "open"  # the seed is committed; the list of people on duty may still change
    DRAWN = "drawn"  # the list is final and the draw is made: spot exams run
    CLOSED = "closed"  # archived: the seed is revealed in the log


class SpotExamStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class Retraining(StrEnum):
    REQUIRED = "required"  # a fail: the employer must re-train the person (责令重新培训)
    DONE = "done"  # the employer's re-training was recorded


class Inspection(Base):
    __tablename__ = "spot_inspection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    enterprise_name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), index=True)  # 统一社会信用代码, GB 32100 checked
    industry: Mapped[str] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(50), index=True)
    address: Mapped[str] = mapped_column(String(300))
    inspected_on: Mapped[date] = mapped_column(Date, index=True)
    blueprint_version_id: Mapped[int] = mapped_column(ForeignKey("blueprint_version.id"))
    draw_count: Mapped[int] = mapped_column(Integer)
    lead_officer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    # The second officer confirms their presence with their own password on the lead's device.
    second_officer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    second_officer_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=InspectionStatus.OPEN)
    seed_commitment: Mapped[str] = mapped_column(String(64))
    sealed_seed: Mapped[bytes] = mapped_column(LargeBinary)  # wrapped by the key-encryption key until closed
    revealed_seed: Mapped[str | None] = mapped_column(String(64), nullable=True)
    roster_salt: Mapped[str] = mapped_column(String(32))  # hex; person digests are salted with it
    roster_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    roster_size: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    drawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SpotPerson(Base):
    """One person on duty (from the list) or added by hand after the draw (``manual``)."""

    __tablename__ = "spot_person"
    __table_args__ = (UniqueConstraint("inspection_id", "person_digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("spot_inspection.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    person_digest: Mapped[str] = mapped_column(String(64))
    post: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str | None] = mapped_column(String(32), nullable=True)
    row: Mapped[int | None] = mapped_column(Integer, nullable=True)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    manual_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    draw_order: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 1.. in draw order; None: not drawn
    added_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SpotExam(Base):
    """One person's spot exam: one per person and inspection (a second attempt is refused)."""

    __tablename__ = "spot_exam"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("spot_inspection.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("spot_person.id"), unique=True)
    # The inspection's rule, or another approved spot rule the officer chose for this person's kind.
    blueprint_version_id: Mapped[int] = mapped_column(ForeignKey("blueprint_version.id"))
    paper_digest: Mapped[str] = mapped_column(String(64))
    paper_sealed: Mapped[bytes] = mapped_column(LargeBinary)  # the paper document, wrapped by the KEK
    item_count: Mapped[int] = mapped_column(Integer)
    shape: Mapped[str] = mapped_column(Text)  # as Attempt.shape
    total_points: Mapped[int] = mapped_column(Integer)
    pass_mark: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    duration_seconds: Mapped[int] = mapped_column(Integer)
    started_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(String(16), default=SpotExamStatus.IN_PROGRESS)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    submitted_how: Mapped[str | None] = mapped_column(String(16), nullable=True)
    sheet_document: Mapped[str | None] = mapped_column(Text, nullable=True)
    sheet_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    result_document: Mapped[str | None] = mapped_column(Text, nullable=True)
    result_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"), nullable=True, index=True)
    retraining: Mapped[str | None] = mapped_column(String(16), nullable=True)
    retraining_note: Mapped[str | None] = mapped_column(String(300), nullable=True)

    # The attributes the shared clock and sheet read (examsvc.attempts.clock): a spot exam has no pauses.
    extra_seconds: ClassVar[int] = 0
    pause_credit_ms: ClassVar[int] = 0
    paused_at: ClassVar[datetime | None] = None


class SpotAnswer(Base):
    """The latest accepted save of one question (as ``answer``)."""

    __tablename__ = "spot_answer"

    spot_exam_id: Mapped[int] = mapped_column(ForeignKey("spot_exam.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    response: Mapped[str] = mapped_column(String(8))
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    seq: Mapped[int] = mapped_column(Integer)
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    chain: Mapped[str] = mapped_column(String(64), default="")


class SpotAnswerSave(Base):
    """The journal of accepted saves (append-only, triggers). ``made_remaining_ms``: for a save the device
    kept while offline, the remaining time its clock showed when the person answered."""

    __tablename__ = "spot_answer_save"
    __table_args__ = (UniqueConstraint("spot_exam_id", "position", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    spot_exam_id: Mapped[int] = mapped_column(ForeignKey("spot_exam.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(String(8))
    flagged: Mapped[bool] = mapped_column(Boolean)
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    chain: Mapped[str] = mapped_column(String(64))
    made_remaining_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
