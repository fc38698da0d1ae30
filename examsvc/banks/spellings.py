"""The spellings bank staff type, mapped to one meaning each. ``None`` means "not recognised"."""

from __future__ import annotations

import re
import unicodedata

from examsvc.banks.document import Level, QuestionType

_TRUE = {"正确", "对", "√", "✓", "✔", "T", "TRUE", "Y", "是"}
_FALSE = {"错误", "错", "×", "✗", "✘", "X", "F", "FALSE", "N", "否"}
_SEPARATORS = re.compile(r"[\s,，、;；/]+")

_TYPES = {
    "true_false": QuestionType.TRUE_FALSE, "判断题": QuestionType.TRUE_FALSE, "判断": QuestionType.TRUE_FALSE,
    "single_choice": QuestionType.SINGLE_CHOICE, "单选题": QuestionType.SINGLE_CHOICE,
    "单选": QuestionType.SINGLE_CHOICE, "单项选择题": QuestionType.SINGLE_CHOICE,
    "multiple_choice": QuestionType.MULTIPLE_CHOICE, "多选题": QuestionType.MULTIPLE_CHOICE,
    "多选": QuestionType.MULTIPLE_CHOICE, "多项选择题": QuestionType.MULTIPLE_CHOICE,
}
_LEVELS = {"了解": Level.AWARE, "掌握": Level.GRASP, "熟练掌握": Level.MASTER}
_DIFFICULTIES = {"1": 1, "2": 2, "3": 3, "易": 1, "容易": 1, "中": 2, "中等": 2, "难": 3, "困难": 3}


def _fold(value: str) -> str:
    # NFKC turns full-width letters and digits (Ａ, １) into their ASCII forms.
    return unicodedata.normalize("NFKC", value).strip()


def true_false_answer(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return None
    folded = _fold(value).upper()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    return None


def choice_letters(value: object) -> str | None:
    """``A``, ``ABD``, ``A,B,D``, ``a、b、d`` → ``"ABD"``; ``None`` if it is not letters A–Z."""
    if not isinstance(value, str):
        return None
    letters = "".join(_SEPARATORS.split(_fold(value).upper()))
    if not letters or not letters.isascii() or not letters.isalpha():
        return None
    return letters


def question_type(value: object) -> QuestionType | None:
    return _TYPES.get(_fold(value)) if isinstance(value, str) else None


def level(value: object) -> Level | None:
    return _LEVELS.get(_fold(value)) if isinstance(value, str) else None


def difficulty(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value in (1, 2, 3) else None
    if isinstance(value, float) and value.is_integer():
        return difficulty(int(value))
    if isinstance(value, str):
        return _DIFFICULTIES.get(_fold(value))
    return None
