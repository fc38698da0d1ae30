"""Item analysis API (试题分析): per-question statistics and flags of a bank version, the flagged list and
its export, and a paper set's test statistics. Bank admins see stems in the flagged list; exam admins and
auditors see question keys and numbers only (docs/analytics.md (item analysis))."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from examsvc.analytics import item_service, items
from examsvc.analytics.flagged_sheet import workbook
from examsvc.db import DbSession
from examsvc.errors import NotFound
from examsvc.identity.access import CurrentUser, require_roles
from examsvc.identity.roles import Role
from examsvc.sittings.access import Scope, SittingCaller, require_sitting

router = APIRouter(prefix="/analytics", tags=["analytics"])
Reader = Annotated[CurrentUser, Depends(require_roles(Role.BANK_ADMIN, Role.EXAM_ADMIN, Role.AUDITOR))]
# A paper set belongs to a sitting: exam admins province-wide, auditors once it is closed (the sitting-scope
# policy keeps bank admins out of sittings; they read the per-question statistics above).
SetReader = Annotated[SittingCaller, Depends(require_sitting({Role.EXAM_ADMIN: Scope.PROVINCE,
                                                              Role.AUDITOR: Scope.CLOSED}))]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LABEL = r"^[A-Za-z0-9._\-]{1,40}$"


class OptionRead(BaseModel):
    label: str = Field(description="the bank's label (A…, or T/F)")
    is_key: bool
    share: float | None = Field(description="share of all candidates who held the question choosing it")
    upper: float | None = Field(description="share of the upper 27 % group choosing it")
    lower: float | None = Field(description="share of the lower 27 % group choosing it")


class QuestionStatsRead(BaseModel):
    question_id: int
    key: str
    part: str
    revision: int
    type: str
    knowledge_point: str
    exposure: int = Field(description="candidates whose paper held the question")
    facility: float | None = Field(description="mean score as a fraction of the question's points (0–1)")
    sd: float | None = Field(description="sample standard deviation of that fraction")
    discrimination_index: float | None = Field(description="percent: 100 · r(question, rest of the test)")
    discriminative_efficiency: float | None = Field(description="percent: 100 · C(x, rest) / C_max(x, rest)")
    point_biserial: float | None
    group_size: int
    upper_lower: float | None = Field(description="p(full credit | upper 27 %) − p(full credit | lower 27 %)")
    options: list[OptionRead] = Field(description="per option; bank_admin only (the shares give the key away)")
    flags: list[str]
    stem: str | None = Field(default=None, description="question text: bank_admin only, in the flagged list")


class Thresholds(BaseModel):
    min_responses: int
    facility_low: float
    facility_high: float
    efficiency_min: float
    discrimination_min: float
    group_fraction: float


class ItemAnalysisRead(BaseModel):
    bank: str
    version: str
    parts: list[str]
    attempts: int = Field(description="collected attempts whose paper drew from this version")
    thresholds: Thresholds
    questions: list[QuestionStatsRead]


class PaperSetStatsRead(BaseModel):
    paper_set_id: int
    attempts: int
    slots: int
    total_points: float
    mean: float | None
    median: float | None
    sd: float | None
    skewness: float | None
    kurtosis: float | None
    cic: float | None = Field(description="coefficient of internal consistency (KR-20/Cronbach α), percent")
    error_ratio: float | None = Field(description="percent")
    standard_error: float | None = Field(description="points")


def _thresholds() -> Thresholds:
    return Thresholds(min_responses=items.MIN_RESPONSES, facility_low=items.FACILITY_LOW,
                      facility_high=items.FACILITY_HIGH, efficiency_min=items.EFFICIENCY_MIN,
                      discrimination_min=items.DISCRIMINATION_MIN, group_fraction=items.GROUP_FRACTION)


BankCode = Annotated[str, Query(alias="bank", pattern=LABEL, description="bank code")]
VersionLabel = Annotated[str, Query(alias="version", pattern=LABEL, description="version label")]
PartQuery = Annotated[str | None, Query(alias="part", pattern="^(national|provincial)$")]


def analysis_read(db_session: DbSession, bank: str, version: str, part: str | None, *, flagged_only: bool,
                  with_stems: bool, with_options: bool) -> ItemAnalysisRead:
    """``with_options``: the per-option shares and which option is the key, for bank admins only. Without
    ``is_key`` the shares still give the key away (the option chosen as often as the facility says), so
    other roles get no option rows at all."""
    versions = item_service.versions_of(db_session, bank_code=bank, version_label=version, part=part)
    analysis = item_service.analyse_versions(db_session, versions)
    rows = [row for row in analysis.rows() if row["flags"] or not flagged_only]
    if not with_options:
        rows = [{**row, "options": []} for row in rows]
    stems = item_service.stems(db_session, [r["question_id"] for r in rows]) if with_stems else {}
    return ItemAnalysisRead(bank=bank, version=version, parts=[v.part for v in versions], attempts=analysis.attempts,
                            thresholds=_thresholds(),
                            questions=[QuestionStatsRead(**row, stem=stems.get(row["question_id"])) for row in rows])


@router.get("/items", response_model=ItemAnalysisRead,
            summary="Item analysis of a bank version: per-question statistics and review flags (试题分析)")
def item_analysis(current: Reader, db_session: DbSession, bank: BankCode, version: VersionLabel,
                  part: PartQuery = None) -> ItemAnalysisRead:
    return analysis_read(db_session, bank, version, part, flagged_only=False, with_stems=False,
                         with_options=Role.BANK_ADMIN in current.acting_roles)


@router.get("/items/flagged", response_model=ItemAnalysisRead,
            summary="The questions flagged for review; stems for bank_admin only (待复核试题)")
def flagged(current: Reader, db_session: DbSession, bank: BankCode, version: VersionLabel,
            part: PartQuery = None) -> ItemAnalysisRead:
    content = Role.BANK_ADMIN in current.acting_roles
    return analysis_read(db_session, bank, version, part, flagged_only=True, with_stems=content,
                         with_options=content)


@router.get("/items/flagged.xlsx", summary="The flagged questions as .xlsx (Chinese headers; stems for bank_admin)",
            responses={200: {"content": {XLSX_TYPE: {}}}})
def flagged_export(current: Reader, db_session: DbSession, bank: BankCode, version: VersionLabel,
                   part: PartQuery = None) -> Response:
    content = Role.BANK_ADMIN in current.acting_roles
    found = analysis_read(db_session, bank, version, part, flagged_only=True, with_stems=content,
                          with_options=content)
    rows: list[dict[str, Any]] = [q.model_dump() for q in found.questions]
    stems = {q.question_id: q.stem or "" for q in found.questions} if Role.BANK_ADMIN in current.acting_roles \
        else None
    title = f"{bank} {version} 待复核试题（{found.attempts} 份答卷，共 {len(rows)} 题）"
    name = f"flagged-{bank}-{version}{'-' + part if part else ''}.xlsx"
    return Response(content=workbook(title, rows, stems), media_type=XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _num(value: float) -> float | None:
    return None if value != value else round(value, 6)  # NaN


@router.get("/paper-sets/{paper_set_id}", response_model=PaperSetStatsRead,
            summary="A paper set's test statistics (Moodle's, positions as slots)")
def paper_set(paper_set_id: int, _: SetReader, db_session: DbSession) -> PaperSetStatsRead:
    stats = item_service.paper_set_statistics(db_session, paper_set_id)
    if stats is None:
        raise NotFound("该试卷集尚无已发布的成绩。", code="not_collected", detail={"paper_set_id": paper_set_id})
    return PaperSetStatsRead(paper_set_id=paper_set_id, attempts=stats.attempts, slots=stats.slots,
                             total_points=stats.total_points, mean=_num(stats.mean), median=_num(stats.median),
                             sd=_num(stats.sd), skewness=_num(stats.skewness), kurtosis=_num(stats.kurtosis),
                             cic=_num(stats.cic), error_ratio=_num(stats.error_ratio),
                             standard_error=_num(stats.standard_error))
