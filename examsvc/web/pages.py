"""The workstation's page routes (``/ws``): which page a browser sees follows from its cookies.

No workstation credential: enrolment (by the site technician). Pending: the waiting page. Approved, no
candidate: the seat screen with sign-in. A signed-in candidate: identity and instructions until the
attempt starts, then the exam screen, then the result page. Each page reads the services; the exam
screen's script calls the API's JSON routes (``/attempt…``) with the cookies and the CSRF token."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session

from examsvc import localtime
from examsvc.attempts.models import AttemptStatus
from examsvc.audit.actors import Actor
from examsvc.db import DbSession, in_request_transaction, utcnow
from examsvc.dependencies import SettingsDep, get_settings
from examsvc.errors import ExamServiceError
from examsvc.identity import browser
from examsvc.sites import service as sites
from examsvc.sites.models import Workstation
from examsvc.sittings import checkin
from examsvc.sittings.models import Sitting
from examsvc.web import static, views

router = APIRouter(prefix="/ws", include_in_schema=False)
ENV = Environment(loader=PackageLoader("examsvc.web", "templates"), autoescape=select_autoescape(default=True),
                  trim_blocks=True, lstrip_blocks=True)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    token = browser.csrf_token(request)
    html = ENV.get_template(template).render(csrf=token, static=static.url, **context)
    response = HTMLResponse(html, status_code=status_code)
    if request.cookies.get(browser.CSRF_COOKIE) != token:
        # As long-lived as the workstation's: a page restored after the kiosk browser restarts still matches.
        browser.set_cookie(response, request, browser.CSRF_COOKIE, token, days=browser.WORKSTATION_COOKIE_DAYS)
    return response


def home_page() -> RedirectResponse:
    return RedirectResponse("/ws", status_code=303)


async def form_of(request: Request) -> dict[str, str]:
    """An urlencoded form (the pages post nothing else), checked against the CSRF cookie."""
    fields = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    browser.require_csrf(request, fields.get("csrf"))
    return fields


@router.get("")
def home(request: Request, db_session: DbSession, settings: SettingsDep) -> Response:
    found = views.station(db_session, request)
    if found.workstation is None:
        if found.refusal is not None and found.refusal.code == "workstation_pending":
            return render(request, "waiting.html")
        # Unknown or revoked: enrol again (the old credential is dropped).
        response = render(request, "enrol.html", error=found.refusal.message if found.refusal else None)
        if found.refusal is not None:
            browser.clear_cookie(response, request, browser.WORKSTATION_COOKIE)
        return response
    current = views.candidate(db_session, request)
    if current is None:
        where, seat = views.place(db_session, found.workstation)
        sitting = views.next_sitting(db_session, seat)
        response = seat_page(request, settings.timezone, found.workstation.id, where, sitting)
        if request.cookies.get(browser.CANDIDATE_COOKIE):  # ended by a move, a reopen or a new sign-in
            browser.clear_cookie(response, request, browser.CANDIDATE_COOKIE)
        return response
    attempt = views.attempt(db_session, current)
    if attempt is None:
        refusal = views.readiness(db_session, current, utcnow(), settings.timezone)
        return render(request, "instructions.html", who=views.who(db_session, current, settings.timezone),
                      refusal=views.refusal_text(refusal) if refusal is not None else None)
    return RedirectResponse("/ws/exam" if attempt.status == AttemptStatus.IN_PROGRESS else "/ws/result",
                            status_code=303)


def seat_page(request: Request, zone_name: str, workstation_id: int, where: views.Place, sitting: Sitting | None,
              error: ExamServiceError | None = None, admission_number: str = "") -> HTMLResponse:
    return render(request, "seat.html", status_code=error.status_code if error else 200, place=where,
                  workstation_id=workstation_id, sitting=sitting,
                  starts_at=localtime.local_text(sitting.scheduled_start, zone_name) if sitting else "",
                  error=error, admission_number=admission_number)


@router.post("/enrol")
async def enrol(request: Request) -> Response:
    fields = await form_of(request)

    def work(db_session: Session) -> Response:
        try:
            enrolled = sites.enrol_workstation(db_session=db_session, site_code=fields.get("site_code", "").strip(),
                                               enrolment_code=fields.get("enrolment_code", "").strip(),
                                               name=fields.get("name", "").strip() or "考试机")
        except ExamServiceError as refused:
            return render(request, "enrol.html", status_code=refused.status_code, error=refused.message,
                          site_code=fields.get("site_code", ""), name=fields.get("name", ""))
        response = home_page()
        browser.set_cookie(response, request, browser.WORKSTATION_COOKIE, enrolled.credential,
                           days=browser.WORKSTATION_COOKIE_DAYS)
        return response

    return await in_request_transaction(request, work)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    fields = await form_of(request)
    zone_name = get_settings(request).timezone
    number, code = fields.get("admission_number", "").strip(), fields.get("code", "").strip()

    def work(db_session: Session) -> Response:
        found = views.station(db_session, request)
        if found.workstation is None:
            return home_page()
        try:
            token = checkin.sign_in(db_session=db_session, admission_number=number, one_time_code=code,
                                    workstation=found.workstation, actor=sites_actor(found.workstation))
        except ExamServiceError as refused:  # a wrong code's count is kept: this transaction commits
            where, seat = views.place(db_session, found.workstation)
            return seat_page(request, zone_name, found.workstation.id, where,
                             views.next_sitting(db_session, seat), error=refused, admission_number=number)
        response = home_page()
        browser.set_cookie(response, request, browser.CANDIDATE_COOKIE, token)
        return response

    return await in_request_transaction(request, work)


def sites_actor(workstation: Workstation) -> Actor:
    return Actor.workstation(workstation.id, workstation.site_id)


@router.get("/readiness")
def readiness(request: Request, db_session: DbSession, settings: SettingsDep) -> JSONResponse:
    """For the instructions page: may 开始答题 be pressed now, and if not, why (the start's own refusal)."""
    current = views.candidate(db_session, request)
    if current is None:
        return JSONResponse({"ready": False, "error": "candidate_session_invalid", "message": "请重新登录。"})
    refusal = views.readiness(db_session, current, utcnow(), settings.timezone)
    if refusal is None:
        return JSONResponse({"ready": True})
    return JSONResponse({"ready": False, "error": refusal.code, "message": views.refusal_text(refusal)})


@router.get("/exam")
def exam(request: Request, db_session: DbSession, settings: SettingsDep) -> Response:
    current = views.candidate(db_session, request)
    if current is None:
        return home_page()
    attempt = views.attempt(db_session, current)
    if attempt is not None and attempt.status != AttemptStatus.IN_PROGRESS:
        return RedirectResponse("/ws/result", status_code=303)
    return render(request, "exam.html", who=views.who(db_session, current, settings.timezone),
                  resume=views.resume_position(db_session, attempt) if attempt is not None else 0)


@router.get("/result")
def result(request: Request, db_session: DbSession, settings: SettingsDep) -> Response:
    current = views.candidate(db_session, request)
    if current is None:
        return home_page()
    attempt = views.attempt(db_session, current)
    if attempt is None or attempt.status == AttemptStatus.IN_PROGRESS:
        return home_page()
    who = views.who(db_session, current, settings.timezone)
    return render(request, "result.html", who=who, attempt=attempt, result=views.result(db_session, attempt),
                  ended_at=localtime.local_text(attempt.submitted_at, settings.timezone))


@router.post("/done")
async def done(request: Request) -> Response:
    """The candidate leaves a handed-in paper: the seat screen returns for the next one."""
    await form_of(request)

    def work(db_session: Session) -> Response:
        current = views.candidate(db_session, request)
        if current is not None:
            attempt = views.attempt(db_session, current)
            if attempt is None or attempt.status == AttemptStatus.IN_PROGRESS:
                return home_page()  # never mid-exam: the session would be lost until a proctor reopens it
        response = home_page()
        browser.clear_cookie(response, request, browser.CANDIDATE_COOKIE)
        return response

    return await in_request_transaction(request, work)
