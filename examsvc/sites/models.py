from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examsvc.db import Base, UtcDateTime, utcnow


class WorkstationStatus(StrEnum):
    PENDING = "pending"  # enrolled, waiting for a system admin's approval
    ACTIVE = "active"
    REVOKED = "revoked"


class Site(Base):
    """An exam site (考点)."""

    __tablename__ = "site"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    # 设区的市, for the province's statistics by city; None where a site was made without one.
    city: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Digest of the secret a workstation presents to enrol at this site; rotated by a system admin.
    enrolment_code_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)


class Workstation(Base):
    """An exam-site computer (考试机), bound to one site by its credential."""

    __tablename__ = "workstation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default=WorkstationStatus.PENDING)
    credential_digest: Mapped[str] = mapped_column(String(64), unique=True)
    enrolled_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    revoke_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)

    site: Mapped[Site] = relationship(lazy="joined")

    @property
    def site_code(self) -> str:
        return self.site.code


class Room(Base):
    """An exam room (考场) of a site, with numbered seats."""

    __tablename__ = "room"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    site: Mapped[Site] = relationship(lazy="joined")
    seats: Mapped[list[Seat]] = relationship(back_populates="room", order_by="Seat.number", lazy="selectin")


class Seat(Base):
    """A numbered seat (座位), bound to at most one enrolled workstation of the same site."""

    __tablename__ = "seat"
    __table_args__ = (UniqueConstraint("room_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    workstation_id: Mapped[int | None] = mapped_column(ForeignKey("workstation.id"), nullable=True, unique=True)

    room: Mapped[Room] = relationship(back_populates="seats")
