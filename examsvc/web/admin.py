"""The exam admin's pages (考务管理): sittings listed and created, and each sitting's page with its state,
its paper sets, its staff (conflicts shown before saving) and its candidates (a list uploaded, every
refused row shown at once).

Creating a sitting is a plain form handled here with the service the API's ``POST /sittings`` calls. The
rest is done by the page's script through the API's own routes: ``POST /sittings/{code}/candidates``
(all or nothing), ``POST /sittings/{code}/staff/check`` then ``POST /sittings/{code}/staff``,
``POST /paper-sets``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from examsvc import localtime
from examsvc.blueprints import service as blueprints
from examsvc.blueprints.models import BlueprintStatus
from examsvc.candidates import service as candidates
from examsvc.config import Settings
from examsvc.db import DbSession, utcnow
from examsvc.dependencies import SettingsDep
from examsvc.errors import ExamServiceError, InvalidInput
from examsvc.identity import service as identity
from examsvc.identity.access import CurrentUser
from examsvc.identity.roles import Role
from examsvc.papers import service as papers
from examsvc.sites import rooms as site_rooms
from examsvc.sites import service as sites
from examsvc.sittings import service as sittings
from examsvc.sittings.access import Scope, SittingCaller
from examsvc.sittings.models import Sitting, StaffRole
from examsvc.web.pages import render
from examsvc.web.staff import STATUS_LABELS
from examsvc.web.staff_access import ERROR_HEADER, posted, staff_page, staff_sitting_page

router = APIRouter(prefix="/staff/admin", include_in_schema=False)
Admin = Annotated[CurrentUser, Depends(staff_page(Role.EXAM_ADMIN))]
SittingAdmin = Annotated[SittingCaller, Depends(staff_sitting_page({Role.EXAM_ADMIN: Scope.PROVINCE}))]
PAGE_SIZE = 20
STAFF_LABELS = {StaffRole.CHIEF_EXAMINER: "主考官", StaffRole.PROCTOR: "监考员", StaffRole.EVALUATOR: "考评员",
                StaffRole.INSPECTOR: "巡考员"}
PAPER_SET_LABELS = {"sealed": "已封存，待主考官签署", "approved": "主考官已签署", "opened": "已开启",
                    "closed": "已结束"}
T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    items: list[object]
    number: int  # 1-based
    pages: int
    total: int
    query: str


def page_of(items: Sequence[T], query: str, number: int, text: Callable[[T], str]) -> Page:
    """The items whose text holds the query (case-insensitive), cut into pages of PAGE_SIZE."""
    wanted = query.strip().casefold()
    found = [i for i in items if wanted in text(i).casefold()] if wanted else list(items)
    pages = max(1, -(-len(found) // PAGE_SIZE))
    number = min(max(1, number), pages)
    return Page(items=list(found[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]), number=number, pages=pages,
                total=len(found), query=query)


def sitting_text(sitting: Sitting) -> str:
    return f"{sitting.code} {sitting.title} {sitting.site.code} {sitting.site.name}"


def page_number(raw: str) -> int:
    return int(raw) if raw.isdigit() and len(raw) < 6 else 1


def sittings_page(request: Request, db_session: Session, current: CurrentUser, settings: Settings, *, q: str = "",
                  page: str = "1", error: ExamServiceError | None = None, form: dict[str, str] | None = None,
                  status_code: int = 200) -> Response:
    listed = page_of(sittings.list_all(db_session=db_session), q, page_number(page), sitting_text)
    rules = [r for r in blueprints.list_all(db_session=db_session) if r.status == BlueprintStatus.APPROVED]
    all_sites = sites.list_sites(db_session=db_session)
    rooms = {s.code: [r.code for r in site_rooms.list_rooms(db_session=db_session, site_code=s.code)]
             for s in all_sites}
    response = render(request, "staff/admin_sittings.html", status_code=status_code, user=current.user,
                      listed=listed, rules=rules, sites=all_sites, rooms=rooms, status_labels=STATUS_LABELS,
                      local=lambda moment: localtime.local_text(moment, settings.timezone), error=error,
                      form=form or {}, zone=settings.timezone)
    if error is not None:
        response.headers[ERROR_HEADER] = error.code
    return response


@router.get("/sittings")
def list_sittings(request: Request, current: Admin, db_session: DbSession, settings: SettingsDep, q: str = "",
                  page: str = "1") -> Response:
    return sittings_page(request, db_session, current, settings, q=q, page=page)


def local_start(text: str, zone_name: str) -> datetime:
    """The form's local date and time (``datetime-local``) in the site's zone, as UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput("请填写开考时间（日期和时刻）。", code="bad_start",
                           detail={"field": "scheduled_start"}) from None
    return moment.replace(tzinfo=localtime.zone(zone_name)).astimezone(UTC)


@router.post("/sittings")
def create_sitting(request: Request, current: Admin, db_session: DbSession, settings: SettingsDep) -> Response:
    form = posted(request)
    try:
        rule = form.get("blueprint_id", "")
        sitting = sittings.create(
            db_session=db_session, code=form.get("code", "").strip(), title=form.get("title", "").strip(),
            blueprint_id=int(rule) if rule.isdigit() else None, site_code=form.get("site_code", ""),
            room_codes=[r.strip() for r in form.get("rooms", "").replace("，", ",").split(",") if r.strip()],
            scheduled_start=local_start(form.get("scheduled_start", ""), settings.timezone),
            late_entry_minutes=settings.late_entry_minutes, proctors_per_room=settings.proctors_per_room,
            actor=current.actor, now=utcnow())
    except ExamServiceError as refused:
        db_session.rollback()
        return sittings_page(request, db_session, current, settings, error=refused, form=form,
                             status_code=refused.status_code)
    return RedirectResponse(f"/staff/admin/sittings/{sitting.code}", status_code=303)


@router.get("/sittings/{code}")
def sitting_page(code: str, request: Request, current: SittingAdmin, db_session: DbSession, settings: SettingsDep,
                 q: str = "", page: str = "1") -> Response:
    sitting = sittings.get(db_session=db_session, code=code)
    room_codes = site_rooms.codes(db_session=db_session, room_ids={r.room_id for r in sitting.rooms}
                                  | {a.room_id for a in sitting.staff if a.room_id is not None})
    users = {u.id: u for u in identity.list_users(db_session=db_session)}
    assignable = [u for u in users.values() if not u.disabled and set(u.role_names) & {str(r) for r in StaffRole}]
    registered = candidates.registrations(db_session=db_session, code=code)
    listed = page_of(registered, q, page_number(page),
                     lambda r: f"{r.admission_number} {r.candidate.name} {r.training_institution or ''}")
    return render(request, "staff/admin_sitting.html", user=current.user, sitting=sitting,
                  rooms=[room_codes[r.room_id] for r in sitting.rooms], room_codes=room_codes, users=users,
                  assignable=assignable, staff_labels=STAFF_LABELS, listed=listed, registered=len(registered),
                  paper_sets=papers.sets_of_sitting(db_session=db_session, sitting_code=code),
                  paper_set_labels=PAPER_SET_LABELS, status_label=STATUS_LABELS.get(sitting.status, sitting.status),
                  rule=blueprints.get(db_session=db_session, blueprint_id=sitting.blueprint_version_id)
                  if sitting.blueprint_version_id is not None else None,
                  starts_at=localtime.local_text(sitting.scheduled_start, settings.timezone))
