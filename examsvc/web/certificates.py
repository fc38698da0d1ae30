"""The certificate pages (证书管理, ``/staff/certificates``): the register (台账) with its filters and .xlsx, a
certificate with its QR code and lifecycle, and for the 发证人员 the forms that issue one, issue a whole
sitting (a progress page) and record a review, a renewal, a revocation, a reinstatement or a replacement.

Each form is a plain POST handled here with the very service the JSON API's route calls
(``examsvc.certificates.service`` / ``batches``); a refusal is shown on the form in Chinese and the
transaction is rolled back. Who may open what is the API's: the register's readers (certificate officers,
exam admins, auditors, inspectors) read; only certificate officers act. The batch page's script
(``static/certificate-batch.js``) continues the batch through the API's own ``…/continue`` route;
without a script its button does the same through this module."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from examsvc import localtime
from examsvc.certificates import batches, register, service, views
from examsvc.certificates.keys import CertificateKeyring
from examsvc.certificates.models import Certificate, CertificateBatch
from examsvc.config import Settings
from examsvc.db import DbSession
from examsvc.dependencies import SettingsDep
from examsvc.errors import ExamServiceError, NotFound
from examsvc.identity.access import CurrentUser
from examsvc.identity.roles import Role
from examsvc.sittings import service as sittings
from examsvc.web import certificate_views as shown
from examsvc.web.pages import render
from examsvc.web.staff_access import ERROR_HEADER, PageRefusal, posted, staff_page

router = APIRouter(prefix="/staff/certificates", include_in_schema=False)
Officer = Annotated[CurrentUser, Depends(staff_page(Role.CERTIFICATE_OFFICER))]
# The register's readers, as GET /certificates admits them.
Reader = Annotated[CurrentUser, Depends(staff_page(
    Role.CERTIFICATE_OFFICER, Role.EXAM_ADMIN, Role.AUDITOR, Role.INSPECTOR))]
NUMBER_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


def _keys(request: Request) -> CertificateKeyring:
    keys: CertificateKeyring = request.app.state.certificate_keys
    return keys


def _refused(response: Response, refused: ExamServiceError | None) -> Response:
    if refused is not None:
        response.headers[ERROR_HEADER] = refused.code
    return response


def _certificate(db_session: Session, number: str) -> Certificate:
    """The certificate, or the refusal page (404) for a number the register does not hold."""
    try:
        if not number or len(number) > 24 or not set(number) <= NUMBER_CHARS:
            raise NotFound("没有该证号的证书。", code="certificate_not_found")
        return service.by_number(db_session, number)
    except ExamServiceError as refused:
        raise PageRefusal(refused) from refused


def _batch(db_session: Session, batch_id: int) -> CertificateBatch:
    try:
        return batches.get(db_session, batch_id)
    except ExamServiceError as refused:
        raise PageRefusal(refused) from refused


@router.get("")
def register_page(request: Request, current: Reader, db_session: DbSession, settings: SettingsDep) -> Response:
    params = dict(request.query_params)
    today = service.today_in(settings)
    error: ExamServiceError | None = None
    try:
        wanted = shown.wanted(params)
    except ExamServiceError as refused:
        error, wanted = refused, shown.Wanted(register.RegisterFilter(), {f: "" for f in shown.FILTER_FIELDS})
    number = shown.page_number(params.get("page", "1"))
    total, rows = register.search(db_session, wanted.filter, today, limit=shown.PAGE_SIZE,
                                  offset=(number - 1) * shown.PAGE_SIZE)
    if number > shown.pages_of(total):  # past the end (the register shrank, or a typed URL): the last page
        number = shown.pages_of(total)
        total, rows = register.search(db_session, wanted.filter, today, limit=shown.PAGE_SIZE,
                                      offset=(number - 1) * shown.PAGE_SIZE)
    listed = shown.Page(views.summaries(db_session, rows, today), number, shown.pages_of(total), total)
    response = render(request, "staff/certificates.html", status_code=error.status_code if error else 200,
                      user=current.user, officer=current.has(Role.CERTIFICATE_OFFICER), listed=listed,
                      wanted=wanted, error=error, kinds=shown.KINDS, standings=shown.STANDINGS, today=today)
    return _refused(response, error)


def issue_page(request: Request, current: CurrentUser, *, error: ExamServiceError | None = None,
               form: dict[str, str] | None = None, failed: str = "") -> Response:
    response = render(request, "staff/certificate_issue.html", status_code=error.status_code if error else 200,
                      user=current.user, error=error, failed=failed, form=form or {}, subjects=shown.SUBJECTS)
    return _refused(response, error)


@router.get("/issue")
def issue_form(request: Request, current: Officer) -> Response:
    return issue_page(request, current)


@router.post("/issue")
def issue(request: Request, current: Officer, db_session: DbSession, settings: SettingsDep) -> Response:
    form = posted(request)
    try:
        made = service.issue(db_session, keyring=_keys(request), settings=settings, actor=current.actor,
                             id_number=service.checked_id_number(form.get("id_number", "")),
                             subject=form.get("subject", "").strip())
    except ExamServiceError as refused:
        db_session.rollback()
        return issue_page(request, current, error=refused, form=form, failed="one")
    return RedirectResponse(f"/staff/certificates/{made.number}?done=issued", status_code=303)


@router.post("/batches")
def start_batch(request: Request, current: Officer, db_session: DbSession, settings: SettingsDep) -> Response:
    form = posted(request)
    try:
        sitting = sittings.get(db_session=db_session, code=form.get("sitting", "").strip())
        batch = batches.start(db_session, sitting=sitting, user_id=current.id, today=service.today_in(settings))
    except ExamServiceError as refused:
        db_session.rollback()
        return issue_page(request, current, error=refused, form=form, failed="sitting")
    return RedirectResponse(f"/staff/certificates/batches/{batch.id}", status_code=303)


def batch_page(request: Request, current: CurrentUser, db_session: Session, batch: CertificateBatch, *,
               error: ExamServiceError | None = None) -> Response:
    response = render(request, "staff/certificate_batch.html", status_code=error.status_code if error else 200,
                      user=current.user, batch=views.batch(batch), sitting=batches.sitting_code(db_session, batch),
                      error=error)
    return _refused(response, error)


@router.get("/batches/{batch_id}")
def batch_progress(batch_id: int, request: Request, current: Officer, db_session: DbSession) -> Response:
    return batch_page(request, current, db_session, _batch(db_session, batch_id))


@router.post("/batches/{batch_id}/continue")
def continue_batch(batch_id: int, request: Request, current: Officer, db_session: DbSession,
                   settings: SettingsDep) -> Response:
    """The next chunk, for a browser without the page's script (the script calls the API's route)."""
    batch = _batch(db_session, batch_id)
    try:
        batches.advance(db_session, batch, keyring=_keys(request), settings=settings, actor=current.actor,
                        user_id=current.id)
    except ExamServiceError as refused:
        db_session.rollback()
        return batch_page(request, current, db_session, _batch(db_session, batch_id), error=refused)
    return RedirectResponse(f"/staff/certificates/batches/{batch_id}", status_code=303)


def certificate_page(request: Request, current: CurrentUser, certificate: Certificate, settings: Settings, *,
                     error: ExamServiceError | None = None, failed: str = "",
                     form: dict[str, str] | None = None) -> Response:
    detail = views.detail(certificate, settings, service.today_in(settings))
    officer = current.has(Role.CERTIFICATE_OFFICER)
    response = render(
        request, "staff/certificate.html", status_code=error.status_code if error else 200, user=current.user,
        c=detail, officer=officer, actions=shown.actions(detail) if officer else [], basis=shown.basis_rows(detail),
        qr=shown.qr_svg(detail["qr_text"], detail["number"]), error=error, failed=failed, form=form or {},
        done=shown.DONE.get(request.query_params.get("done", ""), "") if error is None else "",
        local=lambda moment: localtime.local_text(moment, settings.timezone))
    return _refused(response, error)


@router.get("/{number}")
def certificate(number: str, request: Request, current: Reader, db_session: DbSession,
                settings: SettingsDep) -> Response:
    return certificate_page(request, current, _certificate(db_session, number), settings)


Act = Callable[[Session, Certificate, dict[str, str], CertificateKeyring, Settings, CurrentUser], None]


def _act(action: str, done: str, request: Request, number: str, current: CurrentUser, db_session: Session,
         settings: Settings, act: Act) -> Response:
    found = _certificate(db_session, number)
    form = posted(request)
    try:
        act(db_session, found, form, _keys(request), settings, current)
    except ExamServiceError as refused:
        db_session.rollback()
        return certificate_page(request, current, _certificate(db_session, number), settings, error=refused,
                                failed=action, form=form)
    return RedirectResponse(f"/staff/certificates/{number}?done={done}", status_code=303)


def _review(db: Session, c: Certificate, form: dict[str, str], keys: CertificateKeyring, settings: Settings,
            who: CurrentUser) -> None:
    service.review(db, c, keyring=keys, settings=settings, actor=who.actor, reason=form.get("reason", ""),
                   extended=form.get("extended") == "yes", basis=form.get("basis", ""))


def _renew(db: Session, c: Certificate, form: dict[str, str], keys: CertificateKeyring, settings: Settings,
           who: CurrentUser) -> None:
    applied = shown.wanted_date(form.get("applied_on", ""), "applied_on")
    service.renew(db, c, keyring=keys, settings=settings, actor=who.actor, reason=form.get("reason", ""),
                  applied_on=applied)


def _revoke(db: Session, c: Certificate, form: dict[str, str], keys: CertificateKeyring, settings: Settings,
            who: CurrentUser) -> None:
    service.revoke(db, c, keyring=keys, actor=who.actor, reason=form.get("reason", ""),
                   mode=form.get("mode", "cancel"))


def _reinstate(db: Session, c: Certificate, form: dict[str, str], keys: CertificateKeyring, settings: Settings,
               who: CurrentUser) -> None:
    service.reinstate(db, c, keyring=keys, actor=who.actor, reason=form.get("reason", ""))


def _replace(db: Session, c: Certificate, form: dict[str, str], keys: CertificateKeyring, settings: Settings,
             who: CurrentUser) -> None:
    service.replace(db, c, keyring=keys, settings=settings, actor=who.actor, reason=form.get("reason", ""))


@router.post("/{number}/review")
def review(number: str, request: Request, current: Officer, db_session: DbSession, settings: SettingsDep) -> Response:
    return _act("review", "reviewed", request, number, current, db_session, settings, _review)


@router.post("/{number}/renew")
def renew(number: str, request: Request, current: Officer, db_session: DbSession, settings: SettingsDep) -> Response:
    return _act("renew", "renewed", request, number, current, db_session, settings, _renew)


@router.post("/{number}/revoke")
def revoke(number: str, request: Request, current: Officer, db_session: DbSession, settings: SettingsDep) -> Response:
    return _act("revoke", "revoked", request, number, current, db_session, settings, _revoke)


@router.post("/{number}/reinstate")
def reinstate(number: str, request: Request, current: Officer, db_session: DbSession,
              settings: SettingsDep) -> Response:
    return _act("reinstate", "reinstated", request, number, current, db_session, settings, _reinstate)


@router.post("/{number}/replace")
def replace(number: str, request: Request, current: Officer, db_session: DbSession,
            settings: SettingsDep) -> Response:
    return _act("replace", "replaced", request, number, current, db_session, settings, _replace)
