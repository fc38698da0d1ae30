"""``examsvc audit verify-results`` for a practical sitting: every draw, evaluator's sheet, chief
examiner's decision and result version recomputed and checked against the log and the signed
results manifests. A direct database edit of a draw, a sheet, a decision, a score or a manifest is
caught and named. (The log itself is checked by ``examsvc audit verify``.)

Steps, per candidate who drew:
1. the draws are the ones the log recorded;
2. each sheet hashes to its stored digest and to the one the log recorded, names the drawn item (and
   its digest in the bank), and its score is what its marks give under the rule;
3. each decision is the one the log recorded, over the sheets it names;
4. result version 1 is rebuilt from 1-3 exactly as ``practical.results.publish`` builds it; each later
   version from the one before and the review the log recorded (``practical.results.review``);
then every results manifest is checked over those results (``results.manifest_check``).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.candidates.models import Registration
from examsvc.crypto.canonical_json import canonical_json
from examsvc.crypto.signed_note import Verifier
from examsvc.practical import rules
from examsvc.practical import service as banks
from examsvc.practical.document import PracticalItem, Subject
from examsvc.practical.exam import decisions_of, draws_of, marks_of, subject_state
from examsvc.practical.models import PracticalDraw, PracticalMark, PracticalResult
from examsvc.practical.results import result_document
from examsvc.practical.rule import PracticalRule
from examsvc.practical.scoring import CriterionMark, subject_score
from examsvc.results.manifest_check import (
    ResultsMismatch,
    ResultsVerification,
    ResultVersion,
    log_details,
    verify_manifests,
)
from examsvc.results.service import manifests as manifests_of
from examsvc.sittings.models import Sitting


class _Log:
    """The sitting's log entries, keyed the way the checks look them up."""

    def __init__(self, db_session: Session, sitting_id: int) -> None:
        self.draws: dict[str, dict[str, str]] = {}
        self.sheets: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.decisions: dict[tuple[str, str], dict[str, Any]] = {}
        self.published: dict[str, Any] | None = None
        self.reviews: dict[str, dict[str, Any]] = {}
        self.roots: dict[int, str] = {}
        for action, details in log_details(db_session, sitting_id):
            number = details.get("admission_number", "")
            if action == "practical.drawn":
                self.draws[number] = details["items"]
            elif action == "practical.scored":
                self.sheets[(number, details["subject"])].add(details["sheet"])
            elif action == "practical.decided":
                self.decisions[(number, details["subject"])] = details
            elif action == "results.published":
                self.published = details
                self.roots[details["manifest_version"]] = details["merkle_root"]
            elif action == "results.reviewed":
                self.reviews[details["result"]] = details
                self.roots[details["manifest_version"]] = details["merkle_root"]


def verify_practical_results(*, db_session: Session, sitting: Sitting, service_key: Verifier) -> ResultsVerification:
    assert sitting.practical_rule_id is not None
    rule_row = rules.get(db_session=db_session, rule_id=sitting.practical_rule_id)
    rule = rules.rule_of(rule_row)
    items = {i.key: i for i in banks.document_of(db_session=db_session, version_id=rule_row.bank_version_id).items}
    log = _Log(db_session, sitting.id)
    drew = list(db_session.scalars(select(Registration).where(Registration.id.in_(
        select(PracticalDraw.registration_id).where(PracticalDraw.sitting_id == sitting.id)))
        .order_by(Registration.admission_number)))
    sheets = 0
    checked: list[ResultVersion] = []
    for registration in drew:
        subjects, count = _verify_scoring(db_session, sitting, registration, rule, items, log)
        sheets += count
        checked += _verify_versions(db_session, sitting, registration, rule, rule_row.digest, subjects, log)
    published = log.published["result_digests"] if log.published else []
    firsts = sorted((r for r in checked if r.version == 1), key=lambda r: r.registration_id)
    numbers = {r.id: r.admission_number for r in drew}
    if sorted(published) != sorted(r.digest for r in firsts):
        number = next((numbers[r.registration_id] for r in firsts if r.digest not in published), "")
        raise ResultsMismatch(f"{number or 'a candidate'}: result version 1 is not among the results the log "
                              "says were published")
    verify_manifests(db_session, sitting, rule_digest=rule_row.digest, manifests=manifests_of(db_session, sitting.id),
                     results=checked, numbers=numbers, roots=log.roots, service_key=service_key)
    return ResultsVerification(sheets=sheets, results=len(checked), manifests=len(manifests_of(db_session,
                                                                                               sitting.id)),
                               sheet_kind="evaluators' score sheets")


