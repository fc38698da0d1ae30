"""Sites and workstation enrolment.

A system admin creates a site and receives its enrolment code once. A workstation enrols by
presenting the site's code; it receives its own credential (shown once) and waits, useless, until a
system admin approves it. Revocation is immediate. The credential binds the device to its site.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from sqlalchemy.orm import Session

from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.db import utcnow
from examsvc.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from examsvc.identity.tokens import digest_secret, new_secret
from examsvc.sites import repository
from examsvc.sites.models import Site, Workstation, WorkstationStatus
from examsvc.text import is_control

ENROLMENT_CODE_PREFIX = "exe"
WORKSTATION_CREDENTIAL_PREFIX = "exw"


@dataclass(frozen=True)
class CreatedSite:
    site: Site
    enrolment_code: str


@dataclass(frozen=True)
class Enrolment:
    workstation: Workstation
    credential: str


def create_site(*, db_session: Session, code: str, name: str, address: str, actor: Actor,
                city: str | None = None) -> CreatedSite:
    if repository.get_site_by_code(db_session, code) is not None:
        raise Conflict("考点编号已存在。", code="site_code_taken", detail={"code": code})
    enrolment_code = new_secret(ENROLMENT_CODE_PREFIX)
    site = Site(code=code, name=name, address=address, city=checked_city(city), created_by=actor.user_id,
                enrolment_code_digest=digest_secret(enrolment_code))
    db_session.add(site)
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="site.created", subject_type="site", subject_id=site.id,
                 details={"code": code, "name": name, "city": site.city})
    return CreatedSite(site=site, enrolment_code=enrolment_code)


def get_site(*, db_session: Session, code: str) -> Site:
    site = repository.get_site_by_code(db_session, code)
    if site is None:
        raise NotFound("考点不存在。", code="site_not_found", detail={"site_code": code})
    return site


CITY_MAX_CHARS = 40


def checked_city(city: str | None) -> str | None:
    """The 设区的市 as given, trimmed; empty is none. Free text: the province's list of cities changes
    (行政区划调整) and is not examsvc's to keep."""
    text = (city or "").strip()
    if len(text) > CITY_MAX_CHARS or any(is_control(ch) for ch in text):
        raise InvalidInput(f"设区的市：一行文字，不超过 {CITY_MAX_CHARS} 字。", code="bad_city",
                           detail={"field": "city"})
    return text or None


def set_city(*, db_session: Session, code: str, city: str | None, actor: Actor) -> Site:
    """Records the site's 设区的市 (or clears it); logged with the old and the new value."""
    site = get_site(db_session=db_session, code=code)
    old, site.city = site.city, checked_city(city)
    audit.record(db_session=db_session, actor=actor, action="site.city_set", subject_type="site", subject_id=site.id,
                 details={"code": code, "city": site.city, "previous": old})
    return site


def list_sites(*, db_session: Session) -> list[Site]:
    return repository.list_sites(db_session)


def rotate_enrolment_code(*, db_session: Session, code: str, actor: Actor) -> CreatedSite:
    site = get_site(db_session=db_session, code=code)
    enrolment_code = new_secret(ENROLMENT_CODE_PREFIX)
    site.enrolment_code_digest = digest_secret(enrolment_code)
    audit.record(db_session=db_session, actor=actor, action="site.enrolment_code_rotated", subject_type="site",
                 subject_id=site.id, details={"code": code})
    return CreatedSite(site=site, enrolment_code=enrolment_code)


def enrol_workstation(*, db_session: Session, site_code: str, enrolment_code: str, name: str) -> Enrolment:
    site = repository.get_site_by_code(db_session, site_code)
    # One answer for "no such site" and "wrong code": the caller learns nothing about which sites exist.
    if site is None or not hmac.compare_digest(site.enrolment_code_digest, digest_secret(enrolment_code)):
        raise NotAuthenticated("考点编号或登记码错误。", code="invalid_enrolment_code")
    credential = new_secret(WORKSTATION_CREDENTIAL_PREFIX)
    workstation = Workstation(site_id=site.id, name=name, status=WorkstationStatus.PENDING,
                              credential_digest=digest_secret(credential))
    db_session.add(workstation)
    db_session.flush()
    audit.record(db_session=db_session, actor=Actor.workstation(workstation.id, site.id), action="workstation.enrolled",
                 subject_type="workstation", subject_id=workstation.id, details={"site": site.code, "name": name})
    return Enrolment(workstation=workstation, credential=credential)


def get_workstation(*, db_session: Session, workstation_id: int) -> Workstation:
    workstation = repository.get_workstation(db_session, workstation_id)
    if workstation is None:
        raise NotFound("考试机不存在。", code="workstation_not_found", detail={"workstation_id": workstation_id})
    return workstation


def list_workstations(*, db_session: Session, site_code: str | None = None,
                      status: WorkstationStatus | None = None) -> list[Workstation]:
    site_id = get_site(db_session=db_session, code=site_code).id if site_code else None
    return repository.list_workstations(db_session, site_id=site_id, status=status)


def approve_workstation(*, db_session: Session, workstation_id: int, actor: Actor) -> Workstation:
    workstation = get_workstation(db_session=db_session, workstation_id=workstation_id)
    if workstation.status != WorkstationStatus.PENDING:
        raise Conflict("只能批准待审批的考试机。", code="workstation_not_pending",
                       detail={"workstation_id": workstation_id, "status": workstation.status})
    workstation.status = WorkstationStatus.ACTIVE
    workstation.approved_at = utcnow()
    workstation.approved_by = actor.user_id
    audit.record(db_session=db_session, actor=actor, action="workstation.approved", subject_type="workstation",
                 subject_id=workstation_id, details={"site": workstation.site_code})
    return workstation


def revoke_workstation(*, db_session: Session, workstation_id: int, actor: Actor, reason: str) -> Workstation:
    workstation = get_workstation(db_session=db_session, workstation_id=workstation_id)
    if workstation.status == WorkstationStatus.REVOKED:
        raise Conflict("该考试机已被撤销。", code="workstation_revoked", detail={"workstation_id": workstation_id})
    workstation.status = WorkstationStatus.REVOKED
    workstation.revoked_at = utcnow()
    workstation.revoked_by = actor.user_id
    workstation.revoke_reason = reason
    audit.record(db_session=db_session, actor=actor, action="workstation.revoked", subject_type="workstation",
                 subject_id=workstation_id, details={"site": workstation.site_code, "reason": reason})
    return workstation


def authenticate_workstation(*, db_session: Session, credential: str) -> Workstation:
    """The approved workstation behind a credential; pending and revoked devices get nothing."""
    workstation = repository.get_workstation_by_digest(db_session, digest_secret(credential))
    if workstation is None:
        raise NotAuthenticated("考试机未登记。", code="workstation_unknown")
    if workstation.status == WorkstationStatus.PENDING:
        raise Forbidden("考试机尚未获批准。", code="workstation_pending")
    if workstation.status != WorkstationStatus.ACTIVE:
        raise Forbidden("考试机已被撤销。", code="workstation_revoked")
    return workstation
