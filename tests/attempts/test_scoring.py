"""Scoring rules, one by one (pure functions)."""

from __future__ import annotations

from examsvc.banks.document import QuestionType
from examsvc.blueprints.document import MultipleChoiceRule
from examsvc.results.scoring import PaperLine, award, bank_labels, score

TF = PaperLine(QuestionType.TRUE_FALSE, 10, "", "T")
SINGLE = PaperLine(QuestionType.SINGLE_CHOICE, 10, "CADB", "A")  # the bank's A is shown second, as B
MULTI = PaperLine(QuestionType.MULTIPLE_CHOICE, 20, "DCBA", "ABD")  # shown: A=D, B=C, C=B, D=A
ALL, PARTIAL = MultipleChoiceRule.ALL_OR_NOTHING, MultipleChoiceRule.PARTIAL


def test_true_false_and_single_choice_are_exact() -> None:
    assert (award(TF, "T", ALL), award(TF, "F", ALL), award(TF, "", ALL)) == (10, 0, 0)
    assert bank_labels(SINGLE, "B") == "A"
    assert (award(SINGLE, "B", ALL), award(SINGLE, "A", ALL), award(SINGLE, "E", ALL)) == (10, 0, 0)


def test_multiple_choice_all_or_nothing() -> None:
    assert bank_labels(MULTI, "ACD") == "ABD"
    assert award(MULTI, "ACD", ALL) == 20
    assert award(MULTI, "AD", ALL) == 0  # two of three right
    assert award(MULTI, "ABCD", ALL) == 0


def test_multiple_choice_partial_credit_rounds_down_to_tenths_and_zero_on_a_wrong_letter() -> None:
    assert award(MULTI, "ACD", PARTIAL) == 20
    assert award(MULTI, "AD", PARTIAL) == 13  # 20 × 2/3 = 13.3 tenths → 13
    assert award(MULTI, "A", PARTIAL) == 6
    assert award(MULTI, "AB", PARTIAL) == 0  # B shows the bank's C: wrong
    assert award(MULTI, "", PARTIAL) == 0


def test_a_paper_scores_position_by_position() -> None:
    assert score([TF, SINGLE, MULTI], {0: "T", 2: "AD"}, PARTIAL) == [10, 0, 13]
