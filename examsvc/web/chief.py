"""The chief examiner's pages (主考工作台, ``/staff/chief``): rules awaiting approval with their difference
from the previous version and the feasibility report; a sitting's paper-set manifests, presence checklist,
opening, closing and room record, results and reviews.

The routes admit callers exactly as the JSON API does: any chief examiner for rules (``/blueprints``), the
sitting's own assigned chief for a sitting (``require_sitting`` scope ``ASSIGNED``). Each signing form posts
to the API's own route from ``static/staff-forms.js`` (passphrase in that one request, never stored)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from examsvc.blueprints import service as blueprints
from examsvc.db import DbSession
from examsvc.dependencies import SettingsDep
from examsvc.identity.access import CurrentUser
from examsvc.identity.roles import Role
from examsvc.sittings import service as sittings
from examsvc.sittings.access import Scope, SittingCaller
from examsvc.web import chief_views as views
from examsvc.web.pages import render
from examsvc.web.staff import STATUS_LABELS  # the console's one table of sitting states
from examsvc.web.staff_access import staff_page, staff_sitting_page

router = APIRouter(prefix="/staff/chief", include_in_schema=False)
Chief = Annotated[CurrentUser, Depends(staff_page(Role.CHIEF_EXAMINER))]
SittingChief = Annotated[SittingCaller, Depends(staff_sitting_page({Role.CHIEF_EXAMINER: Scope.ASSIGNED}))]

# What a signing form's ?done= says once the API accepted it (a fixed set: no text of the URL is shown).
DONE = {
    "approved": "已批准，您的签名已记录。",
    "rejected": "已驳回。",
    "cosigned": "已会签试卷集。",
    "opened": "已开考。",
    "closed": "场次已结束，考场记录已签署。",
    "published": "成绩已发布。",
    "reviewed": "复核完成，已生成新版本成绩并重新签署成绩清单。",
}


def done(request: Request) -> str:
    return DONE.get(request.query_params.get("done", ""), "")


@router.get("")
def home(request: Request, current: Chief, db_session: DbSession, settings: SettingsDep) -> HTMLResponse:
    return render(request, "staff/chief_home.html", user=current.user,
                  rules=views.pending_rules(db_session), sittings=views.chief_sittings(db_session, current.id),
                  status_labels=STATUS_LABELS, local=lambda t: views.local(t, settings.timezone))


@router.get("/rules/{blueprint_id}")
def rule(blueprint_id: int, request: Request, current: Chief, db_session: DbSession) -> HTMLResponse:
    row = blueprints.get(db_session=db_session, blueprint_id=blueprint_id)
    previous = views.previous_version(db_session, row)
    return render(request, "staff/chief_rule.html", user=current.user, request_done=done(request), row=row,
                  previous=previous, differences=views.difference(db_session, row, previous),
                  report=views.feasibility(db_session, row), section_label=views.section_label,
                  quota_label=views.quota_label)


@router.get("/sittings/{code}")
def sitting(code: str, request: Request, current: SittingChief, db_session: DbSession,
            settings: SettingsDep) -> HTMLResponse:
    found = sittings.get(db_session=db_session, code=code)
    return render(request, "staff/chief_sitting.html", user=current.user, request_done=done(request), sitting=found,
                  status=STATUS_LABELS.get(found.status, found.status),
                  starts_at=views.local(found.scheduled_start, settings.timezone),
                  registered=views.registration_count(db_session, found),
                  manifests=views.manifests(db_session, found), morning=views.morning(db_session, found),
                  record=views.room_record(db_session, found), results=views.result_rows(db_session, found),
                  published=views.published(db_session, found))
