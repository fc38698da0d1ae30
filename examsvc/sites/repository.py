"""All site and workstation queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.sites.models import Site, Workstation, WorkstationStatus


def get_site_by_code(db_session: Session, code: str) -> Site | None:
    return db_session.scalars(select(Site).where(Site.code == code)).one_or_none()


def list_sites(db_session: Session) -> list[Site]:
    return list(db_session.scalars(select(Site).order_by(Site.code)))


def get_workstation(db_session: Session, workstation_id: int) -> Workstation | None:
    return db_session.get(Workstation, workstation_id)


def get_workstation_by_digest(db_session: Session, digest: str) -> Workstation | None:
    return db_session.scalars(select(Workstation).where(Workstation.credential_digest == digest)).one_or_none()


def list_workstations(
    db_session: Session, *, site_id: int | None, status: WorkstationStatus | None
) -> list[Workstation]:
    query = select(Workstation).order_by(Workstation.id)
    if site_id is not None:
        query = query.where(Workstation.site_id == site_id)
    if status is not None:
        query = query.where(Workstation.status == status)
    return list(db_session.scalars(query))
