"""A practical exam rule (实操考试规则) as plain values, its validation and canonical digest.

Defaults from the national 实际操作考试标准: subject weights K1 20 / K2 40 / K3 20 / K4 20, 100
points, pass at 80 with no failed veto item, 60 minutes, one item drawn per subject. Points are whole
points per subject weight; scores are kept in tenths of a point, as theory scores are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from examsvc.crypto.canonical_json import canonical_digest
from examsvc.errors import InvalidInput
from examsvc.practical.document import Subject

FORMAT = "examsvc-practical-rule/1"
DEFAULT_WEIGHTS = {Subject.K1: 20, Subject.K2: 40, Subject.K3: 20, Subject.K4: 20}


class DrawBy(StrEnum):
    SYSTEM = "system"  # drawn from the sitting's seed by the documented algorithm (docs/practical.md)
    CANDIDATE = "candidate"  # the candidate draws a lot on site; the evaluator records which item


@dataclass(frozen=True)
class PracticalRule:
    code: str
    version: str
    title: str
    operation_item: str
    bank_code: str
    weights: dict[Subject, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    pass_mark: int = 80  # points of 100
    duration_minutes: int = 60
    draw_by: DrawBy = DrawBy.SYSTEM
    evaluators: int = 2  # evaluators who each score every candidate
    disagreement_margin: int = 5  # points per subject beyond which the chief examiner decides

    def canonical(self) -> dict[str, Any]:
        return {"format": FORMAT, "code": self.code, "version": self.version, "title": self.title,
                "operation_item": self.operation_item, "bank_code": self.bank_code,
                "weights": {str(s): self.weights[s] for s in Subject}, "pass_mark": self.pass_mark,
                "duration_minutes": self.duration_minutes, "draw_by": str(self.draw_by),
                "evaluators": self.evaluators, "disagreement_margin": self.disagreement_margin}

    def digest(self) -> str:
        return canonical_digest(self.canonical())


def from_canonical(data: dict[str, Any]) -> PracticalRule:
    return PracticalRule(
        code=data["code"], version=data["version"], title=data["title"], operation_item=data["operation_item"],
        bank_code=data["bank_code"], weights={Subject(k): v for k, v in data["weights"].items()},
        pass_mark=data["pass_mark"], duration_minutes=data["duration_minutes"], draw_by=DrawBy(data["draw_by"]),
        evaluators=data["evaluators"], disagreement_margin=data["disagreement_margin"])


def validate(rule: PracticalRule) -> None:
    """Refuses a rule that contradicts itself, naming the field."""
    problems: list[dict[str, str]] = []
    if set(rule.weights) != set(Subject) or any(w < 1 for w in rule.weights.values()):
        problems.append({"field": "weights", "message": "K1–K4 四个科目都要有正整数权重。"})
    elif sum(rule.weights.values()) != 100:
        problems.append({"field": "weights", "message": f"各科目权重之和为 {sum(rule.weights.values())}，应为 100。"})
    if not 1 <= rule.pass_mark <= 100:
        problems.append({"field": "pass_mark", "message": "合格分数应在 1–100 之间。"})
    if not 1 <= rule.duration_minutes <= 480:
        problems.append({"field": "duration_minutes", "message": "考试时长应在 1–480 分钟之间。"})
    if rule.evaluators not in (1, 2):
        problems.append({"field": "evaluators", "message": "每名考生由 1 名或 2 名考评员评分。"})
    if not 0 <= rule.disagreement_margin <= 100:
        problems.append({"field": "disagreement_margin", "message": "评分分歧阈值应在 0–100 分之间。"})
    if problems:
        raise InvalidInput("实操考试规则有误。", code="practical_rule_invalid", detail={"problems": problems})
