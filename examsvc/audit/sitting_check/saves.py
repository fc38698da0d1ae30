"""Every save of every attempt: the journal re-derived, the answers and the sealed sheet compared with it.

Each accepted save is a row of the append-only journal ``answer_save`` and a step of its question's
chain (examsvc/crypto/save_chain.py), advanced in the save's own statement and sealed, at submission,
into the answer sheet (``saves``), whose digest is in ``attempt.submitted``. So:

- a journal row edited or deleted breaks the chain re-derived from the rows before it, or the head
  the sheet sealed;
- an answer edited in the database during the exam (then submitted) is not the last journalled save
  of its question; the sealed sheet then differs from the journal;
- a save outside the attempt's time (before its start, after its end and the grace) is named.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Generator, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from examsvc.attempts.models import Answer, AnswerSave, AnswerSheet, Attempt
from examsvc.audit.sitting_check.core import Context, Finding, check
from examsvc.audit.sitting_check.logged import admission_numbers, by_key, when
from examsvc.config import Settings
from examsvc.crypto import save_chain

SAVES = "answer_saves"


def _grace(ctx: Context) -> timedelta:
    seconds = ctx.extra.get("grace_seconds", Settings.model_fields["answer_grace_seconds"].default)
    return timedelta(seconds=int(seconds))


def _journal(ctx: Context, attempt_ids: list[int]) -> dict[int, dict[int, list[AnswerSave]]]:
    journal: dict[int, dict[int, list[AnswerSave]]] = defaultdict(lambda: defaultdict(list))
    rows = ctx.db_session.scalars(select(AnswerSave).where(AnswerSave.attempt_id.in_(attempt_ids)).order_by(
        AnswerSave.attempt_id, AnswerSave.position, AnswerSave.seq))
    for row in rows:
        journal[row.attempt_id][row.position].append(row)
    return journal


def _fields(row: AnswerSave | Answer) -> dict[str, Any]:
    return {"response": row.response, "flagged": row.flagged, "seq": row.seq, "saved_at": when(row.saved_at),
            "chain": row.chain}


@check(SAVES)
def saves_follow_their_journal(ctx: Context) -> Iterator[Finding]:
    numbers = admission_numbers(ctx)
    submitted = by_key(ctx, "attempt.submitted", "admission_number")
    attempts = list(ctx.db_session.scalars(select(Attempt).where(Attempt.sitting_id == ctx.sitting.id)
                                           .order_by(Attempt.id)))
    journal = _journal(ctx, [a.id for a in attempts])
    for attempt in attempts:
        number = numbers.get(attempt.registration_id, f"attempt {attempt.id}")
        saves = journal.get(attempt.id, {})
        heads = yield from _chains(attempt, number, saves, _grace(ctx))
        answers = {a.position: a for a in ctx.db_session.scalars(select(Answer).where(Answer.attempt_id == attempt.id))}
        for position in sorted(set(answers) | set(saves)):
            yield from _answer(attempt, number, position, answers.get(position), saves.get(position, []))
        sheet = ctx.db_session.get(AnswerSheet, attempt.id)
        if sheet is not None:
            ends = submitted.get(number) or []
            yield from _sheet(sheet, number, heads, saves, ends[0] if ends else None)


def _chains(attempt: Attempt, number: str, saves: dict[int, list[AnswerSave]],
            grace: timedelta) -> Generator[Finding, None, dict[int, str]]:
    """Re-derives every question's chain from the journal, naming each row that does not follow; returns
    the heads (position → chain) the journal gives."""
    heads: dict[int, str] = {}
    latest = attempt.submitted_at or attempt.started_at + timedelta(
        seconds=attempt.duration_seconds + attempt.extra_seconds, milliseconds=attempt.pause_credit_ms)
    for position, rows in saves.items():
        head, previous = "", ""  # the chain the journal's saves give; the chain the row before stored
        for row in rows:
            save = save_chain.canonical_save(position=row.position, seq=row.seq, response=row.response,
                                             flagged=row.flagged, saved_at=row.saved_at)
            head = save_chain.advance(head, save)
            # Each row against the one before it: an edited row, or the one after a deleted row, is named
            # once (the heads, re-derived from the saves alone, then differ from the sealed ones).
            if not _follows(previous, save, row.chain):
                yield Finding(SAVES, "answer_save", f"{number}: question {position} save {row.seq}: the journal row "
                              "does not follow from the saves before it (edited, or one before it deleted)",
                              row=row.id, field="chain")
            previous = row.chain
            if not isinstance(row.saved_at, datetime) or not (
                    attempt.started_at <= row.saved_at <= latest + grace):
                yield Finding(SAVES, "answer_save", f"{number}: question {position} save {row.seq} at "
                              f"{when(row.saved_at)}: outside the attempt's time", row=row.id, field="saved_at")
        heads[position] = head
    return heads


def _follows(previous: str, save: str, chain: str) -> bool:
    try:
        return chain == save_chain.advance(previous, save)
    except ValueError:  # a stored chain that is not hex at all: malformed, so it does not follow
        return False


def _answer(attempt: Attempt, number: str, position: int, answer: Answer | None,
            rows: list[AnswerSave]) -> Iterator[Finding]:
    where = f"{attempt.id}/{position}"
    if answer is None:
        yield Finding(SAVES, "answer", f"{number}: question {position} was saved (journal), but its answer row is "
                      "missing (deleted)", row=where)
        return
    if not rows:
        yield Finding(SAVES, "answer", f"{number}: question {position}: an answer with no save in the journal "
                      "(written outside the service)", row=where)
        return
    last, stored = _fields(rows[-1]), _fields(answer)
    for field, value in last.items():
        if stored[field] != value:
            yield Finding(SAVES, "answer", f"{number}: question {position}: stored {stored[field]!r}, the last "
                          f"journalled save says {value!r}", row=where, field=field)


def _sheet(sheet: AnswerSheet, number: str, heads: dict[int, str], saves: dict[int, list[AnswerSave]],
           entry: dict[str, Any] | None) -> Iterator[Finding]:
    index = entry.get("index") if entry else None
    logged = ((entry or {}).get("details") or {}).get("answer_sheet")
    if hashlib.sha256(sheet.document.encode()).hexdigest() != logged:
        yield Finding(SAVES, "answer_sheet", f"{number}: the sealed sheet is not the one attempt.submitted logged",
                      row=sheet.attempt_id, field="document", entry=index)
        return
    sealed = json.loads(sheet.document)
    if sealed.get("saves") != save_chain.sheet_digest(heads.items()):
        yield Finding(SAVES, "answer_sheet", f"{number}: the save history sealed at submission is not the journal's "
                      "(a save edited, inserted or deleted)", row=sheet.attempt_id, field="saves", entry=index)
    answered = {a.get("position"): a.get("response") for a in sealed.get("answers", [])}
    journalled = {p: rows[-1].response for p, rows in saves.items() if rows and rows[-1].response}
    for position in sorted(set(answered) | set(journalled), key=str):
        if answered.get(position) != journalled.get(position):
            yield Finding(SAVES, "answer_sheet", f"{number}: question {position}: sealed {answered.get(position)!r}, "
                          f"the candidate's last save was {journalled.get(position)!r} (changed in the database "
                          "before submission)", row=sheet.attempt_id, field="answers", entry=index)
