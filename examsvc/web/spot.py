"""The enforcement officer's console for 逢查必考 (``/staff/spot``): my inspections and the new-inspection form,
and an inspection's page: the second officer's confirmation, the people on duty (typed rows, or a file
through the API's upload route, static/spot-console.js), the draw, examinees added by hand, handing the
device to an examinee (the phone page, examsvc.web.spot_exam), the archive and re-training records.

Every form calls the service the JSON API's route calls (examsvc.spot.inspections / exams); a refusal is
shown next to its field in Chinese and the transaction rolled back, except a wrong second-officer password,
whose count is kept as a failed log-in's is. Only the inspection's own officers open it
(``endpoints.readable``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from examsvc.banks.document import INDUSTRY_LABELS, PERSON_KIND_LABELS
from examsvc.blueprints import service as blueprints
from examsvc.blueprints.models import BlueprintStatus, BlueprintVersion
from examsvc.certificates.service import today_in
from examsvc.db import DbSession, utcnow
from examsvc.dependencies import SettingsDep
from examsvc.errors import ExamServiceError, InvalidInput
from examsvc.identity.access import CurrentUser
from examsvc.identity.endpoints import login_policy
from examsvc.identity.roles import Role
from examsvc.spot import archive, exams, inspections
from examsvc.spot.endpoints import inspection_read, readable
from examsvc.spot.models import Inspection
from examsvc.spot.roster import JSON_FIELDS, read_roster, template_roster_xlsx
from examsvc.web.pages import render
from examsvc.web.staff_access import ERROR_HEADER, PageRefusal, posted, staff_page

router = APIRouter(prefix="/staff/spot", include_in_schema=False)
Officer = Annotated[CurrentUser, Depends(staff_page(Role.ENFORCEMENT_OFFICER))]
HOME = "/staff/spot"
BLANK_ROWS = 5
MAX_ROWS = 500
STATUS_LABELS = {"open": "待抽取", "drawn": "已抽取", "closed": "已归档"}
EXAM_LABELS = {"in_progress": "作答中", "submitted": "已交卷"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _keys(request: Request) -> Any:
    return request.app.state.paper_keys


def spot_rules(db_session: Session) -> list[BlueprintVersion]:
    return [r for r in blueprints.list_all(db_session=db_session)
            if r.status == BlueprintStatus.APPROVED and blueprints.rule_of(r).purpose == "spot"]


def _invalid(error: ExamServiceError | None, *, rows: dict[int, int] | None = None) -> set[str]:
    """The form fields a refusal names: ``detail.field``, or each roster problem's row and field
    (``rows`` maps a problem's line to the row number on the form)."""
    if error is None:
        return set()
    named = {str(error.detail["field"])} if error.detail.get("field") else set()
    for problem in error.detail.get("problems", []):
        field = problem.get("field")
        if field in JSON_FIELDS:
            line = problem.get("line")
            named.add(field if rows is None else f"{field}_{rows.get(line, line)}")
    return named


def _refused(response: Response, error: ExamServiceError | None) -> Response:
    if error is not None:
        response.headers[ERROR_HEADER] = error.code
    return response


def list_page(request: Request, current: CurrentUser, db_session: Session, today: date, *,
              error: ExamServiceError | None = None, form: dict[str, str] | None = None) -> Response:
    # The officer's own inspections: the archive's list (GET /spot/inspections) scoped to them.
    total, listed = archive.inspections(db_session, archive.ArchiveFilter(), officer_id=current.id)
    response = render(request, "staff/spot_list.html", status_code=error.status_code if error else 200,
                      user=current.user, inspections=listed, total=total,
                      counts=archive.exam_counts(db_session, [x.id for x in listed]), rules=spot_rules(db_session),
                      industries=INDUSTRY_LABELS, statuses=STATUS_LABELS, error=error, invalid=_invalid(error),
                      form=form if form is not None else {"inspected_on": today.isoformat()},
                      max_draw=inspections.MAX_DRAW)
    return _refused(response, error)


@router.get("")
def inspections_page(request: Request, current: Officer, db_session: DbSession, settings: SettingsDep) -> Response:
    return list_page(request, current, db_session, today_in(settings))


def _number(form: dict[str, str], field: str, label: str) -> int:
    try:
        return int(form.get(field, "").strip())
    except ValueError:
        raise InvalidInput(f"请填写{label}（整数）。", code="inspection_invalid", detail={"field": field}) from None


def _input(form: dict[str, str]) -> inspections.InspectionInput:
    try:
        inspected_on = date.fromisoformat(form.get("inspected_on", "").strip())
    except ValueError:
        raise InvalidInput("请填写检查日期（年-月-日）。", code="inspection_invalid",
                           detail={"field": "inspected_on"}) from None
    return inspections.InspectionInput(
        enterprise_name=form.get("enterprise_name", ""), credit_code=form.get("credit_code", ""),
        industry=form.get("industry", ""), city=form.get("city", ""), address=form.get("address", ""),
        inspected_on=inspected_on, blueprint_id=_number(form, "blueprint_id", "抽考规则"),
        draw_count=_number(form, "draw_count", "抽取人数"))


@router.post("")
def open_inspection(request: Request, current: Officer, db_session: DbSession, settings: SettingsDep) -> Response:
    form = posted(request)
    try:
        made = inspections.open_inspection(db_session=db_session, data=_input(form), actor=current.actor,
                                           keys=_keys(request), today=today_in(settings))
    except ExamServiceError as refused:
        db_session.rollback()
        return list_page(request, current, db_session, today_in(settings), error=refused, form=form)
    return RedirectResponse(f"{HOME}/{made.id}", status_code=303)


@router.get("/roster-template.xlsx")
def roster_template(current: Officer) -> Response:
    return Response(template_roster_xlsx(), media_type=XLSX,
                    headers={"Content-Disposition": "attachment; filename*=UTF-8''roster-template.xlsx"})


def _inspection(db_session: Session, inspection_id: int, current: CurrentUser) -> Inspection:
    try:
        inspection = readable(db_session, inspection_id, current)
        inspections.require_officer(inspection, current.actor)  # the console is the officers' only
        return inspection
    except ExamServiceError as refused:
        raise PageRefusal(refused) from refused


def _typed_rows(form: dict[str, str]) -> tuple[list[dict[str, object]], dict[int, int], int]:
    """The rows typed on the form: the filled ones (blank rows are skipped), the map from their position in
    the list to their row on the form, and how many rows the form had."""
    count = min(max(_int(form.get("rows", "0")), 0), MAX_ROWS)
    filled: list[dict[str, object]] = []
    rows: dict[int, int] = {}
    for n in range(1, count + 1):
        row = {f: form.get(f"{f}_{n}", "").strip() for f in JSON_FIELDS}
        if any(row.values()):
            filled.append({k: (v or None) if k == "kind" else v for k, v in row.items()})
            rows[len(filled)] = n
    return filled, rows, count


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


def inspection_page(request: Request, current: CurrentUser, db_session: Session, inspection: Inspection, *,
                    error: ExamServiceError | None = None, failed: str = "", form: dict[str, str] | None = None,
                    rows: dict[int, int] | None = None, extra_rows: int = 0) -> Response:
    read = inspection_read(db_session, inspection, detail=True)
    people = read.people or []
    roster = [p for p in people if not p.manual or p.draw_order is not None]
    examinees = [p for p in people if p.draw_order is not None or p.manual]
    form = form or {}
    typed = _typed_rows(form)[2] if failed == "roster" else 0
    row_count = max(typed, BLANK_ROWS) + extra_rows
    response = render(
        request, "staff/spot_inspection.html", status_code=error.status_code if error else 200, user=current.user,
        i=read, roster=roster, examinees=examinees, error=error, failed=failed, form=form,
        invalid=_invalid(error, rows=rows), row_count=row_count, kinds=PERSON_KIND_LABELS,
        statuses=STATUS_LABELS, exam_labels=EXAM_LABELS, lead=read.lead_officer_id == current.id,
        done=request.query_params.get("done", "") if error is None else "", max_rows=MAX_ROWS,
        rules=[r for r in spot_rules(db_session) if r.id != read.blueprint_version_id])
    return _refused(response, error)


@router.get("/{inspection_id}")
def inspection(inspection_id: int, request: Request, current: Officer, db_session: DbSession) -> Response:
    return inspection_page(request, current, db_session, _inspection(db_session, inspection_id, current))


def _done(inspection_id: int, what: str) -> Response:
    return RedirectResponse(f"{HOME}/{inspection_id}?done={what}", status_code=303)


def _failed(request: Request, current: CurrentUser, db_session: Session, inspection_id: int, refused: ExamServiceError,
            failed: str, form: dict[str, str], *, rollback: bool = True, **extra: Any) -> Response:
    if rollback:
        db_session.rollback()
    return inspection_page(request, current, db_session, _inspection(db_session, inspection_id, current),
                           error=refused, failed=failed, form=form, **extra)


@router.post("/{inspection_id}/second-officer")
def second_officer(inspection_id: int, request: Request, current: Officer, db_session: DbSession,
                   settings: SettingsDep) -> Response:
    _inspection(db_session, inspection_id, current)
    form = posted(request)
    try:
        inspections.confirm_second_officer(
            db_session=db_session, inspection_id=inspection_id, username=form.get("username", ""),
            password=form.get("password", ""), actor=current.actor, policy=login_policy(settings))
    except ExamServiceError as refused:
        # Its refusals write nothing but a wrong password's count (throttled like a failed log-in): kept.
        form = {"username": form.get("username", "")}
        return _failed(request, current, db_session, inspection_id, refused, "second", form, rollback=False)
    return _done(inspection_id, "second")


@router.post("/{inspection_id}/roster")
def roster(inspection_id: int, request: Request, current: Officer, db_session: DbSession) -> Response:
    _inspection(db_session, inspection_id, current)
    form = posted(request)
    filled, rows, _ = _typed_rows(form)
    if "more" in form:  # "增加空行": the same rows again with more blank ones, nothing saved
        return inspection_page(request, current, db_session, _inspection(db_session, inspection_id, current),
                               failed="roster", form=form, extra_rows=BLANK_ROWS)
    try:
        people = read_roster(filled, source="在岗人员名单")
        inspections.set_roster(db_session=db_session, inspection_id=inspection_id, roster=people, actor=current.actor)
    except ExamServiceError as refused:
        return _failed(request, current, db_session, inspection_id, refused, "roster", form, rows=rows)
    return _done(inspection_id, "roster")


@router.post("/{inspection_id}/draw")
def draw(inspection_id: int, request: Request, current: Officer, db_session: DbSession) -> Response:
    _inspection(db_session, inspection_id, current)
    form = posted(request)
    try:
        if form.get("confirm") != "yes":
            raise InvalidInput("请先勾选确认：抽取后名单不能再修改。", code="draw_not_confirmed",
                               detail={"field": "confirm"})
        inspections.draw(db_session=db_session, inspection_id=inspection_id, actor=current.actor, keys=_keys(request))
    except ExamServiceError as refused:
        return _failed(request, current, db_session, inspection_id, refused, "draw", form)
    return _done(inspection_id, "drawn")


@router.post("/{inspection_id}/people")
def add_person(inspection_id: int, request: Request, current: Officer, db_session: DbSession) -> Response:
    _inspection(db_session, inspection_id, current)
    form = posted(request)
    person: dict[str, object] = {f: form.get(f, "").strip() for f in JSON_FIELDS}
    person["kind"] = person["kind"] or None
    try:
        inspections.add_by_hand(db_session=db_session, inspection_id=inspection_id, person=person,
                                reason=form.get("reason", ""), actor=current.actor)
    except ExamServiceError as refused:
        return _failed(request, current, db_session, inspection_id, refused, "manual", form)
    return _done(inspection_id, "added")


@router.post("/{inspection_id}/people/{person_id}/exam")
def hand_over(inspection_id: int, person_id: int, request: Request, current: Officer,
              db_session: DbSession) -> Response:
    """Starts the person's exam and locks this login to it: the browser goes to the phone page."""
    _inspection(db_session, inspection_id, current)
    chosen = posted(request).get("blueprint_id", "")
    try:
        exams.start(db_session=db_session, inspection_id=inspection_id, person_id=person_id,
                    blueprint_id=int(chosen) if chosen.isdigit() else None,
                    actor=current.actor, token_secret=current.token, keys=_keys(request), now=utcnow())
    except ExamServiceError as refused:
        return _failed(request, current, db_session, inspection_id, refused, f"exam-{person_id}", {})
    return RedirectResponse("/staff/spot/exam", status_code=303)


@router.post("/{inspection_id}/close")
def close(inspection_id: int, request: Request, current: Officer, db_session: DbSession,
          settings: SettingsDep) -> Response:
    _inspection(db_session, inspection_id, current)
    form = posted(request)
    try:
        if form.get("confirm") != "yes":
            raise InvalidInput("请先勾选确认：归档后不能再抽考或修改。", code="close_not_confirmed",
                               detail={"field": "close_confirm"})
        exams.close(db_session=db_session, inspection_id=inspection_id, actor=current.actor, keys=_keys(request),
                    now=utcnow(), grace_seconds=settings.answer_grace_seconds)
    except ExamServiceError as refused:
        return _failed(request, current, db_session, inspection_id, refused, "close", form)
    return _done(inspection_id, "closed")


@router.post("/{inspection_id}/exams/{exam_id}/retraining")
def retraining(inspection_id: int, exam_id: int, request: Request, current: Officer,
               db_session: DbSession) -> Response:
    _inspection(db_session, inspection_id, current)
    form = posted(request)
    try:
        exam = exams.require_exam_of(db_session, exam_id)
        if exam.inspection_id != inspection_id:
            raise InvalidInput("该抽考不属于本次检查。", code="spot_exam_not_found", detail={"field": "note"})
        exams.record_retraining(db_session=db_session, exam_id=exam_id, note=form.get("note", ""),
                                actor=current.actor)
    except ExamServiceError as refused:
        return _failed(request, current, db_session, inspection_id, refused, f"retraining-{exam_id}", form)
    return _done(inspection_id, "retraining")