def _verify_scoring(db_session: Session, sitting: Sitting, registration: Registration, rule: PracticalRule,
                    items: dict[str, PracticalItem], log: _Log) -> tuple[dict[Subject, dict[str, Any]], int]:
    """Steps 1-3: the subjects of result version 1 as the sheets and decisions give them."""
    number = registration.admission_number
    draws = draws_of(db_session, registration.id)
    if {str(s): k for s, k in draws.items()} != log.draws.get(number):
        raise ResultsMismatch(f"{number}: the drawn items differ from the draw in the log")
    marks, decisions = marks_of(db_session, registration.id), decisions_of(db_session, registration.id)
    subjects: dict[Subject, dict[str, Any]] = {}
    count = 0
    for subject in Subject:
        where = f"{number} {subject}"
        for sheet in marks.get(subject, []):
            _verify_sheet(sheet, number, draws[subject], items, rule, log)
            count += 1
        decision = decisions.get(subject)
        if decision is not None:
            logged = log.decisions.get((number, str(subject)))
            if logged is None or (logged["score"], logged["veto_failed"], logged["reason"]) != (
                    decision.tenths, decision.veto_failed, decision.reason):
                raise ResultsMismatch(f"{where}: the chief examiner's decision differs from the one in the log")
            if logged["sheets"] != [s.digest for s in marks.get(subject, [])]:
                raise ResultsMismatch(f"{where}: the decision was made over other sheets than the stored ones")
        state = subject_state(rule, marks.get(subject, []), decision)
        if state.score is None:
            continue  # not scored: publishing refuses, so no result can exist (checked below)
        subjects[subject] = {"item": draws[subject], "score": state.score.tenths,
                             "veto_failed": state.score.veto_failed,
                             "sheets": [s.digest for s in marks.get(subject, [])],
                             "decision": None if decision is None else {"by": decision.decided_by,
                                                                        "reason": decision.reason}}
    return subjects, count


def _verify_sheet(sheet: PracticalMark, number: str, drawn: str, items: dict[str, PracticalItem], rule: PracticalRule,
                  log: _Log) -> None:
    where = f"{number} {sheet.subject}: evaluator {sheet.evaluator_id}'s sheet"
    data = sheet.document.encode()
    if hashlib.sha256(data).hexdigest() != sheet.digest or sheet.digest not in log.sheets[(number, sheet.subject)]:
        raise ResultsMismatch(f"{where} does not match its digest in the log")
    document = json.loads(data)
    item = items.get(document["item"])
    if document["item"] != drawn or item is None or document["item_digest"] != item.digest():
        raise ResultsMismatch(f"{where} is not for the item drawn")
    marks = [CriterionMark(m["code"], m["points"], m["veto_failed"]) for m in document["marks"]]
    score = subject_score(rule, item, marks)
    if (document["score"], document["veto_failed"]) != (score.tenths, score.veto_failed) or (
            sheet.tenths, sheet.veto_failed) != (score.tenths, score.veto_failed):
        raise ResultsMismatch(f"{where}: the stored score is not what its marks give")


def _verify_versions(db_session: Session, sitting: Sitting, registration: Registration, rule: PracticalRule,
                     rule_digest: str, subjects: dict[Subject, dict[str, Any]], log: _Log) -> list[PracticalResult]:
    """Step 4: each stored result version is exactly the one the sheets and the logged reviews give."""
    number = registration.admission_number
    versions = list(db_session.scalars(select(PracticalResult).where(
        PracticalResult.registration_id == registration.id).order_by(PracticalResult.version)))
    if [r.version for r in versions] != list(range(1, len(versions) + 1)):
        raise ResultsMismatch(f"{number}: result versions are missing or out of order")
    if versions and set(subjects) != set(Subject):
        raise ResultsMismatch(f"{number}: a result exists although a subject has no settled score")
    previous: PracticalResult | None = None
    expected: dict[str, Any] = {}
    for result in versions:
        where = f"{number}: result version {result.version}"
        if previous is None:
            expected = result_document(sitting=sitting.code, candidate=number, subject_code=registration.subject or "",
                                       rule=rule, rule_digest=rule_digest, version=1, subjects=subjects, review=None)
        else:
            entry = log.reviews.get(result.digest)
            review = json.loads(result.document).get("review")
            if entry is None or not isinstance(review, dict):
                raise ResultsMismatch(f"{where}: no review (复核) in the log produced it")
            before = json.loads(previous.document)
            changed = {Subject(k): dict(v) for k, v in before["subjects"].items()}
            for subject, value in review["scores"].items():
                changed[Subject(subject)]["score"] = value
            expected = result_document(
                sitting=sitting.code, candidate=number, subject_code=before["subject"], rule=rule,
                rule_digest=rule_digest, version=result.version, subjects=changed,
                review={"reason": entry["reason"], "reviewer": review["reviewer"], "previous": previous.digest,
                        "scores": review["scores"]})
        data = canonical_json(expected)
        if data != result.document.encode():
            raise ResultsMismatch(f"{where}: the stored result is not what the sheets and the reviews give")
        if result.digest != hashlib.sha256(data).hexdigest():
            raise ResultsMismatch(f"{where}: the result does not match its digest")
        if (result.score, result.passed, result.veto_failed) != (expected["score"], expected["passed"],
                                                                 expected["veto_failed"]):
            raise ResultsMismatch(f"{where}: the stored score or pass mark differs from the sealed result")
        previous = result
    return versions
