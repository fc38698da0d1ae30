from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examsvc.db import Base, UtcDateTime, utcnow


class Candidate(Base):
    """A person who sits exams (考生), identified by their citizen ID number."""

    __tablename__ = "candidate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    photo_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    training_institution: Mapped[str | None] = mapped_column(String(200), nullable=True)
    employer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Registration(Base):
    """A candidate registered for a sitting, with the admission number (准考证号) made for it."""

    __tablename__ = "registration"
    __table_args__ = (UniqueConstraint("sitting_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id"), index=True)
    admission_number: Mapped[str] = mapped_column(String(20), unique=True)
    training_institution: Mapped[str | None] = mapped_column(String(200), nullable=True)  # as sent for this sitting
    # What the candidate sits, from the sitting's rule: 人员类别 and, for special operations, the item code.
    personnel_category: Mapped[str | None] = mapped_column(String(32), nullable=True)
    subject: Mapped[str | None] = mapped_column(String(40), nullable=True)
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Random, never logged: salts the identity binding the log carries (candidates.binding). None for
    # registrations made before issue 15.
    binding_salt: Mapped[str | None] = mapped_column(String(32), nullable=True)

    candidate: Mapped[Candidate] = relationship(lazy="joined")
