from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from examsvc.banks.endpoints import UPLOAD_DOC, XLSX_TYPE, BankAdmin, MetadataReader
from examsvc.db import DbSession
from examsvc.identity.service import end_read_transaction
from examsvc.practical import service
from examsvc.practical.document import Subject
from examsvc.practical.files import write_xlsx
from examsvc.uploads import import_body

router = APIRouter(prefix="/practical-banks", tags=["practical"])


class PracticalVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    version_label: str
    title: str
    province: str
    operation_item: str
    operation_item_name: str
    effective_date: date
    content_digest: str
    item_count: int
    status: str


class PracticalImportRead(BaseModel):
    version: PracticalVersionRead
    created: bool


class PracticalVersionSummary(PracticalVersionRead):
    by_subject: dict[str, int] = Field(description="items per subject K1–K4")


@router.post("/import", response_model=PracticalImportRead, status_code=status.HTTP_201_CREATED,
             openapi_extra=UPLOAD_DOC,
             summary="Import a practical bank file (YAML or xlsx, the request body) as a draft version",
             description="All or nothing: `detail.problems` lists every error with file, sheet, line or row, and "
                         "field. Identical content already stored answers 200 with `created: false`.")
def import_bank(current: BankAdmin, db_session: DbSession, response: Response,
                body: Annotated[bytes, Depends(import_body)],
                filename: Annotated[str, Query(min_length=1, max_length=255)]) -> PracticalImportRead:
    # Parsed with no transaction open (the token check's read transaction ends first: on SQLite it holds
    # the write lock; issue 17 item 5).
    actor = current.actor
    end_read_transaction(db_session)
    parsed = service.parse_files([(filename, body)])
    [imported] = service.import_parsed(db_session=db_session, documents=parsed, actor=actor)
    if not imported.created:
        response.status_code = status.HTTP_200_OK
    return PracticalImportRead(version=PracticalVersionRead.model_validate(imported.version),
                               created=imported.created)


@router.get("", response_model=list[PracticalVersionSummary],
            summary="Practical bank versions with item counts per subject (no content)")
def list_versions(_: MetadataReader, db_session: DbSession) -> list[PracticalVersionSummary]:
    out = []
    for version in service.list_versions(db_session=db_session):
        subjects = [i.subject for i in service.items(db_session=db_session, version_id=version.id)]
        out.append(PracticalVersionSummary(**PracticalVersionRead.model_validate(version).model_dump(),
                                           by_subject={str(s): subjects.count(str(s)) for s in Subject}))
    return out


@router.post("/{version_id}/{action}", response_model=PracticalVersionRead,
             summary="Publish a draft (it can never change afterwards) or retire a published version")
def change_status(version_id: int, action: Literal["publish", "retire"], current: BankAdmin,
                  db_session: DbSession) -> PracticalVersionRead:
    to = {"publish": "published", "retire": "retired"}[action]
    return PracticalVersionRead.model_validate(
        service.set_status(db_session=db_session, version_id=version_id, to=to, actor=current.actor))


@router.get("/{version_id}/items", summary="The items with their scoring criteria (bank administrators only)")
def list_items(version_id: int, _: BankAdmin, db_session: DbSession) -> list[dict[str, Any]]:
    return [{"key": i.key, "subject": i.subject, "title": i.title, "time_limit_minutes": i.time_limit_minutes,
             "full_marks": i.full_marks, "task": i.task, "equipment": i.equipment, "criteria": i.criteria}
            for i in service.items(db_session=db_session, version_id=version_id)]


@router.get("/{version_id}/export.xlsx", response_class=Response,
            summary="The version in the workbook layout bank staff use (imports back to the same digest)")
def export(version_id: int, _: BankAdmin, db_session: DbSession) -> Response:
    document = service.document_of(db_session=db_session, version_id=version_id)
    return Response(write_xlsx(document), media_type=XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="practical-{version_id}.xlsx"'})
