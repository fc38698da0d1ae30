"""The certificate register (台账): one row per certificate, its lifecycle events, the number counters."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examsvc.db import Base, UtcDateTime, utcnow


class CertificateState:
    ACTIVE = "active"
    REVOKED = "revoked"


class Certificate(Base):
    """A certificate as it stands. ``basis_key`` (SHA-256 of the results it rests on) is unique: one
    certificate per qualification."""

    __tablename__ = "certificate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    kind: Mapped[int] = mapped_column(Integer)
    item: Mapped[str] = mapped_column(String(60))
    item_name: Mapped[str] = mapped_column(String(60))
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id"), index=True)
    holder_name: Mapped[str] = mapped_column(String(50))
    employer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    basis: Mapped[str] = mapped_column(Text)  # RFC 8785 JSON: the results (sitting, digest) it rests on
    basis_key: Mapped[str] = mapped_column(String(64), unique=True)
    id_salt: Mapped[str] = mapped_column(String(16))  # hex; the QR's ID-number digest is salted with it
    first_issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date, index=True)
    review_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    review_interval_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sequence: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(16), default=CertificateState.ACTIVE, index=True)
    form_text: Mapped[str] = mapped_column(Text)  # the current signed form (the QR's text)
    form_digest: Mapped[str] = mapped_column(String(64))
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    events: Mapped[list[CertificateEvent]] = relationship(lazy="selectin", order_by="CertificateEvent.id",
                                                          back_populates="certificate")


class CertificateEvent(Base):
    """One lifecycle event; its audit-log entry (``log_index``) carries ``form_digest``."""

    __tablename__ = "certificate_event"
    __table_args__ = (UniqueConstraint("certificate_id", "event_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id"), index=True)
    event_no: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    sequence: Mapped[int] = mapped_column(Integer)
    form_digest: Mapped[str] = mapped_column(String(64), index=True)
    log_index: Mapped[int] = mapped_column(BigInteger)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    certificate: Mapped[Certificate] = relationship(back_populates="events")


class CertificateSerial(Base):
    """The next serial per kind and year: it only grows, so a number is never issued twice."""

    __tablename__ = "certificate_serial"

    kind: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    next_serial: Mapped[int] = mapped_column(Integer)


class CertificateBatch(Base):
    """Issuing a whole sitting's qualified candidates in one action, with its progress."""

    __tablename__ = "certificate_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    issued: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="running")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
