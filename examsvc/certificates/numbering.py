"""Certificate numbers (证号): the province's format over a counter per kind and year that only grows."""

from __future__ import annotations

import string

from examsvc.certificates.signed_form import Kind

KIND_LETTERS = {Kind.SPECIAL_OPERATIONS: "T", Kind.SAFETY_COMPETENCE: "A"}
FIELDS = {"kind", "year", "serial"}
# QR alphanumeric characters, so that a number costs little in the QR and reads unambiguously on a card.
ALLOWED = set(string.ascii_uppercase + string.digits + "-")


def format_number(template: str, kind: Kind, year: int, serial: int) -> str:
    return template.format(kind=KIND_LETTERS[kind], year=year, serial=serial)


def check_format(template: str) -> str:
    """``template`` if it is a usable number format; a ``ValueError`` naming the problem otherwise."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"certificate number format {template!r}: {exc}") from None
    names = {name for _, name, _, _ in parts if name is not None}
    if not names <= FIELDS:
        raise ValueError(f"certificate number format {template!r}: unknown field(s) {sorted(names - FIELDS)}; "
                         f"allowed: {sorted(FIELDS)}")
    if "serial" not in names:
        raise ValueError(f"certificate number format {template!r} has no {{serial}}: numbers would repeat")
    if not {"kind", "year"} <= names:
        # Without them the counter would have to span kinds and years; keep the one counter per kind and year.
        raise ValueError(f"certificate number format {template!r} needs {{kind}} and {{year}} besides {{serial}}")
    try:
        sample = format_number(template, Kind.SPECIAL_OPERATIONS, 2026, 1)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"certificate number format {template!r}: {exc}") from None
    if not set(sample) <= ALLOWED or len(sample) > 24:
        raise ValueError(f"certificate number format {template!r} makes {sample!r}: use capital letters, digits "
                         "and '-', at most 24 characters")
    return template
