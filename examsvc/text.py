"""Untrusted one-line text (names of workstations, sites, rooms, people): refused with control
characters where it comes in, escaped where a CLI prints it.

A name with a newline, a tab or an ANSI escape would forge rows or recolour a terminal in an
examiner's table (``examsvc workstations list``); bidirectional overrides would reorder what is shown.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator

# Bidirectional embedding, override and isolate controls (Unicode TR #9 §2) and the marks.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def is_control(character: str) -> bool:
    return unicodedata.category(character) in ("Cc", "Zl", "Zp") or character in _BIDI


def _refuse_controls(value: str) -> str:
    if any(is_control(c) for c in value):
        raise ValueError("不能包含换行、制表符、转义序列或其他控制字符。")
    return value


SingleLine = Annotated[str, AfterValidator(_refuse_controls)]
"""A ``str`` field that refuses control characters (use with ``Field(max_length=…)``)."""


def shown(value: object) -> str:
    """``value`` as text safe to print in a terminal table: every control character escaped."""
    text = str(value)
    if not any(is_control(c) for c in text):
        return text
    return "".join(_NAMED.get(c, f"\\u{ord(c):04x}" if ord(c) > 0xFF else f"\\x{ord(c):02x}") if is_control(c)
                   else c for c in text)
