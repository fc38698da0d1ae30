"""Steps 5–8 of ``verify-spot`` (examsvc/spot/verify.py), per spot exam:

5. papers   the paper re-assembled from the seed (``exams.paper_items``) is the logged and the stored
            digest, and the stored sealed paper opens (bound to the inspection, the person, the digest) to
            exactly those bytes;
6. saves    each question's save chain re-derived from the append-only journal ``spot_answer_save`` is the
            stored ``spot_answer.chain``, and the stored answer is the last journalled save;
7. sheets   the answer sheet rebuilt from the stored facts (``attempts.sheet.sheet_document``) is the
            stored one, whose digest is the logged one, and the save history it sealed is the journal's;
8. results  the sheet re-scored against the re-derived paper is the stored result, whose digest, score and
            pass are the logged ones; a fail's re-training and the linked certificate are the logged ones.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from examsvc.attempts import content
from examsvc.attempts.sheet import sealed_bytes, sheet_document
from examsvc.audit.log import rfc3339
from examsvc.audit.sitting_check.core import Finding
from examsvc.blueprints import service as blueprints
from examsvc.blueprints.models import BlueprintVersion
from examsvc.certificates.models import Certificate
from examsvc.crypto import save_chain
from examsvc.crypto.canonical_json import canonical_json
from examsvc.crypto.envelope import EnvelopeError
from examsvc.results.scoring import result_document, score
from examsvc.spot import exams
from examsvc.spot.models import Retraining, SpotAnswer, SpotAnswerSave, SpotExam, SpotExamStatus, SpotPerson
from examsvc.spot.verify import Spot, check, details


def _entry(spot: Spot, action: str, exam: SpotExam) -> dict[str, Any] | None:
    found = [e for e in spot.actions(action) if (e.get("subject") or {}).get("id") == str(exam.id)]
    return found[0] if found else None


def _paper(spot: Spot, exam: SpotExam) -> tuple[bytes, str] | None:
    """The exam's paper re-derived from the seed and the logged person digest (cached per exam)."""
    key = f"paper:{exam.id}"
    if key not in spot.cache:
        started, rule = _entry(spot, "spot.exam.started", exam), spot.db_session.get(
            BlueprintVersion, exam.blueprint_version_id)
        if started is None or rule is None or spot.seed is None:
            spot.cache[key] = None
        else:
            # A transient row carrying the logged digest: the paper is the person's the log names.
            person = SpotPerson(person_digest=details(started).get("person"))
            spot.cache[key] = exams.paper_items(spot.db_session, spot.inspection, person, rule, spot.seed)
    paper: tuple[bytes, str] | None = spot.cache[key]
    return paper


@check("papers")
def papers_are_rederived(spot: Spot) -> Iterator[Finding]:
    for exam in spot.exams:
        started = _entry(spot, "spot.exam.started", exam)
        if started is None:
            continue  # named by the exams check
        logged, where = details(started), started.get("index")
        rule = spot.db_session.get(BlueprintVersion, exam.blueprint_version_id)
        if rule is None or rule.digest != logged.get("blueprint_digest"):
            yield Finding("papers", "spot_exam", "the exam's rule is not the one the log started it with",
                          row=exam.id, field="blueprint_version_id", entry=where)
            continue
        paper = _paper(spot, exam)
        if paper is None:
            continue
        document, digest = paper
        if digest != logged.get("paper_digest"):
            yield Finding("papers", "spot_exam", "the paper re-assembled from the revealed seed is not the logged "
                          "one", row=exam.id, field="paper_digest", entry=where)
        if exam.paper_digest != logged.get("paper_digest"):
            yield Finding("papers", "spot_exam", "the stored paper digest is not the logged one", row=exam.id,
                          field="paper_digest", entry=where)
        try:
            sealed = spot.keys.unwrap(bytes(exam.paper_sealed), exams.paper_binding(
                spot.inspection, str(logged.get("person")), str(logged.get("paper_digest"))))
        except EnvelopeError:
            sealed = None
        if sealed != document:
            yield Finding("papers", "spot_exam", "the stored sealed paper does not open to the re-derived paper "
                          "(altered, or moved to another person)", row=exam.id, field="paper_sealed", entry=where)
        if (exam.duration_seconds, rfc3339(exam.started_at)) != (
                logged.get("duration_seconds"), logged.get("started_at")):
            yield Finding("papers", "spot_exam", "the stored start or duration is not the logged one", row=exam.id,
                          field="started_at", entry=where)


