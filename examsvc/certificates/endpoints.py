"""The certificate API: issue (one, or a whole sitting in chunks with progress), the lifecycle, the register,
the printable card, the public key set and the public check. Docs: docs/certificates.md."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from pydantic import BaseModel, Field

from examsvc.audit.actors import Actor
from examsvc.certificates import batches, register, register_sheet, service, views
from examsvc.certificates.keys import CertificateKeyring
from examsvc.certificates.ratelimit import RateLimiter
from examsvc.certificates.rules import Standing
from examsvc.certificates.signed_form import MAX_TEXT_CHARS
from examsvc.certificates.verify import verify_text
from examsvc.db import DbSession, in_request_transaction
from examsvc.dependencies import SettingsDep
from examsvc.identity.access import CurrentUser, require_roles
from examsvc.identity.endpoints import client_address
from examsvc.identity.roles import Role
from examsvc.sittings.service import get as get_sitting
from examsvc.spot.archive import register_flags

router = APIRouter(prefix="/certificates", tags=["certificates"])
Officer = Annotated[CurrentUser, Depends(require_roles(Role.CERTIFICATE_OFFICER))]
# The register is the province's: the issuing office, exam administration, auditors, and inspectors who
# check cards in the field (逢查必考).
RegisterReader = Annotated[CurrentUser, Depends(require_roles(
    Role.CERTIFICATE_OFFICER, Role.EXAM_ADMIN, Role.AUDITOR, Role.INSPECTOR))]
NumberPath = Annotated[str, Path(min_length=1, max_length=24, pattern=r"^[A-Z0-9-]+$")]
Reason = Annotated[str, Field(min_length=1, max_length=service.MAX_REASON_CHARS)]


# Async: nothing here blocks, and a sync dependency costs the request a hop to the thread pool.
async def keyring(request: Request) -> CertificateKeyring:
    keys: CertificateKeyring = request.app.state.certificate_keys
    return keys


Keys = Annotated[CertificateKeyring, Depends(keyring)]


async def rate_limited(request: Request) -> None:
    limiter: RateLimiter = request.app.state.verify_limiter
    limiter.check(client_address(request))


def _acting(user: CurrentUser) -> Actor:
    return user.actor


@router.get("/keys", summary="The province's certificate keys (public; every key ever used, by key id)")
def keys(keys: Keys) -> dict[str, Any]:
    return keys.key_set()


class VerifyBody(BaseModel):
    text: str = Field(max_length=MAX_TEXT_CHARS, description="the QR code's text (SQ1:…)")
    id_number: str | None = Field(default=None, max_length=18, description="typed from the card, to compare")


@router.post("/verify", summary="Check a certificate's QR text (public, rate-limited)",
             dependencies=[Depends(rate_limited)])
async def verify(body: VerifyBody, request: Request, settings: SettingsDep, keys: Keys) -> dict[str, Any]:
    # One thread hop for the session, the check and the commit: a public route that takes load.
    return await in_request_transaction(request, lambda db_session: verify_text(
        db_session, keys, settings, body.text, id_number=body.id_number).as_json())


class IssueBody(BaseModel):
    id_number: str = Field(min_length=18, max_length=18)
    subject: str = Field(min_length=1, max_length=40, description="operation item code (e.g. 1.2) or personnel "
                                                                   "category (principal, safety_manager)")


@router.post("", status_code=status.HTTP_201_CREATED, summary="Issue the certificate a recorded qualification earns")
def issue(body: IssueBody, user: Officer, db_session: DbSession, settings: SettingsDep, keys: Keys) -> dict[str, Any]:
    made = service.issue(db_session, keyring=keys, settings=settings, actor=_acting(user),
                         id_number=service.checked_id_number(body.id_number), subject=body.subject)
    return views.detail(made, settings, service.today_in(settings))


class BatchBody(BaseModel):
    sitting: str = Field(min_length=1, max_length=40)


@router.post("/batches", status_code=status.HTTP_201_CREATED,
             summary="Start issuing a sitting's qualified candidates (then POST …/continue until done)")
def start_batch(body: BatchBody, user: Officer, db_session: DbSession, settings: SettingsDep) -> dict[str, Any]:
    sitting = get_sitting(db_session=db_session, code=body.sitting)
    batch = batches.start(db_session, sitting=sitting, user_id=user.id, today=service.today_in(settings))
    return views.batch(batch)


@router.post("/batches/{batch_id}/continue", summary="Issue the batch's next chunk; answers the progress")
def continue_batch(batch_id: int, user: Officer, db_session: DbSession, settings: SettingsDep,
                   keys: Keys) -> dict[str, Any]:
    batch = batches.get(db_session, batch_id)
    batches.advance(db_session, batch, keyring=keys, settings=settings, actor=_acting(user), user_id=user.id)
    return views.batch(batch)


@router.get("/batches/{batch_id}", summary="A batch's progress")
def get_batch(batch_id: int, _: Officer, db_session: DbSession) -> dict[str, Any]:
    return views.batch(batches.get(db_session, batch_id))


def register_query(kind: Annotated[int | None, Query(ge=1, le=2, description="1 特种作业操作证, 2 合格证")] = None,
                   item: Annotated[str | None, Query(max_length=60)] = None,
                   site: Annotated[str | None, Query(max_length=32, description="site code")] = None,
                   sitting: Annotated[str | None, Query(max_length=40, description="sitting code")] = None,
                   employer: Annotated[str | None, Query(max_length=200, description="part of the name")] = None,
                   standing: Standing | None = None, expires_from: date | None = None,
                   expires_to: date | None = None) -> register.RegisterFilter:
    return register.RegisterFilter(kind=kind, item=item, site=site, sitting=sitting, employer=employer,
                                   standing=standing, expires_from=expires_from, expires_to=expires_to)


RegisterQuery = Annotated[register.RegisterFilter, Depends(register_query)]


@router.get("", summary="The register (台账): filter by kind, item, site, sitting, employer, standing, expiry")
def list_certificates(_: RegisterReader, db_session: DbSession, settings: SettingsDep, wanted: RegisterQuery,
                      limit: Annotated[int, Query(ge=1, le=register.MAX_PAGE)] = 100,
                      offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    today = service.today_in(settings)
    total, rows = register.search(db_session, wanted, today, limit=limit, offset=offset)
    return {"total": total, "certificates": views.summaries(db_session, rows, today)}


@router.get("/register.xlsx", summary="The register (台账) as .xlsx, with the same filters; no ID numbers",
            response_class=Response, responses={200: {"content": {views.XLSX: {}}}})
def register_workbook(_: RegisterReader, db_session: DbSession, settings: SettingsDep,
                      wanted: RegisterQuery) -> Response:
    today = service.today_in(settings)
    certificates = register.all_matching(db_session, wanted, today)
    flags = register_flags(db_session, [c.id for c in certificates])
    content = register_sheet.workbook(certificates, settings, today, flags)
    return Response(content=content, media_type=views.XLSX,
                    headers={"Content-Disposition": f'attachment; filename="certificates-{today.isoformat()}.xlsx"'})


@router.get("/{number}", summary="One certificate with its lifecycle")
def get_certificate(number: NumberPath, _: RegisterReader, db_session: DbSession,
                    settings: SettingsDep) -> dict[str, Any]:
    certificate = service.by_number(db_session, number)
    flags = register_flags(db_session, [certificate.id]).get(certificate.id, [])
    return views.detail(certificate, settings, service.today_in(settings), flags)


class ReviewBody(BaseModel):
    reason: Reason
    extended: bool = Field(default=False, description="next review in 6 years (10+ years of compliant work)")
    basis: str = Field(default="", max_length=service.MAX_REASON_CHARS)


class RenewBody(BaseModel):
    reason: Reason
    applied_on: date | None = None


class RevokeBody(BaseModel):
    reason: Reason
    mode: str = Field(default="cancel", description="cancel (撤销) or withdraw (吊销)")


class ReasonBody(BaseModel):
    reason: Reason


def _done(db_session: DbSession, number: str, settings: Any) -> dict[str, Any]:
    return views.detail(service.by_number(db_session, number), settings, service.today_in(settings))


@router.get("/{number}/card.pdf", summary="The printable card (PDF, A4: front with the QR code, back with the "
            "review record); 503 when the server has no CJK font", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def card_pdf(number: NumberPath, _: Officer, db_session: DbSession, settings: SettingsDep) -> Response:
    # Here, not at the top: fpdf2 (and its font machinery) is loaded by the first card asked for, not by every
    # process that starts the app.
    from examsvc.certificates import card

    found = service.by_number(db_session, number)
    return Response(content=card.render(db_session, found, settings), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{found.number}-{found.sequence}.pdf"'})


@router.post("/{number}/review", summary="复审 (特种作业操作证)")
def review(number: NumberPath, body: ReviewBody, user: Officer, db_session: DbSession, settings: SettingsDep,
           keys: Keys) -> dict[str, Any]:
    service.review(db_session, service.by_number(db_session, number), keyring=keys, settings=settings,
                   actor=_acting(user), reason=body.reason, extended=body.extended, basis=body.basis)
    return _done(db_session, number, settings)


@router.post("/{number}/renew", summary="再培训换证 (合格证)")
def renew(number: NumberPath, body: RenewBody, user: Officer, db_session: DbSession, settings: SettingsDep,
          keys: Keys) -> dict[str, Any]:
    service.renew(db_session, service.by_number(db_session, number), keyring=keys, settings=settings,
                  actor=_acting(user), reason=body.reason, applied_on=body.applied_on)
    return _done(db_session, number, settings)


@router.post("/{number}/revoke", summary="撤销/吊销")
def revoke(number: NumberPath, body: RevokeBody, user: Officer, db_session: DbSession, settings: SettingsDep,
           keys: Keys) -> dict[str, Any]:
    service.revoke(db_session, service.by_number(db_session, number), keyring=keys, actor=_acting(user),
                   reason=body.reason, mode=body.mode)
    return _done(db_session, number, settings)


@router.post("/{number}/reinstate", summary="恢复 (a revocation set aside)")
def reinstate(number: NumberPath, body: ReasonBody, user: Officer, db_session: DbSession, settings: SettingsDep,
              keys: Keys) -> dict[str, Any]:
    service.reinstate(db_session, service.by_number(db_session, number), keyring=keys, actor=_acting(user),
                      reason=body.reason)
    return _done(db_session, number, settings)


@router.post("/{number}/replace", summary="补证: same number, next sequence; the old card stops verifying")
def replace(number: NumberPath, body: ReasonBody, user: Officer, db_session: DbSession, settings: SettingsDep,
            keys: Keys) -> dict[str, Any]:
    service.replace(db_session, service.by_number(db_session, number), keyring=keys, settings=settings,
                    actor=_acting(user), reason=body.reason)
    return _done(db_session, number, settings)


