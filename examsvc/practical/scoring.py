"""Scoring a practical exam from the evaluators' sheets. Pure, integer tenths of a point.

An evaluator scores each criterion of the drawn item: points awarded (0 … the criterion's points) and,
for a veto criterion (否决项), whether the candidate failed it. A subject's score is the item's points
scaled to the subject's weight, rounded down to tenths. The exam is passed with the pass mark and no
failed veto, whatever the points. With two evaluators, each subject takes the mean of the two
(rounded down to tenths) when they differ by no more than the rule's margin and agree on the veto;
otherwise the chief examiner's decision is needed for that subject.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from examsvc.errors import InvalidInput
from examsvc.practical.document import Criterion, PracticalItem, Subject
from examsvc.practical.rule import PracticalRule


@dataclass(frozen=True)
class CriterionMark:
    code: int
    points: int  # awarded, whole points
    veto_failed: bool = False


@dataclass(frozen=True)
class SubjectScore:
    tenths: int
    veto_failed: bool


def check_marks(item: PracticalItem, marks: Sequence[CriterionMark]) -> None:
    """Every criterion scored once, within its points; a veto only on a veto criterion."""
    by_code: dict[int, Criterion] = {c.code: c for c in item.criteria}
    problems = []
    codes = [m.code for m in marks]
    if sorted(codes) != sorted(by_code):
        problems.append({"field": "marks", "message": "须为该项目的每个评分项各评一次分。"})
    for mark in marks:
        criterion = by_code.get(mark.code)
        if criterion is None:
            continue
        if not 0 <= mark.points <= criterion.points:
            problems.append({"field": f"marks[{mark.code}].points",
                             "message": f"得分应在 0–{criterion.points} 分之间。"})
        if mark.veto_failed and not criterion.veto:
            problems.append({"field": f"marks[{mark.code}].veto_failed", "message": "该评分项不是否决项。"})
    if problems:
        raise InvalidInput("评分表有误。", code="bad_marks", detail={"item": item.key, "problems": problems})


def subject_score(rule: PracticalRule, item: PracticalItem, marks: Sequence[CriterionMark]) -> SubjectScore:
    awarded = sum(m.points for m in marks)
    return SubjectScore(tenths=awarded * rule.weights[item.subject] * 10 // item.full_marks,
                        veto_failed=any(m.veto_failed for m in marks))


@dataclass(frozen=True)
class Agreement:
    score: SubjectScore | None  # None: the two evaluators disagree; the chief examiner decides
    difference_tenths: int


def combine(rule: PracticalRule, first: SubjectScore, second: SubjectScore) -> Agreement:
    difference = abs(first.tenths - second.tenths)
    if difference > rule.disagreement_margin * 10 or first.veto_failed != second.veto_failed:
        return Agreement(None, difference)
    return Agreement(SubjectScore((first.tenths + second.tenths) // 2, first.veto_failed), difference)


@dataclass(frozen=True)
class Outcome:
    total_tenths: int
    passed: bool
    veto_failed: bool


def outcome(rule: PracticalRule, subjects: Mapping[Subject, SubjectScore]) -> Outcome:
    total = sum(s.tenths for s in subjects.values())
    veto = any(s.veto_failed for s in subjects.values())
    return Outcome(total, passed=not veto and set(subjects) == set(Subject) and total >= rule.pass_mark * 10,
                   veto_failed=veto)