def _journal(spot: Spot) -> dict[int, dict[int, list[SpotAnswerSave]]]:
    """exam id → position → its journalled saves in order (read once per inspection)."""
    if "journal" in spot.cache:
        cached: dict[int, dict[int, list[SpotAnswerSave]]] = spot.cache["journal"]
        return cached
    journal: dict[int, dict[int, list[SpotAnswerSave]]] = defaultdict(lambda: defaultdict(list))
    rows = spot.db_session.scalars(select(SpotAnswerSave).where(SpotAnswerSave.spot_exam_id.in_(
        [e.id for e in spot.exams])).order_by(SpotAnswerSave.spot_exam_id, SpotAnswerSave.position,
                                              SpotAnswerSave.seq))
    for row in rows:
        journal[row.spot_exam_id][row.position].append(row)
    spot.cache["journal"] = journal
    return journal


def _answers(spot: Spot, exam: SpotExam) -> dict[int, SpotAnswer]:
    rows = spot.db_session.scalars(select(SpotAnswer).where(SpotAnswer.spot_exam_id == exam.id))
    return {a.position: a for a in rows}


def _follows(previous: str, save: str, chain: str) -> bool:
    try:
        return chain == save_chain.advance(previous, save)
    except ValueError:  # a stored chain that is not hex: it does not follow
        return False


@check("saves")
def saves_follow_their_journal(spot: Spot) -> Iterator[Finding]:
    journal = _journal(spot)
    for exam in spot.exams:
        saves, answers, heads = journal.get(exam.id, {}), _answers(spot, exam), {}
        for position, rows in saves.items():
            head = previous = ""
            for row in rows:
                save = save_chain.canonical_save(position=row.position, seq=row.seq, response=row.response,
                                                 flagged=row.flagged, saved_at=row.saved_at)
                head = save_chain.advance(head, save)
                if not _follows(previous, save, row.chain):
                    yield Finding("saves", "spot_answer_save", f"exam {exam.id} question {position} save {row.seq}: "
                                  "the journal row does not follow from the saves before it (edited, or one before "
                                  "it deleted)", row=row.id, field="chain")
                previous = row.chain
            heads[position] = head
        for position in sorted(set(answers) | set(saves)):
            where, answer, rows = f"{exam.id}/{position}", answers.get(position), saves.get(position, [])
            if answer is None or not rows:
                yield Finding("saves", "spot_answer", "an answer without its journalled saves, or saves without "
                              "their answer (a row inserted or deleted)", row=where)
                continue
            last = rows[-1]
            for name in ("response", "flagged", "seq", "saved_at"):
                if getattr(answer, name) != getattr(last, name):
                    yield Finding("saves", "spot_answer", f"stored {getattr(answer, name)!r}, the last journalled "
                                  f"save says {getattr(last, name)!r}", row=where, field=name)
            if answer.chain != heads[position]:
                yield Finding("saves", "spot_answer", "the stored chain is not the one the journal re-derives",
                              row=where, field="chain")


@check("sheets")
def sheets_are_rebuilt(spot: Spot) -> Iterator[Finding]:
    people = {p.id: p for p in spot.people}
    journal = _journal(spot)
    for exam in spot.exams:
        if exam.status != SpotExamStatus.SUBMITTED:
            continue
        archived, person = _entry(spot, "spot.exam.archived", exam), people.get(exam.person_id)
        if archived is None or person is None or exam.sheet_document is None or exam.submitted_at is None:
            yield Finding("sheets", "spot_exam", "a submitted exam without its sealed sheet, its person or its "
                          "spot.exam.archived entry", row=exam.id, field="sheet_document")
            continue
        logged, where = details(archived), archived.get("index")
        rebuilt, _ = sealed_bytes(sheet_document(
            sitting=spot.inspection.code, candidate=str(logged.get("person")), paper_digest=exam.paper_digest,
            attempt=exam, ended_at=exam.submitted_at, how=exam.submitted_how or "",
            answers=_answers(spot, exam).values()))
        if rebuilt != exam.sheet_document.encode():
            yield Finding("sheets", "spot_exam", "the stored answers or timings no longer give the sealed answer "
                          "sheet", row=exam.id, field="sheet_document", entry=where)
        digest = hashlib.sha256(exam.sheet_document.encode()).hexdigest()
        if not digest == exam.sheet_digest == logged.get("answer_sheet_digest"):
            yield Finding("sheets", "spot_exam", "the sealed answer sheet is not the one spot.exam.archived logged",
                          row=exam.id, field="sheet_digest", entry=where)
        heads = {p: _head(rows) for p, rows in journal.get(exam.id, {}).items()}
        if json.loads(exam.sheet_document).get("saves") != save_chain.sheet_digest(heads.items()):
            yield Finding("sheets", "spot_exam", "the save history sealed at submission is not the journal's",
                          row=exam.id, field="sheet_document", entry=where)


