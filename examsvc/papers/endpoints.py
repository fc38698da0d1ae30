from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from examsvc.attempts import content
from examsvc.attempts.endpoints import ItemRead
from examsvc.blueprints.schemas import Passphrase
from examsvc.db import DbSession
from examsvc.identity.access import CurrentUser, require_roles
from examsvc.identity.roles import Role
from examsvc.limits import MERKLE_ROOT_HEX, AdmissionNumber, AdmissionNumberPath
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
    merkle_root_hex: str = Field(validation_alias="merkle_root", description=MERKLE_ROOT_HEX)
    manifest: str = Field(description="the signed manifest (C2SP signed note); its `root` line is the same root "
                                      "in base64, as C2SP checkpoints write hashes (docs/papers.md)")
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


@router.get("", response_model=list[PaperSetRead],
            summary="A sitting's paper sets (its set, then its supplements): manifests and state, no content")
def list_sets(sitting: Annotated[str, Query(min_length=2, max_length=40, description="the sitting's code")],
              _: Reader, db_session: DbSession) -> list[PaperSetRead]:
    return [PaperSetRead.model_validate(s) for s in service.sets_of_sitting(db_session=db_session,
                                                                             sitting_code=sitting)]


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
def read_paper(paper_set_id: int, candidate: AdmissionNumberPath, _: PaperReader, request: Request,
               db_session: DbSession) -> dict[str, Any]:
    return service.read_paper(db_session=db_session, paper_set_id=paper_set_id, candidate=candidate,
                              keys=_keys(request))


sitting_papers_router = APIRouter(prefix="/sittings/{code}/papers", tags=["papers"])


class SeenItem(ItemRead):
    part: str = Field(description="the bank part the question comes from: national or provincial")
    key: str = Field(description="the question's key in that bank version")


class PaperSeen(BaseModel):
    admission_number: str
    paper_set_id: int
    paper_digest: str = Field(description="SHA-256 of the paper document, 64 lower-case hex digits (docs/assembly.md)")
    items: list[SeenItem] = Field(description="every question as the candidate's screen showed it: stems and "
                                              "options in their order, relabelled A, B, …; no answers")


@sitting_papers_router.get("/{admission_number}", response_model=PaperSeen,
                           summary="The paper as the candidate saw it (texts, in their order), once the papers are "
                                   "opened: the sitting's chief examiner; auditors after the sitting closes")
def paper_seen(code: str, admission_number: AdmissionNumberPath, _: PaperReader, request: Request,
               db_session: DbSession) -> PaperSeen:
    paper, paper_set = content.find_paper(db_session, code, admission_number)
    opened = content.open_paper(db_session, paper, paper_set, _keys(request))
    items = [SeenItem(**shown, part=item["part"], key=item["key"])
             for shown, item in zip(opened.for_candidate(), opened.document["items"], strict=True)]
    return PaperSeen(admission_number=admission_number, paper_set_id=paper_set.id, paper_digest=paper.digest,
                     items=items)
