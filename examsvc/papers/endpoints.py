from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, ConfigDict, Field

from examsvc.blueprints.schemas import Passphrase
from examsvc.db import DbSession
from examsvc.identity.access import CurrentUser, require_roles
from examsvc.identity.roles import Role
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
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "blueprint_id": 1, "sitting_code": "TY-01-20270110-AM", "candidates": ["14010001", "14010002"]}]})

    blueprint_id: int
    sitting_code: str = Field(pattern=r"^[A-Za-z0-9_-]{2,40}$")
    candidates: list[str] = Field(min_length=1, max_length=20_000, description="准考证号")


class Supplement(BaseModel):
    candidates: list[str] = Field(min_length=1, max_length=20_000)


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


def _keys(request: Request) -> Any:
    return request.app.state.paper_keys


@router.post("", response_model=PaperSetRead, status_code=status.HTTP_201_CREATED,
             summary="Make and seal one paper per candidate under an approved rule; signs the manifest")
def generate(body: PaperSetCreate, current: ExamAdmin, request: Request, db_session: DbSession) -> PaperSetRead:
    paper_set = service.generate(db_session=db_session, blueprint_id=body.blueprint_id, sitting_code=body.sitting_code,
                                 candidates=body.candidates, signer=request.app.state.log_signer,
                                 keys=_keys(request), actor=current.actor)
    return PaperSetRead.model_validate(paper_set)


@router.get("/{paper_set_id}", response_model=PaperSetRead, summary="A paper set's manifest and state (no content)")
def get(paper_set_id: int, _: Reader, db_session: DbSession) -> PaperSetRead:
    return PaperSetRead.model_validate(service.get(db_session=db_session, paper_set_id=paper_set_id))


@router.post("/{paper_set_id}/supplements", response_model=PaperSetRead, status_code=status.HTTP_201_CREATED,
             summary="Papers for candidates added late, under a supplementary manifest of their own")
def supplement(paper_set_id: int, body: Supplement, current: SetAdmin, request: Request,
               db_session: DbSession) -> PaperSetRead:
    paper_set = service.supplement(db_session=db_session, paper_set_id=paper_set_id, candidates=body.candidates,
                                   signer=request.app.state.log_signer, keys=_keys(request), actor=current.actor)
    return PaperSetRead.model_validate(paper_set)


@router.post("/{paper_set_id}/approve", response_model=PaperSetRead,
             summary="Add the chief examiner's own signature to the manifest")
def approve(paper_set_id: int, body: Passphrase, current: ChiefExaminer, db_session: DbSession) -> PaperSetRead:
    return PaperSetRead.model_validate(service.approve(db_session=db_session, paper_set_id=paper_set_id,
                                                       passphrase=body.passphrase, actor=current.actor))


@router.post("/{paper_set_id}/open", response_model=PaperSetRead, summary="Release the papers' key (logged)")
def open_set(paper_set_id: int, current: ChiefExaminer, request: Request, db_session: DbSession) -> PaperSetRead:
    return PaperSetRead.model_validate(service.open_set(db_session=db_session, paper_set_id=paper_set_id,
                                                        keys=_keys(request), actor=current.actor))


@router.post("/{paper_set_id}/close", response_model=PaperSetRead, summary="Close and reveal the seed (logged)")
def close_set(paper_set_id: int, current: ChiefExaminer, request: Request, db_session: DbSession) -> PaperSetRead:
    return PaperSetRead.model_validate(service.close_set(db_session=db_session, paper_set_id=paper_set_id,
                                                         keys=_keys(request), actor=current.actor))


@router.get("/{paper_set_id}/papers/{candidate}", summary="A paper (keys and option orders) once the set is opened")
def read_paper(paper_set_id: int, candidate: str, _: PaperReader, request: Request,
               db_session: DbSession) -> dict[str, Any]:
    return service.read_paper(db_session=db_session, paper_set_id=paper_set_id, candidate=candidate,
                              keys=_keys(request))
