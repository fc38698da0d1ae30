from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from examsvc.banks.document import Industry, Part, PersonKind, PersonnelCategory, Purpose
from examsvc.banks.models import VersionStatus


class BankVersionRead(BaseModel):
    """Metadata and counts only: no question content."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    bank_code: str
    part: Part
    version_label: str
    title: str
    province: str
    purpose: Purpose = Field(description="qualification (考核题库) or awareness (应知应会, examsvc-bank/2)")
    personnel_category: PersonnelCategory | None = Field(description="null for an awareness bank")
    person_kinds: list[PersonKind] = Field(description="the kinds of person an awareness bank serves; [] otherwise")
    industry: Industry
    operation_item: str | None
    catalogue_version: str | None
    effective_date: date
    content_digest: str
    question_count: int
    status: VersionStatus
    source_name: str
    imported_at: datetime
    published_at: datetime | None
    retired_at: datetime | None


class BankRead(BaseModel):
    code: str
    versions: list[BankVersionRead]


class ImportProblem(BaseModel):
    file: str
    message: str
    line: int | None = None
    field: str | None = None
    key: str | None = None
    sheet: str | None = None
    severity: str


class ImportRead(BaseModel):
    version: BankVersionRead
    created: bool
    warnings: list[ImportProblem]


class CountRead(BaseModel):
    knowledge_point: str
    type: str
    level: str
    difficulty: int
    count: int


class QuestionChangeRead(BaseModel):
    key: str
    type: str
    knowledge_point: str
    old_revision: int | None
    new_revision: int | None
    review_flags: list[str] = Field(default_factory=list, description=(
        "the item-analysis flags (docs/analytics.md (item analysis)) this key carried in the `from` version: a flagged "
        "question that was changed or retired was revised"))


class DiffRead(BaseModel):
    from_version: BankVersionRead
    to_version: BankVersionRead
    added: list[QuestionChangeRead]
    changed: list[QuestionChangeRead]
    retired: list[QuestionChangeRead]
    flagged_unrevised: list[str] = Field(default_factory=list, description=(
        "keys flagged for review in the `from` version's item analysis and carried over unchanged"))


class QuestionRead(BaseModel):
    """Full content: for bank administrators only."""

    model_config = ConfigDict(from_attributes=True)

    key: str
    revision: int
    type: str
    stem: str
    options: list[list[str]]
    answer: str
    explanation: str
    knowledge_point: str
    level: str
    difficulty: int
    legal_basis: str | None
    content_digest: str


def problem_dicts(problems: Any) -> list[ImportProblem]:
    return [ImportProblem.model_validate(p.as_dict() | {"severity": str(p.severity)}) for p in problems]
