"""A composition rule as plain values, its validation, and its canonical digest.

Points are integers in tenths of a point (10 = 1 point): nothing sealed holds a float. Shares are
integer percentages. Quotas apply within each section (question type), so that assembly can draw
every section on its own; a paper-wide share then holds within the sum of the sections' tolerances.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from examsvc.banks.document import Level, PersonKind, PersonnelCategory, QuestionType
from examsvc.crypto.canonical_json import canonical_digest
from examsvc.errors import InvalidInput

FORMAT = "examsvc-blueprint/1"


class RulePurpose(StrEnum):
    """What papers a rule composes: a qualification exam, or a spot exam (逢查必考) from 应知应会 banks."""

    QUALIFICATION = "qualification"
    SPOT = "spot"


# A spot exam is short, taken on site during an inspection (issue 22): defaults in configuration would
# be the place for a province's own numbers; these bound what a rule may say.
SPOT_QUESTIONS = (5, 30)
SPOT_MINUTES = (5, 60)


class MultipleChoiceRule(StrEnum):
    ALL_OR_NOTHING = "all_or_nothing"
    # Partial credit: no wrong letter chosen → points × (right letters chosen / right letters), rounded
    # down to tenths; any wrong letter → 0.
    PARTIAL = "partial"


@dataclass(frozen=True)
class Bounds:
    low: int
    high: int

    def contains(self, value: int) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class KnowledgePointQuota:
    """Questions whose knowledge point is ``prefix`` or starts with ``prefix.``: between min and max."""

    prefix: str
    minimum: int = 0
    maximum: int | None = None

    def matches(self, code: str) -> bool:
        return code == self.prefix or code.startswith(self.prefix + ".")


@dataclass(frozen=True)
class Section:
    type: QuestionType
    count: int
    points: int  # per question, tenths of a point


@dataclass(frozen=True)
class Blueprint:
    code: str
    version: str
    title: str
    personnel_category: PersonnelCategory | None  # None only for a spot rule (validate)
    bank_code: str
    sections: tuple[Section, ...]
    operation_item: str | None = None
    duration_minutes: int = 120
    total_points: int = 1000
    pass_mark: int = 800
    multiple_choice_rule: MultipleChoiceRule = MultipleChoiceRule.ALL_OR_NOTHING
    level_shares: dict[Level, int] = field(default_factory=dict)  # percent per level, summing to 100
    level_tolerance: int = 0  # percentage points either way
    difficulty_shares: dict[int, int] = field(default_factory=dict)
    difficulty_tolerance: int = 0
    knowledge_point_quotas: tuple[KnowledgePointQuota, ...] = ()
    provincial_min_share: int = 0  # percent of each section's questions from the provincial part
    shuffle_questions: bool = True
    shuffle_options: bool = True
    avoid_seen_questions: bool = True
    # The candidate sees their score on the screen when they submit.
    show_score: bool = True
    purpose: RulePurpose = RulePurpose.QUALIFICATION
    person_kinds: tuple[PersonKind, ...] = ()  # a spot rule: the kinds of person it examines

    @property
    def question_count(self) -> int:
        return sum(s.count for s in self.sections)

    def canonical(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "code": self.code, "version": self.version, "title": self.title,
            "personnel_category": str(self.personnel_category) if self.personnel_category is not None else None,
            "operation_item": self.operation_item,
            "bank_code": self.bank_code, "duration_minutes": self.duration_minutes,
            "total_points": self.total_points, "pass_mark": self.pass_mark,
            "sections": [{"type": str(s.type), "count": s.count, "points": s.points} for s in self.sections],
            "multiple_choice_rule": str(self.multiple_choice_rule),
            "level_shares": {str(k): v for k, v in self.level_shares.items()},
            "level_tolerance": self.level_tolerance,
            "difficulty_shares": {str(k): v for k, v in self.difficulty_shares.items()},
            "difficulty_tolerance": self.difficulty_tolerance,
            "knowledge_point_quotas": [{"prefix": q.prefix, "minimum": q.minimum, "maximum": q.maximum}
                                       for q in self.knowledge_point_quotas],
            "provincial_min_share": self.provincial_min_share,
            "shuffle_questions": self.shuffle_questions, "shuffle_options": self.shuffle_options,
            "avoid_seen_questions": self.avoid_seen_questions,
            # Added after the first rules were signed: present only when it differs from the default, so
            # that the digests (and signatures) of earlier rules stay valid.
            **({} if self.show_score else {"show_score": False}),
            # Likewise: only a spot rule says its purpose and the kinds of person it examines.
            **({"purpose": str(self.purpose), "person_kinds": [str(k) for k in self.person_kinds]}
               if self.purpose == RulePurpose.SPOT else {}),
        }

    def digest(self) -> str:
        return canonical_digest(self.canonical())


def from_canonical(data: dict[str, Any]) -> Blueprint:
    """The rule back from its stored canonical form (the inverse of ``Blueprint.canonical``)."""
    return Blueprint(
        code=data["code"], version=data["version"], title=data["title"],
        personnel_category=PersonnelCategory(data["personnel_category"]) if data["personnel_category"] else None,
        operation_item=data["operation_item"],
        bank_code=data["bank_code"], duration_minutes=data["duration_minutes"], total_points=data["total_points"],
        pass_mark=data["pass_mark"],
        sections=tuple(Section(QuestionType(s["type"]), s["count"], s["points"]) for s in data["sections"]),
        multiple_choice_rule=MultipleChoiceRule(data["multiple_choice_rule"]),
        level_shares={Level(k): v for k, v in data["level_shares"].items()}, level_tolerance=data["level_tolerance"],
        difficulty_shares={int(k): v for k, v in data["difficulty_shares"].items()},
        difficulty_tolerance=data["difficulty_tolerance"],
        knowledge_point_quotas=tuple(KnowledgePointQuota(q["prefix"], q["minimum"], q["maximum"])
                                     for q in data["knowledge_point_quotas"]),
        provincial_min_share=data["provincial_min_share"], shuffle_questions=data["shuffle_questions"],
        shuffle_options=data["shuffle_options"], avoid_seen_questions=data["avoid_seen_questions"],
        show_score=data.get("show_score", True),
        purpose=RulePurpose(data.get("purpose", RulePurpose.QUALIFICATION)),
        person_kinds=tuple(PersonKind(k) for k in data.get("person_kinds", ())),
    )


def share_bounds(share: int, tolerance: int, count: int) -> Bounds:
    """How many of ``count`` questions a share of ``share`` % ± ``tolerance`` allows (closed range)."""
    low = math.ceil(max(0, share - tolerance) * count / 100)
    high = math.floor(min(100, share + tolerance) * count / 100)
    return Bounds(low, high)


def provincial_minimum(blueprint: Blueprint, count: int) -> int:
    return math.ceil(blueprint.provincial_min_share * count / 100)


def validate(blueprint: Blueprint) -> None:
    """Refuses a rule that contradicts itself, naming the field."""
    problems: list[dict[str, str]] = []

    def problem(where: str, message: str) -> None:
        problems.append({"field": where, "message": message})

    if not blueprint.sections:
        problem("sections", "至少需要一个题型部分。")
    types = [s.type for s in blueprint.sections]
    if len(set(types)) != len(types):
        problem("sections", "同一题型只能出现一次。")
    for i, section in enumerate(blueprint.sections):
        if section.count < 1 or section.points < 1:
            problem(f"sections[{i}]", "题量和分值必须为正整数。")
    total = sum(s.count * s.points for s in blueprint.sections)
    if total != blueprint.total_points:
        problem("total_points", f"各部分合计 {total / 10:g} 分，与总分 {blueprint.total_points / 10:g} 分不符。")
    if not 0 < blueprint.pass_mark <= blueprint.total_points:
        problem("pass_mark", "合格分数必须大于 0 且不超过总分。")
    if not 1 <= blueprint.duration_minutes <= 600:
        problem("duration_minutes", "考试时长应在 1–600 分钟之间。")
    for name, shares in (("level_shares", blueprint.level_shares), ("difficulty_shares", blueprint.difficulty_shares)):
        if shares and sum(shares.values()) != 100:
            problem(name, "各项比例之和必须为 100%。")
    if blueprint.difficulty_shares and not set(blueprint.difficulty_shares) <= {1, 2, 3}:
        problem("difficulty_shares", "难度只有 1、2、3。")
    for i, quota in enumerate(blueprint.knowledge_point_quotas):
        if quota.minimum < 0 or (quota.maximum is not None and quota.maximum < quota.minimum):
            problem(f"knowledge_point_quotas[{i}]", "最少题数不能为负，最多题数不能小于最少题数。")
    if not 0 <= blueprint.provincial_min_share <= 100:
        problem("provincial_min_share", "地方题比例应在 0–100% 之间。")
    _validate_purpose(blueprint, problem)
    if problems:
        raise InvalidInput("组卷规则有误。", code="blueprint_invalid", detail={"problems": problems})


def _validate_purpose(blueprint: Blueprint, problem: Callable[[str, str], None]) -> None:
    """A spot rule (逢查必考) is short and examines kinds of person; a qualification rule one personnel category."""
    if blueprint.purpose != RulePurpose.SPOT:
        if blueprint.personnel_category is None:
            problem("personnel_category", "考核组卷规则必须填写人员类别。")
        if blueprint.person_kinds:
            problem("person_kinds", "只有逢查必考规则（purpose: spot）填写受检人员类型。")
        return
    low, high = SPOT_QUESTIONS
    if not low <= blueprint.question_count <= high:
        problem("sections", f"逢查必考规则共 {blueprint.question_count} 题，应为 {low}–{high} 题。")
    low, high = SPOT_MINUTES
    if not low <= blueprint.duration_minutes <= high:
        problem("duration_minutes", f"逢查必考的考试时长应在 {low}–{high} 分钟之间。")
    if blueprint.personnel_category is not None:
        problem("personnel_category", "逢查必考规则不填人员类别：受检人员写在受检人员类型（person_kinds）中。")
    if not blueprint.person_kinds:
        problem("person_kinds", "逢查必考规则必须填写受检人员类型（至少一项）。")
    elif len(set(blueprint.person_kinds)) != len(blueprint.person_kinds):
        problem("person_kinds", "受检人员类型有重复。")
