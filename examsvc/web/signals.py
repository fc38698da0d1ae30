"""The integrity signals pages (异常线索; docs/analytics.md (signals)): a sitting's signals, filtered in the URL
(``?sitting=CODE&kind=…``), and one signal's evidence with the action form (已复核 / 移交调查 / 排除 and a
note). Thin shells over examsvc/analytics/signals.py and signal_actions.py, with the API's roles and scopes:
exam administrators and inspectors read and act, auditors read a closed sitting."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from examsvc.analytics import signal_actions
from examsvc.analytics.signal_actions import ACTION_NAMES, MAX_NOTE_CHARS, Action
from examsvc.analytics.signal_endpoints import ACT_SCOPES, READ_SCOPES
from examsvc.analytics.signals import KIND_NAMES, Kind, Signal, signals_for
from examsvc.db import DbSession
from examsvc.errors import ExamServiceError, InvalidInput
from examsvc.identity.access import CurrentUser
from examsvc.sittings.access import SittingCaller
from examsvc.sittings.models import Sitting
from examsvc.sittings.service import get as get_sitting
from examsvc.web.pages import render
from examsvc.web.staff_access import ERROR_HEADER, posted, staff_page, staff_sitting_page

router = APIRouter(prefix="/staff/analysis", include_in_schema=False)
Chooser = Annotated[CurrentUser, Depends(staff_page(*READ_SCOPES))]
Reader = Annotated[SittingCaller, Depends(staff_sitting_page(READ_SCOPES))]
Acting = Annotated[SittingCaller, Depends(staff_sitting_page(ACT_SCOPES))]
# Declared so that the route is seen to name its sitting in the query (sittings/access.names_a_sitting);
# the requirement reads and checks it.
SittingCode = Annotated[str, Query(alias="sitting", min_length=1, max_length=40)]


def _kind(raw: str) -> Kind | None:
    if not raw:
        return None
    try:
        return Kind(raw)
    except ValueError:
        raise InvalidInput("线索类型无效。", code="bad_kind", detail={"field": "kind"}) from None


def _may_act(current: CurrentUser) -> bool:
    return any(current.has(role) for role in ACT_SCOPES)


@router.get("")
def choose(request: Request, current: Chooser) -> Response:
    return render(request, "staff/signals_choose.html", user=current.user, kinds=KIND_NAMES)


@router.get("/signals")
def list_page(request: Request, current: Reader, db_session: DbSession, sitting_code: SittingCode,
              kind: str = "") -> Response:
    sitting = get_sitting(db_session=db_session, code=current.sitting_code)
    chosen = _kind(kind)
    found = signals_for(db_session, sitting, chosen)
    actions = signal_actions.actions_of(db_session, sitting=sitting)
    return render(request, "staff/signals.html", user=current.user, sitting=sitting, signals=found,
                  kind=chosen, kinds=KIND_NAMES, actions=actions, action_names=ACTION_NAMES)


def _signal_page(request: Request, current: CurrentUser, db_session: Session, sitting: Sitting, signal: Signal, *,
                 error: ExamServiceError | None = None, form: dict[str, str] | None = None,
                 done: str = "") -> Response:
    actions = signal_actions.actions_of(db_session, sitting=sitting).get(signal.id, [])
    response = render(request, "staff/signal.html", status_code=422 if error else 200, user=current.user,
                      sitting=sitting, signal=signal, kinds=KIND_NAMES, actions=actions, action_names=ACTION_NAMES,
                      may_act=_may_act(current), error=error, form=form or {}, max_note=MAX_NOTE_CHARS, done=done)
    if error is not None:
        response.headers[ERROR_HEADER] = error.code
    return response


@router.get("/signals/{signal_id}")
def signal_page(signal_id: str, request: Request, current: Reader, db_session: DbSession, sitting_code: SittingCode,
                done: str = "", kind: str = "") -> Response:
    sitting = get_sitting(db_session=db_session, code=current.sitting_code)
    # the list's links name the kind: only that kind is computed (a similarity of 2,000 takes seconds)
    signal = signal_actions.find(db_session, sitting=sitting, signal_id=signal_id, kind=_kind(kind))
    return _signal_page(request, current, db_session, sitting, signal, done=done if done in ACTION_NAMES else "")


@router.post("/signals/{signal_id}/actions")
def act(signal_id: str, request: Request, current: Acting, db_session: DbSession,
        sitting_code: SittingCode) -> Response:
    form = posted(request)
    sitting = get_sitting(db_session=db_session, code=current.sitting_code)
    signal = signal_actions.find(db_session, sitting=sitting, signal_id=signal_id, kind=_kind(form.get("kind", "")))
    try:
        try:
            action = Action(form.get("action", ""))
        except ValueError:
            raise InvalidInput("请选择处理方式。", code="bad_action", detail={"field": "action"}) from None
        note = form.get("note", "").strip()
        if not note or len(note) > MAX_NOTE_CHARS:
            raise InvalidInput(f"请填写处理说明（1–{MAX_NOTE_CHARS} 字）。", code="bad_note", detail={"field": "note"})
    except ExamServiceError as error:
        return _signal_page(request, current, db_session, sitting, signal, error=error, form=form)
    signal_actions.act(db_session, sitting=sitting, signal=signal, action=action, note=note, actor=current.actor)
    return RedirectResponse(f"/staff/analysis/signals/{signal.id}?sitting={sitting.code}&kind={signal.kind}"
                            f"&done={action}#actions", status_code=303)