def _head(rows: list[SpotAnswerSave]) -> str:
    head = ""
    for row in rows:
        head = save_chain.advance(head, save_chain.canonical_save(
            position=row.position, seq=row.seq, response=row.response, flagged=row.flagged, saved_at=row.saved_at))
    return head


@check("results")
def results_are_rescored(spot: Spot) -> Iterator[Finding]:
    for exam in spot.exams:
        archived, paper = _entry(spot, "spot.exam.archived", exam), _paper(spot, exam)
        if exam.status != SpotExamStatus.SUBMITTED or archived is None or paper is None or exam.sheet_document is None:
            continue
        logged, where = details(archived), archived.get("index")
        rule_row = spot.db_session.get(BlueprintVersion, exam.blueprint_version_id)
        assert rule_row is not None  # named by the papers check otherwise
        rule = blueprints.rule_of(rule_row)
        lines = content.paper_lines(json.loads(paper[0]), content.questions(spot.db_session, rule_row.id))
        sheet = json.loads(exam.sheet_document)
        responses = {a["position"]: a["response"] for a in sheet.get("answers", [])}
        items = score(lines, responses, rule.multiple_choice_rule)
        expected = result_document(
            sitting=spot.inspection.code, candidate=str(logged.get("person")), subject=rule.code,
            paper_digest=paper[1], sheet_digest=str(logged.get("answer_sheet_digest")), version=1, items=items,
            total_points=rule.total_points, pass_mark=rule.pass_mark, void=False, review=None)
        data = canonical_json(expected)
        if exam.result_document is None or data != exam.result_document.encode():
            yield Finding("results", "spot_exam", "the sealed sheet re-scored against the re-derived paper is not "
                          "the stored result", row=exam.id, field="result_document", entry=where)
        if not hashlib.sha256(data).hexdigest() == exam.result_digest == logged.get("result_digest"):
            yield Finding("results", "spot_exam", "the result digest (re-derived, stored, logged) differs",
                          row=exam.id, field="result_digest", entry=where)
        for name, value in (("score", expected["score"]), ("passed", expected["passed"])):
            if getattr(exam, name) != value or logged.get(name) != value:
                yield Finding("results", "spot_exam", f"stored {getattr(exam, name)!r}, logged {logged.get(name)!r}, "
                              f"re-scored {value!r}", row=exam.id, field=name, entry=where)
        yield from _follow_up(spot, exam, logged, expected["passed"], where)


def _follow_up(spot: Spot, exam: SpotExam, logged: dict[str, Any], passed: bool, where: Any) -> Iterator[Finding]:
    """A fail's re-training (required until a spot.retraining.recorded entry) and the linked certificate."""
    recorded = _entry(spot, "spot.retraining.recorded", exam)
    expected = None if passed else (Retraining.DONE if recorded is not None else Retraining.REQUIRED)
    if exam.retraining != expected or logged.get("retraining") != (None if passed else Retraining.REQUIRED):
        yield Finding("results", "spot_exam", f"stored re-training {exam.retraining!r}, the log gives {expected!r}",
                      row=exam.id, field="retraining", entry=where)
    note = details(recorded).get("note_digest") if recorded is not None else None
    stored_note = None if exam.retraining_note is None else hashlib.sha256(exam.retraining_note.encode()).hexdigest()
    if stored_note != note:
        yield Finding("results", "spot_exam", "the stored re-training note is not the one the log recorded",
                      row=exam.id, field="retraining_note", entry=(recorded or {}).get("index", where))
    certificate = None if exam.certificate_id is None else spot.db_session.get(Certificate, exam.certificate_id)
    if (None if certificate is None else certificate.number) != logged.get("certificate"):
        yield Finding("results", "spot_exam", "the linked certificate is not the one the log linked",
                      row=exam.id, field="certificate_id", entry=where)
