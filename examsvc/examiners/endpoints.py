from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.responses import PlainTextResponse

from examsvc.blueprints.schemas import Passphrase
from examsvc.crypto.recipient import public_bytes
from examsvc.db import DbSession
from examsvc.dependencies import SettingsDep
from examsvc.examiners import exchange, service
from examsvc.identity.access import CurrentUser, require_roles
from examsvc.identity.roles import Role

router = APIRouter(prefix="/examiners", tags=["examiners"])
ChiefExaminer = Annotated[CurrentUser, Depends(require_roles(Role.CHIEF_EXAMINER))]
KeyReader = Annotated[CurrentUser, Depends(require_roles(Role.CHIEF_EXAMINER, Role.EXAM_ADMIN, Role.AUDITOR))]
TEXT = "text/plain; charset=utf-8"


@router.post("/me/key", response_class=PlainTextResponse, status_code=status.HTTP_201_CREATED,
             summary="Create my signing key, sealed under my passphrase; returns my verifier key")
def create_key(
    body: Passphrase, current: ChiefExaminer, db_session: DbSession, settings: SettingsDep
) -> PlainTextResponse:
    verifier = service.create_key(db_session=db_session, user=current.user, passphrase=body.passphrase,
                                  origin=settings.log_origin, cost_log2=settings.password_cost_log2,
                                  actor=current.actor)
    return PlainTextResponse(verifier.vkey() + "\n", status_code=201, media_type=TEXT)


@router.post("/me/key/exchange", response_class=PlainTextResponse,
             summary="Record the X25519 key paper sets are sealed to (for keys made before it existed)")
def record_exchange_key(body: Passphrase, current: ChiefExaminer, db_session: DbSession) -> PlainTextResponse:
    signer = service.unlock(db_session=db_session, user_id=current.id, passphrase=body.passphrase)
    private = exchange.private_key(db_session, current.id, signer, current.actor)
    return PlainTextResponse(public_bytes(private).hex() + "\n", media_type=TEXT)


@router.get("/{user_id}/key", response_class=PlainTextResponse, summary="A chief examiner's verifier key",
            description="409 `examiner_key_missing` while the chief examiner has made no key (a state to fix).")
def get_key(user_id: int, _: KeyReader, db_session: DbSession) -> PlainTextResponse:
    return PlainTextResponse(service.verifier_for(db_session=db_session, user_id=user_id).vkey() + "\n",
                             media_type=TEXT)
