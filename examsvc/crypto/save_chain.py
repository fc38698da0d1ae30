"""The running digest of a question's saves (issue 15): h_n = SHA-256(h_{n-1} ‖ canonical save), h_0 empty.

The database advances it inside each save's upsert (``examsvc_save_chain``: a SQL function on
PostgreSQL, this module's ``advance`` registered on SQLite connections), so a save costs no extra
statement; a verifier re-derives it from the append-only journal ``answer_save``. The canonical save
is RFC 8785 JSON of the save's stored fields, so every implementation gets the same bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime

from examsvc.crypto.canonical_json import canonical_json

SQL_FUNCTION = "examsvc_save_chain"


def canonical_save(*, position: int, seq: int, response: str, flagged: bool, saved_at: datetime) -> str:
    moment = saved_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return canonical_json({"flagged": flagged, "position": position, "response": response, "saved_at": moment,
                           "seq": seq}).decode()


def advance(prev: str, save: str) -> str:
    """One step of the chain; ``prev`` and the result are lower-case hex ("" before the first save)."""
    return hashlib.sha256(bytes.fromhex(prev) + save.encode()).hexdigest()


def sheet_digest(heads: Iterable[tuple[int, str]]) -> str:
    """What the answer sheet seals: every question's chain head, in position order."""
    return hashlib.sha256(canonical_json([[p, h] for p, h in sorted(heads)])).hexdigest()
