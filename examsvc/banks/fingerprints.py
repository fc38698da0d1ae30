"""Per-field fingerprints of a published bank version (issue 15 item 4).

The log's ``bank.version.published`` entry carries the version's content digest (docs/bank-format.md):
re-hashing the question rows to it shows *that* a published bank was edited. To say *which* question
and field, the entry also carries, per question key, a short salted fingerprint of each field. The salt
is random per version and kept only in the ``bank_version`` row: the log's readers cannot test guesses
(an answer key is one of a handful of values) against the fingerprints, and no question content is in
the log.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from examsvc.banks.document import Level, QuestionData, QuestionType
from examsvc.banks.models import Question
from examsvc.crypto.canonical_json import canonical_json

# The fields of the canonical question (banks.document.QuestionData.canonical) but its key, in a fixed order.
FIELDS = ("type", "stem", "options", "answer", "explanation", "knowledge_point", "level", "difficulty",
          "legal_basis")
PER_FIELD_HEX = 4  # 16 bits per field: names the field; the content digest is what proves the change


def new_salt() -> str:
    return secrets.token_hex(16)


def question_data(q: Question) -> QuestionData:
    """A stored question as the document's value (raises ValueError on a malformed row)."""
    return QuestionData(key=q.key, type=QuestionType(q.type), stem=q.stem,
                        options=tuple((label, text) for label, text in q.options),
                        answer=(q.answer == "T") if q.type == QuestionType.TRUE_FALSE else q.answer,
                        explanation=q.explanation, knowledge_point=q.knowledge_point, level=Level(q.level),
                        difficulty=q.difficulty, legal_basis=q.legal_basis)


def of_question(salt: str, data: QuestionData) -> str:
    canonical = data.canonical()
    return "".join(
        hashlib.sha256(canonical_json({"field": field, "key": data.key, "salt": salt,
                                       "value": canonical.get(field)})).hexdigest()[:PER_FIELD_HEX]
        for field in FIELDS)


def of_questions(salt: str, questions: Iterable[Question]) -> dict[str, str]:
    """key → fingerprint, for the log."""
    return {q.key: of_question(salt, question_data(q)) for q in questions}


def changed_fields(logged: str, now: str) -> list[str]:
    """The fields whose fingerprints differ (all of them if the logged value is malformed)."""
    if len(logged) != len(now):
        return list(FIELDS)
    return [field for i, field in enumerate(FIELDS)
            if logged[i * PER_FIELD_HEX:(i + 1) * PER_FIELD_HEX] != now[i * PER_FIELD_HEX:(i + 1) * PER_FIELD_HEX]]
