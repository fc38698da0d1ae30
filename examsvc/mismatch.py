"""The verifiers' failure: what does not match and, where the verifier knows it, the place (table, row,
field), so that ``audit verify-sitting`` names the table an edit lives in (issue 15 item 2)."""

from __future__ import annotations


class Mismatch(Exception):
    def __init__(self, message: str, *, table: str | None = None, row: str | int | None = None,
                 field: str | None = None) -> None:
        super().__init__(message)
        self.table, self.row, self.field = table, row, field
