"""``examsvc audit verify-results SITTING``: every answer sheet and result, recomputed and checked
against the log and the signed manifests. A direct database edit of an answer, a sheet, a score or a
manifest is caught and named. (The log itself is checked by ``examsvc audit verify``.)
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.attempts import content
from examsvc.attempts.models import Answer, AnswerSheet, Attempt, AttemptStatus
from examsvc.attempts.sheet import sealed_bytes, sheet_document
from examsvc.blueprints import service as blueprints
from examsvc.candidates.models import Registration
from examsvc.crypto.canonical_json import canonical_json
from examsvc.crypto.envelope import EnvelopeError, KeyProvider
from examsvc.crypto.signed_note import Verifier
from examsvc.papers.models import Paper, PaperSet
from examsvc.practical.verify import verify_practical_results
from examsvc.results import service
from examsvc.results.manifest_check import ResultsMismatch, ResultsVerification, log_details, verify_manifests
from examsvc.results.models import Result
from examsvc.results.service import Adjustment, first_document, reviewed_document
from examsvc.sittings.service import get as get_sitting
from examsvc.sittings.service import theory_rule


def verify_results(*, db_session: Session, code: str, service_key: Verifier, keys: KeyProvider) -> ResultsVerification:
    # A verifier reads the database as it stands, never rows this session loaded (and kept) earlier.
    db_session.expire_all()
    sitting = get_sitting(db_session=db_session, code=code)
    if sitting.practical_rule_id is not None:
        return verify_practical_results(db_session=db_session, sitting=sitting, service_key=service_key)
    submitted: dict[str, dict[str, Any]] = {}
    reviewed: dict[str, dict[str, Any]] = {}
    roots: dict[int, str] = {}
    for action, details in log_details(db_session, sitting.id):
        if action == "attempt.submitted":
            submitted[details["admission_number"]] = details
        elif action == "results.reviewed":
            reviewed[details["result"]] = details
            roots[details["manifest_version"]] = details["merkle_root"]
        elif action == "results.published":
            roots[details["manifest_version"]] = details["merkle_root"]
    blueprint = theory_rule(db_session, sitting)
    rule = blueprints.rule_of(blueprint)
    rows = db_session.execute(select(Attempt, Registration).join(
        Registration, Registration.id == Attempt.registration_id).where(
        Attempt.sitting_id == sitting.id, Attempt.status != AttemptStatus.IN_PROGRESS)
        .order_by(Registration.admission_number)).all()
    checked_results: list[Result] = []
    for attempt, registration in rows:
        checked_results += _verify_attempt(db_session, attempt, registration, rule=rule, keys=keys,
                                           logged=submitted.get(registration.admission_number), reviewed=reviewed)
    stored = {result.digest for result in checked_results}
    for digest, details in reviewed.items():
        if digest not in stored:
            raise ResultsMismatch(f"{details.get('admission_number', 'a candidate')}: the log records a review (复核) "
                                  "whose result is not stored (deleted)", table="result")
    manifests = service.manifests(db_session, sitting.id)
    verify_manifests(db_session, sitting, rule_digest=blueprint.digest, manifests=manifests, results=checked_results,
                     numbers={registration.id: registration.admission_number for _, registration in rows},
                     roots=roots, service_key=service_key)
    return ResultsVerification(sheets=len(rows), results=len(checked_results), manifests=len(manifests))


def _verify_attempt(db_session: Session, attempt: Attempt, registration: Registration, *, rule: Any,
                    keys: KeyProvider, logged: dict[str, Any] | None,
                    reviewed: dict[str, dict[str, Any]]) -> list[Result]:
    number = registration.admission_number
    sheet = db_session.get(AnswerSheet, attempt.id)
    if sheet is None or logged is None:
        raise ResultsMismatch(f"{number}: the attempt ended but its sealed sheet or its log entry is missing",
                              table="answer_sheet", row=attempt.id)
    paper = db_session.get(Paper, attempt.paper_id)
    paper_set = db_session.get(PaperSet, paper.paper_set_id) if paper is not None else None
    if paper is None or paper_set is None or paper.candidate != number:
        raise ResultsMismatch(f"{number}: the paper the attempt was answered on is missing or no longer this "
                              "candidate's", table="paper", row=attempt.paper_id)
    if attempt.submitted_at is None or attempt.submitted_how is None:
        raise ResultsMismatch(f"{number}: the attempt ended but has no submission time or way", table="attempt",
                              row=attempt.id)
    answers = db_session.scalars(select(Answer).where(Answer.attempt_id == attempt.id))
    rebuilt, _ = sealed_bytes(sheet_document(
        sitting=paper_set.sitting_code, candidate=number, paper_digest=paper.digest, attempt=attempt,
        ended_at=attempt.submitted_at, how=attempt.submitted_how, answers=answers))
    if rebuilt != sheet.document.encode():
        raise ResultsMismatch(f"{number}: the stored answers or timings no longer match the sealed answer sheet",
                              table="answer", row=f"attempt {attempt.id}")
    if hashlib.sha256(sheet.document.encode()).hexdigest() != sheet.digest or sheet.digest != logged["answer_sheet"]:
        raise ResultsMismatch(f"{number}: the answer sheet does not match its digest in the log", table="answer_sheet",
                              row=attempt.id)
    versions = list(db_session.scalars(select(Result).where(Result.registration_id == registration.id)
                                       .order_by(Result.version)))
    if not versions or [r.version for r in versions] != list(range(1, len(versions) + 1)):
        raise ResultsMismatch(f"{number}: result versions are missing or out of order", table="result",
                              row=f"registration {registration.id}")
    sheet_data = json.loads(sheet.document)
    try:
        lines = content.open_paper(db_session, paper, paper_set, keys).lines()
    except EnvelopeError:
        raise ResultsMismatch(f"{number}: the sealed paper does not open (altered, or moved to another "
                              "candidate)", table="paper", row=paper.id) from None
    expected = first_document(sitting=paper_set.sitting_code, registration=registration, lines=lines,
                              sheet=sheet_data, sheet_digest=sheet.digest, paper_digest=paper.digest, rule=rule)
    previous: Result | None = None
    for result in versions:
        where = f"{number}: result version {result.version}"
        if previous is not None:
            entry = reviewed.get(result.digest)
            if entry is None:
                raise ResultsMismatch(f"{where}: no review (复核) in the log produced it", table="result",
                                      row=result.id)
            review = json.loads(result.document).get("review")
            if not isinstance(review, dict):
                raise ResultsMismatch(f"{where}: a later version that is not a review", table="result", row=result.id)
            expected = reviewed_document(
                json.loads(previous.document), previous.digest, reason=entry["reason"], reviewer=review["reviewer"],
                adjustments=[Adjustment(a["position"], a["points"]) for a in review["adjustments"]],
                void=review["void"])
        data = canonical_json(expected)
        if data != result.document.encode():
            raise ResultsMismatch(f"{where}: the stored result is not what the sheet and the reviews give",
                                  table="result", row=result.id, field="document")
        digest = hashlib.sha256(data).hexdigest()
        if result.digest != digest or (result.version == 1 and logged.get("result") != digest):
            raise ResultsMismatch(f"{where}: the result does not match its digest in the log", table="result",
                                  row=result.id, field="digest")
        if (result.score, result.passed, result.void) != (expected["score"], expected["passed"], expected["void"]):
            raise ResultsMismatch(f"{where}: the stored score or pass mark differs from the sealed result",
                                  table="result", row=result.id)
        previous = result
    return versions
