from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from examsvc.banks.document import Level, PersonKind, PersonnelCategory, QuestionType
from examsvc.blueprints.document import MultipleChoiceRule, RulePurpose
from examsvc.blueprints.models import BlueprintStatus, BlueprintVersion
from examsvc.limits import PassphraseText


class SectionIn(BaseModel):
    type: QuestionType
    count: int = Field(ge=1, le=500)
    points: int = Field(ge=1, le=1000, description="per question, in tenths of a point (10 = 1 分)")


class QuotaIn(BaseModel):
    prefix: str = Field(pattern=r"^[0-9]{1,3}(\.[0-9]{1,3}){0,5}$")
    minimum: int = Field(default=0, ge=0)
    maximum: int | None = Field(default=None, ge=0)


class BlueprintCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "SX-LV-THEORY", "version": "2026.1", "title": "低压电工作业安全技术理论考试",
        "personnel_category": "special_operations", "operation_item": "1.2", "national_bank_version_id": 7,
        "provincial_bank_version_id": 8,
        "sections": [{"type": "true_false", "count": 70, "points": 10}, {"type": "single_choice", "count": 30,
                                                                          "points": 10}],
        "level_shares": {"了解": 20, "掌握": 30, "熟练掌握": 50}, "level_tolerance": 5, "provincial_min_share": 15,
    }]})

    code: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,39}$")
    version: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$")
    title: str = Field(min_length=1, max_length=200)
    purpose: RulePurpose = Field(default=RulePurpose.QUALIFICATION,
                                 description="qualification, or spot (逢查必考) from 应知应会 banks (docs/rules.md)")
    personnel_category: PersonnelCategory | None = Field(default=None, description="required unless purpose is spot")
    person_kinds: list[PersonKind] = Field(default_factory=list, max_length=6,
                                           description="spot rules: the kinds of person examined (受检人员类型)")
    operation_item: str | None = None
    national_bank_version_id: int
    provincial_bank_version_id: int | None = None
    sections: list[SectionIn] = Field(min_length=1, max_length=3)
    duration_minutes: int = 120
    total_points: int = 1000
    pass_mark: int = 800
    multiple_choice_rule: MultipleChoiceRule = MultipleChoiceRule.ALL_OR_NOTHING
    level_shares: dict[Level, int] = Field(default_factory=dict)
    level_tolerance: int = Field(default=0, ge=0, le=100)
    difficulty_shares: dict[int, int] = Field(default_factory=dict)
    difficulty_tolerance: int = Field(default=0, ge=0, le=100)
    knowledge_point_quotas: list[QuotaIn] = Field(default_factory=list)
    provincial_min_share: int = Field(default=0, ge=0, le=100)
    shuffle_questions: bool = True
    shuffle_options: bool = True
    avoid_seen_questions: bool = True
    show_score: bool = Field(default=True, description="考生交卷后是否当场显示成绩")


class RuleSection(BaseModel):
    type: QuestionType
    count: int
    points: int = Field(description="per question, in tenths of a point (10 = 1 分)")


class RuleQuota(BaseModel):
    prefix: str
    minimum: int
    maximum: int | None = Field(description="null: up to the section's count")


class RuleDocument(BaseModel):
    """The whole rule as signed: every field of its canonical form (docs/rules.md), defaults included.
    ``show_score``, ``purpose`` and ``person_kinds`` are given here even when the canonical form leaves them
    out (they are then true, qualification and [])."""

    format: str
    code: str
    version: str
    title: str
    personnel_category: PersonnelCategory | None
    operation_item: str | None
    bank_code: str
    duration_minutes: int
    total_points: int = Field(description="tenths of a point (1000 = 100 分)")
    pass_mark: int = Field(description="tenths of a point (800 = 80 分)")
    sections: list[RuleSection]
    multiple_choice_rule: MultipleChoiceRule
    level_shares: dict[Level, int] = Field(description="percent per cognitive level, within each section")
    level_tolerance: int
    difficulty_shares: dict[str, int] = Field(description='percent per difficulty ("1", "2", "3"), within each section')
    difficulty_tolerance: int
    knowledge_point_quotas: list[RuleQuota]
    provincial_min_share: int
    shuffle_questions: bool
    shuffle_options: bool
    avoid_seen_questions: bool
    show_score: bool = True
    purpose: RulePurpose = RulePurpose.QUALIFICATION
    person_kinds: list[PersonKind] = Field(default_factory=list)


class BlueprintRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    version: str
    title: str
    digest: str
    status: BlueprintStatus
    national_bank_version_id: int
    provincial_bank_version_id: int | None
    author_id: int | None
    decided_by: int | None
    decision_reason: str | None
    approval_note: str | None
    created_at: datetime
    rule: RuleDocument = Field(description="the rule's content; its exact signed bytes: GET /blueprints/{id}/canonical")

    @classmethod
    def of(cls, row: BlueprintVersion) -> BlueprintRead:
        return cls.model_validate({**{name: getattr(row, name) for name in cls.model_fields if name != "rule"},
                                   "rule": RuleDocument.model_validate_json(row.document)})


class CellRead(BaseModel):
    section: str
    quota: str
    need: int
    pool: int
    ok: bool


class FeasibilityRead(BaseModel):
    feasible: bool
    cells: list[CellRead]
    trial_draws: int
    failed_draws: int


class Decision(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class Passphrase(BaseModel):
    passphrase: PassphraseText
