"""Practical scoring: weights, rounding, the veto that fails 95 points, two evaluators and their margin."""

from __future__ import annotations

import pytest

from examsvc.errors import InvalidInput
from examsvc.practical.document import Criterion, PracticalItem, Subject
from examsvc.practical.rule import PracticalRule, validate
from examsvc.practical.scoring import CriterionMark, SubjectScore, check_marks, combine, outcome, subject_score

RULE = PracticalRule(code="SX-LV-PRAC", version="1", title="低压电工作业实操", operation_item="1.2",
                     bank_code="SX-PRAC-LV")


def item(subject: Subject, full: int) -> PracticalItem:
    half = full // 2
    return PracticalItem(key=f"X-{subject}", subject=subject, title="项目", time_limit_minutes=10, full_marks=full,
                         task="操作", equipment=(), criteria=(
                             Criterion(1, "准备", half, ("未检查扣分",), False, None),
                             Criterion(2, "操作", full - half, ("带电作业否决",), True, "带电接线")))


def marks(points: tuple[int, int], veto: bool = False) -> list[CriterionMark]:
    return [CriterionMark(1, points[0]), CriterionMark(2, points[1], veto)]


def test_an_item_scaled_to_its_subject_weight() -> None:
    assert subject_score(RULE, item(Subject.K2, 40), marks((20, 18))).tenths == 380
    # An item of 30 full marks in a subject weighted 20: 29/30 × 20 = 19.33… → 19.3
    assert subject_score(RULE, item(Subject.K1, 30), marks((15, 14))).tenths == 193


def test_a_failed_veto_fails_a_candidate_with_95_points() -> None:
    scores = {Subject.K1: SubjectScore(200, False), Subject.K2: SubjectScore(350, True),
              Subject.K3: SubjectScore(200, False), Subject.K4: SubjectScore(200, False)}
    result = outcome(RULE, scores)
    assert (result.total_tenths, result.passed, result.veto_failed) == (950, False, True)
    clean = outcome(RULE, scores | {Subject.K2: SubjectScore(200, False)})
    assert (clean.total_tenths, clean.passed) == (800, True)
    assert not outcome(RULE, {s: scores[s] for s in (Subject.K1, Subject.K2)}).passed  # a subject missing


def test_two_evaluators_agree_within_the_margin_or_the_chief_decides() -> None:
    agreed = combine(RULE, SubjectScore(380, False), SubjectScore(335, False))
    assert agreed.score == SubjectScore(357, False)  # mean, rounded down to tenths
    apart = combine(RULE, SubjectScore(380, False), SubjectScore(320, False))
    assert apart.score is None and apart.difference_tenths == 60
    assert combine(RULE, SubjectScore(380, True), SubjectScore(380, False)).score is None  # the veto differs


def test_marks_are_checked_against_the_item() -> None:
    check_marks(item(Subject.K2, 40), marks((20, 20)))
    with pytest.raises(InvalidInput) as too_many:
        check_marks(item(Subject.K2, 40), marks((21, 20)))
    assert too_many.value.detail["problems"][0]["field"] == "marks[1].points"
    with pytest.raises(InvalidInput):
        check_marks(item(Subject.K2, 40), [CriterionMark(1, 5, veto_failed=True), CriterionMark(2, 0)])
    with pytest.raises(InvalidInput):
        check_marks(item(Subject.K2, 40), [CriterionMark(1, 5)])


def test_rule_validation_names_the_field() -> None:
    validate(RULE)
    with pytest.raises(InvalidInput) as caught:
        validate(PracticalRule(code="X", version="1", title="t", operation_item="1.2", bank_code="B",
                               weights={Subject.K1: 50, Subject.K2: 40, Subject.K3: 20, Subject.K4: 20},
                               evaluators=3))
    assert {p["field"] for p in caught.value.detail["problems"]} == {"weights", "evaluators"}
    assert RULE.digest() == RULE.digest() and len(RULE.digest()) == 64
