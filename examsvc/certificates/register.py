"""The register (台账): certificates filtered by kind, item, site, employer, standing and expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from examsvc.certificates.models import Certificate, CertificateState
from examsvc.certificates.rules import Standing
from examsvc.sites.models import Site
from examsvc.sittings.models import Sitting

MAX_PAGE = 500


@dataclass(frozen=True)
class RegisterFilter:
    kind: int | None = None
    item: str | None = None
    site: str | None = None  # site code
    sitting: str | None = None  # sitting code
    employer: str | None = None  # part of the employer's name
    standing: Standing | None = None
    expires_from: date | None = None
    expires_to: date | None = None


def _where(query: Select[Certificate], wanted: RegisterFilter, today: date) -> Select[Certificate]:
    if wanted.kind is not None:
        query = query.where(Certificate.kind == wanted.kind)
    if wanted.item:
        query = query.where(Certificate.item == wanted.item)
    if wanted.site:
        query = query.where(Certificate.site_id.in_(select(Site.id).where(Site.code == wanted.site)))
    if wanted.sitting:
        query = query.where(Certificate.sitting_id.in_(select(Sitting.id).where(Sitting.code == wanted.sitting)))
    if wanted.employer:
        escaped = wanted.employer.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Certificate.employer.like(f"%{escaped}%", escape="\\"))
    if wanted.expires_from:
        query = query.where(Certificate.expires_on >= wanted.expires_from)
    if wanted.expires_to:
        query = query.where(Certificate.expires_on <= wanted.expires_to)
    active = Certificate.state == CertificateState.ACTIVE
    current = Certificate.expires_on >= today
    reviewed = or_(Certificate.review_due.is_(None), Certificate.review_due >= today)
    if wanted.standing is Standing.REVOKED:
        query = query.where(Certificate.state == CertificateState.REVOKED)
    elif wanted.standing is Standing.EXPIRED:
        query = query.where(active, Certificate.expires_on < today)
    elif wanted.standing is Standing.REVIEW_OVERDUE:
        query = query.where(active, current, Certificate.review_due < today)
    elif wanted.standing is Standing.VALID:
        query = query.where(and_(active, current, reviewed))
    return query


def search(db_session: Session, wanted: RegisterFilter, today: date, *, limit: int = 100,
           offset: int = 0) -> tuple[int, list[Certificate]]:
    """(how many match, the page of them), by number."""
    query = _where(select(Certificate), wanted, today)
    total = db_session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(db_session.scalars(query.order_by(Certificate.number).limit(min(limit, MAX_PAGE)).offset(offset)))
    return total, rows


def all_matching(db_session: Session, wanted: RegisterFilter, today: date) -> list[Certificate]:
    return list(db_session.scalars(_where(select(Certificate), wanted, today).order_by(Certificate.number)))
