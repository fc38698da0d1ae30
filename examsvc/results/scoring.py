"""Scoring a sealed answer sheet against the paper and the bank's answers. Pure, integer tenths.

True/false and single choice: exact. Multiple choice by the rule's ``multiple_choice_rule``:
all-or-nothing, or partial credit — no wrong letter chosen gives points × right chosen / right, rounded
down to tenths; any wrong letter gives 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from examsvc.banks.document import QuestionType
from examsvc.blueprints.document import MultipleChoiceRule

RESULT_FORMAT = "examsvc-result/1"


@dataclass(frozen=True)
class PaperLine:
    """One item of a paper as scoring needs it."""

    type: QuestionType
    points: int
    options: str  # the displayed order of the bank's labels, e.g. "CADB"; "" for true/false
    correct: str  # the bank's answer: "T"/"F" or sorted letters


def bank_labels(line: PaperLine, response: str) -> str:
    """The displayed labels a candidate chose, as the bank's labels (sorted); '' if unusable."""
    if line.type == QuestionType.TRUE_FALSE:
        return response if response in ("T", "F") else ""
    chosen = []
    for label in response:
        index = ord(label) - ord("A")
        if not 0 <= index < len(line.options):
            return ""
        chosen.append(line.options[index])
    return "".join(sorted(set(chosen)))


def award(line: PaperLine, response: str, rule: MultipleChoiceRule) -> int:
    chosen = bank_labels(line, response)
    if not chosen:
        return 0
    if line.type != QuestionType.MULTIPLE_CHOICE or rule == MultipleChoiceRule.ALL_OR_NOTHING:
        return line.points if chosen == line.correct else 0
    if set(chosen) - set(line.correct):
        return 0
    return line.points * len(chosen) // len(line.correct)


def score(lines: Sequence[PaperLine], responses: Mapping[int, str], rule: MultipleChoiceRule) -> list[int]:
    """Points awarded per position (tenths)."""
    return [award(line, responses.get(position, ""), rule) for position, line in enumerate(lines)]


def result_document(*, sitting: str, candidate: str, subject: str, paper_digest: str, sheet_digest: str,
                    version: int, items: Sequence[int], total_points: int, pass_mark: int, void: bool,
                    review: dict[str, Any] | None, person: str | None = None) -> dict[str, Any]:
    """``person`` is the identity binding of the admission number (candidates.binding, issue 15): present
    only for registrations that have one, so that earlier result documents keep their digests."""
    total = sum(items)
    return {
        "format": RESULT_FORMAT, "sitting": sitting, "candidate": candidate, "subject": subject,
        "paper": paper_digest, "answer_sheet": sheet_digest, "version": version, "items": list(items),
        "score": total, "total_points": total_points, "pass_mark": pass_mark, "void": void,
        "passed": (not void) and total >= pass_mark, "review": review,
        **({} if person is None else {"person": person}),
    }
