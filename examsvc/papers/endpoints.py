from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, ConfigDict, Field

from examsvc.blueprints.schemas import Passphrase
from examsvc.db import DbSession
from examsvc.identity.access import CurrentUser, require_roles
from examsvc.identity.roles import Role
from examsvc.limits import AdmissionNumber
from examsvc.papers import service
from examsvc.papers.models import PaperSetStatus
from examsvc.sittings.access import Scope, SittingCaller, require_sitting

router = APIRouter(prefix="/paper-sets", tags=["papers"])
ExamAdmin = Annotated[CurrentUser, Depends(require_roles(Role.EXAM_ADMIN))]
SetAdmin = Annotated[SittingCaller, Depends(require_sitting({Role.EXAM_ADMIN: Scope.PROVINCE}))]
ChiefExaminer = Annotated[SittingCaller, Depends(require_sitting({Role.CHIEF_EXAMINER: Scope.ASSIGNED}))]
Reader = Annotated[SittingCaller, Depends(require_sitting({
    Role.EXAM_ADMIN: Scope.PROVINCE, Role.CHIEF_EXAMINER: Scope.ASSIGNED, Role.AUDITOR: Scope.PROVINCE}))]
# Papers themselves: the sitting's own chief examiner once opened; auditors once the sitting is over.
PaperReader = Annotated[SittingCaller, Depends(require_sitting({
    Role.CHIEF_EXAMINER: Scope.ASSIGNED, Role.AUDITOR: Scope.CLOSED}))]


class PaperSetCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"sitting_code": "TY01-20270110-AM"}]})

    sitting_code: str = Field(pattern=r"^[A-Za-z0-9_-]{2,40}$",
                              description="a scheduled theory sitting: its rule and its candidates are used")
    blueprint_id: int | None = Field(default=None, description="optional; if given, must be the sitting's rule")
    candidates: list[AdmissionNumber] | None = Field(
        default=None, min_length=1, max_length=20_000,
        description="准考证号; optional (default: every registered candidate without a paper); each must be "
                    "registered in the sitting")


class Supplement(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{}, {"candidates": ["TY0120270110AM0031"]}]})

    candidates: list[AdmissionNumber] | None = Field(
        default=None, min_length=1, max_length=20_000,
        description="准考证号 of candidates registered late; default: every registered candidate without a paper")


class PaperSetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sitting_code: str
    parent_id: int | None
    blueprint_version_id: int
    seed_commitment: str
    paper_count: int
    merkle_root: str
    manifest: str
    status: PaperSetStatus
    revealed_seed: str | None
    sealed_to_user_id: int | None = Field(description="the chief examiner the data key is sealed to until opening")


def _keys(request: Request) -> Any:
    return request.app.state.paper_keys


@router.post("", response_model=PaperSetRead, status_code=status.HTTP_201_CREATED,
             summary="Make a scheduled theory sitting's papers (its rule, its registered candidates), sealed to its "
                     "chief examiner until the opening; signs the manifest")
def generate(body: PaperSetCreate, current: ExamAdmin, request: Request, db_session: DbSession) -> PaperSetRead:
    paper_set = service.generate(db_session=db_session, sitting_code=body.sitting_code, blueprint_id=body.blueprint_id,
                                 candidates=body.candidates, signer=request.app.state.log_signer,
                                 keys=_keys(request), actor=current.actor)
    return PaperSetRead.model_validate(paper_set)


@router.get("/{paper_set_id}", response_model=PaperSetRead, summary="A paper set's manifest and state (no content)")
def get(paper_set_id: int, _: Reader, db_session: DbSession) -> PaperSetRead:
    return PaperSetRead.model_validate(service.get(db_session=db_session, paper_set_id=paper_set_id))


@router.post("/{paper_set_id}/supplements", response_model=PaperSetRead, status_code=status.HTTP_201_CREATED,
             summary="Papers for candidates registered late, under a seed and a manifest of their own")
def supplement(paper_set_id: int, body: Supplement, current: SetAdmin, request: Request,
               db_session: DbSession) -> PaperSetRead:
    paper_set = service.supplement(db_session=db_session, paper_set_id=paper_set_id, candidates=body.candidates,
                                   signer=request.app.state.log_signer, keys=_keys(request), actor=current.actor)
    return PaperSetRead.model_validate(paper_set)


@router.post("/{paper_set_id}/approve", response_model=PaperSetRead,
             summary="Add the chief examiner's own signature to the manifest (the sitting's own chief only); "
                     "a supplement approved in an open sitting is released at once")
def approve(paper_set_id: int, body: Passphrase, current: ChiefExaminer, request: Request,
            db_session: DbSession) -> PaperSetRead:
    return PaperSetRead.model_validate(service.approve(db_session=db_session, paper_set_id=paper_set_id,
                                                       passphrase=body.passphrase, keys=_keys(request),
                                                       actor=current.actor))


# No route opens or closes a set by itself (issue 14 item 1): a set opens only through its sitting's
# opening (POST /sittings/{code}/open, with the chief's passphrase) and its seed is revealed only by the
# sitting's close (POST /sittings/{code}/close).


@router.get("/{paper_set_id}/papers/{candidate}", summary="A paper (keys and option orders) once the set is opened")
def read_paper(paper_set_id: int, candidate: str, _: PaperReader, request: Request,
               db_session: DbSession) -> dict[str, Any]:
    return service.read_paper(db_session=db_session, paper_set_id=paper_set_id, candidate=candidate,
                              keys=_keys(request))
