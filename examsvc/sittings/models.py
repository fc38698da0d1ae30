from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examsvc.db import Base, UtcDateTime, utcnow
from examsvc.sites.models import Site


class SittingStatus(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


class StaffRole(StrEnum):
    CHIEF_EXAMINER = "chief_examiner"  # one per sitting, all rooms
    PROCTOR = "proctor"  # per room
    EVALUATOR = "evaluator"  # per room (practical exams)
    INSPECTOR = "inspector"  # the whole sitting


class Sitting(Base):
    __tablename__ = "sitting"
    __table_args__ = (CheckConstraint("(blueprint_version_id IS NULL) <> (practical_rule_id IS NULL)",
                                      name="one_rule"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    # A theory sitting follows a composition rule; a practical sitting a practical rule (one of the two).
    blueprint_version_id: Mapped[int | None] = mapped_column(ForeignKey("blueprint_version.id"), nullable=True)
    practical_rule_id: Mapped[int | None] = mapped_column(ForeignKey("practical_rule.id"), nullable=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    scheduled_start: Mapped[datetime] = mapped_column(UtcDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)  # from the rule
    late_entry_minutes: Mapped[int] = mapped_column(Integer)
    proctors_per_room: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=SittingStatus.SCHEDULED)
    opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    site: Mapped[Site] = relationship(lazy="joined")
    rooms: Mapped[list[SittingRoom]] = relationship(lazy="selectin", order_by="SittingRoom.room_id",
                                                    cascade="all, delete-orphan")
    staff: Mapped[list[StaffAssignment]] = relationship(lazy="selectin", order_by="StaffAssignment.id",
                                                        cascade="all, delete-orphan")


class SittingRoom(Base):
    __tablename__ = "sitting_room"

    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"), primary_key=True)


class StaffAssignment(Base):
    __tablename__ = "staff_assignment"
    __table_args__ = (UniqueConstraint("sitting_id", "user_id", "role", "room_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"), nullable=True)
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)


class Presence(Base):
    """A staff member checked in at the site for a sitting (from an enrolled workstation of that site)."""

    __tablename__ = "presence"
    __table_args__ = (UniqueConstraint("sitting_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    workstation_id: Mapped[int] = mapped_column(ForeignKey("workstation.id"))
    checked_in_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    checked_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    checkout_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    checkout_approved_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)


class CandidateCheckIn(Base):
    """A proctor's confirmation of a candidate's identity and seat; the one-time sign-in code's digest.

    The candidate may then sign in only on the workstation bound to that seat."""

    __tablename__ = "candidate_check_in"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), unique=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("seat.id"))
    workstation_id: Mapped[int] = mapped_column(ForeignKey("workstation.id"))
    photo_digest: Mapped[str] = mapped_column(String(64))
    code_digest: Mapped[str] = mapped_column(String(64))
    checked_in_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    checked_in_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    signed_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    session_digest: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)


class RoomRecord(Base):
    """The sitting's 考场记录: a canonical document, its digest, and the chief examiner's signed note."""

    __tablename__ = "room_record"

    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    signed_note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
