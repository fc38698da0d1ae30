"""The spot exam on the officer's phone (逢查必考, ``/staff/spot/exam``): the page handed to the person drawn.

The officer's login is locked to the exam while the person answers (``AccessToken.locked_spot_exam_id``):
this page is the only console page it opens (``staff_access.staff_handover_page``; every other page sends
the browser back here). The answering is the candidate screen's (``templates/_exam_screen.html``,
``static/exam.js`` in its spot mode, calling ``/spot/exam…`` of examsvc.spot.endpoints); after the
submission the page shows the result if the rule shows scores, and asks for the device to go back to the
officer, whose password (``exams.unlock``, checked like a log-in) gives the console back."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from examsvc.db import DbSession
from examsvc.dependencies import SettingsDep
from examsvc.errors import ExamServiceError
from examsvc.identity.endpoints import login_policy
from examsvc.spot import exams
from examsvc.spot.access import HandedOver
from examsvc.spot.models import SpotExamStatus
from examsvc.web.pages import render
from examsvc.web.staff_access import ERROR_HEADER, StaffHandoverPage, posted

router = APIRouter(prefix="/staff/spot", include_in_schema=False)
Handover = Annotated[HandedOver, Depends(StaffHandoverPage())]
CONSOLE = "/staff/spot"


def _keys(request: Request) -> Any:
    return request.app.state.paper_keys


def _page(request: Request, caller: HandedOver, db_session: DbSession, *,
          error: ExamServiceError | None = None) -> Response:
    exam = exams.handed_over(db_session, caller.token)
    taken = exams.taken(db_session, exam, _keys(request))
    context = {"exam": exam, "person": taken.person, "inspection": taken.inspection, "error": error}
    status = error.status_code if error else 200
    if exam.status == SpotExamStatus.IN_PROGRESS:
        response = render(request, "spot_exam.html", status_code=status, **context)
    else:
        response = render(request, "spot_done.html", status_code=status, show_score=taken.show_score, **context)
    if error is not None:
        response.headers[ERROR_HEADER] = error.code
    return response


@router.get("/exam")
def phone(request: Request, caller: Handover, db_session: DbSession) -> Response:
    if caller.token.locked_spot_exam_id is None:  # nothing handed over: the officer's own console
        return RedirectResponse(CONSOLE, status_code=303)
    return _page(request, caller, db_session)


@router.post("/exam/unlock")
def unlock(request: Request, caller: Handover, db_session: DbSession, settings: SettingsDep) -> Response:
    """The officer takes the device back. A wrong password is said on the page and its count kept (the
    transaction commits, as a failed log-in's does); the device stays locked."""
    exam_id = caller.token.locked_spot_exam_id
    if exam_id is None:
        return RedirectResponse(CONSOLE, status_code=303)
    exam = exams.require_exam_of(db_session, exam_id)
    try:
        exams.unlock(db_session=db_session, token_secret=caller.current.token, password=posted(request).get(
            "password", ""), actor=caller.current.actor, policy=login_policy(settings))
    except ExamServiceError as refused:
        return _page(request, caller, db_session, error=refused)
    return RedirectResponse(f"{CONSOLE}/{exam.inspection_id}", status_code=303)

