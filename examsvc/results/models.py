"""Scores (成绩): one row per version of a candidate's result, the signed results manifests, and the
re-training records that let a candidate start over after a failed retake. All append-only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from examsvc.db import Base, UtcDateTime, utcnow


class Result(Base):
    """Version 1 is computed from the answer sheet at submission; later versions come only from a
    logged review (复核). The document is canonical JSON; its digest is a leaf of the results manifest."""

    __tablename__ = "result"
    __table_args__ = (UniqueConstraint("registration_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), index=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"))
    version: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)  # tenths of a point
    passed: Mapped[bool] = mapped_column(Boolean)
    void: Mapped[bool] = mapped_column(Boolean)
    document: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)


class ResultsManifest(Base):
    """A C2SP signed note over the sitting's current results: the service's line, then the chief
    examiner's. Version 1 publishes; each review adds a version."""

    __tablename__ = "results_manifest"
    __table_args__ = (UniqueConstraint("sitting_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    result_count: Mapped[int] = mapped_column(Integer)
    merkle_root: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    signed_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Retraining(Base):
    """Re-training completed after a failed retake (order No. 30 art. 13): a new first attempt may follow."""

    __tablename__ = "retraining"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id"), index=True)
    subject: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(200))
    completed_on: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
