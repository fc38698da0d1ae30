"""The answer sheet (答卷): what a candidate chose, as canonical JSON, sealed at submission.

The sheet depends only on the attempt's stored facts (its answers, its start, its deadline or the
moment of the candidate's submit), never on when the server got round to sealing it: a deadline
submission gives the same bytes whether the sweep, the next request or the CLI made it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from examsvc.attempts.clock import Timed
from examsvc.audit.log import rfc3339
from examsvc.crypto import save_chain
from examsvc.crypto.canonical_json import canonical_json

FORMAT = "examsvc-answer-sheet/2"  # /2: "saves", the digest of every question's save chain


class SheetAnswer(Protocol):
    """A stored answer (``answer``, or ``spot_answer`` of a spot exam)."""

    @property
    def position(self) -> int: ...
    @property
    def response(self) -> str: ...
    @property
    def chain(self) -> str: ...


def sheet_document(*, sitting: str, candidate: str, paper_digest: str, attempt: Timed, ended_at: datetime,
                   how: str, answers: Iterable[SheetAnswer]) -> dict[str, Any]:
    answers = sorted(answers, key=lambda a: a.position)
    return {
        "format": FORMAT, "sitting": sitting, "candidate": candidate, "paper": paper_digest,
        "started_at": rfc3339(attempt.started_at), "ended_at": rfc3339(ended_at), "how": how,
        "duration_seconds": attempt.duration_seconds, "extra_seconds": attempt.extra_seconds,
        "pause_credit_ms": attempt.pause_credit_ms,
        # Responses are in the labels the candidate saw (the paper maps them to the bank's).
        "answers": [{"position": a.position, "response": a.response}
                    for a in answers if a.response],
        # The sheet commits to how the answers came about, not only to the last ones (issue 15): each
        # question's chain of accepted saves, re-derived by verify-sitting from the journal.
        "saves": save_chain.sheet_digest((a.position, a.chain) for a in answers),
    }


def sealed_bytes(document: dict[str, Any]) -> tuple[bytes, str]:
    data = canonical_json(document)
    return data, hashlib.sha256(data).hexdigest()
