"""Practical results: sealed and published under a signed manifest exactly like theory results
(the same ``results_manifest`` table and note format, the rule's digest in place of the composition
rule's); corrections only by a logged review that adds a result version and a manifest version."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.candidates.models import Registration
from examsvc.crypto.canonical_json import canonical_json
from examsvc.crypto.signed_note import Signer
from examsvc.errors import Conflict, InvalidInput, NotFound
from examsvc.examiners import service as examiners
from examsvc.practical import rules
from examsvc.practical.document import Subject
from examsvc.practical.exam import decisions_of, draws_of, marks_of, subject_state
from examsvc.practical.models import PracticalDraw, PracticalResult
from examsvc.practical.rule import PracticalRule
from examsvc.practical.scoring import SubjectScore, outcome
from examsvc.results.models import ResultsManifest
from examsvc.results.service import manifests, sign_manifest
from examsvc.sittings.models import Sitting, SittingStatus
from examsvc.sittings.presence import require_chief_of
from examsvc.sittings.service import get as get_sitting

FORMAT = "examsvc-practical-result/1"


def result_document(*, sitting: str, candidate: str, subject_code: str, rule: PracticalRule, rule_digest: str,
                    version: int, subjects: Mapping[Subject, dict[str, Any]],
                    review: dict[str, Any] | None) -> dict[str, Any]:
    scores = {s: SubjectScore(v["score"], v["veto_failed"]) for s, v in subjects.items()}
    result = outcome(rule, scores)
    return {"format": FORMAT, "sitting": sitting, "candidate": candidate, "subject": subject_code,
            "rule": rule_digest, "version": version, "subjects": {str(s): v for s, v in sorted(subjects.items())},
            "score": result.total_tenths, "pass_mark": rule.pass_mark * 10, "veto_failed": result.veto_failed,
            "passed": result.passed, "review": review}


def _practical(db_session: Session, code: str) -> tuple[Sitting, PracticalRule, str]:
    sitting = get_sitting(db_session=db_session, code=code)
    if sitting.practical_rule_id is None:
        raise Conflict("这不是实际操作考试场次。", code="not_a_practical_sitting", detail={"sitting": code})
    row = rules.get(db_session=db_session, rule_id=sitting.practical_rule_id)
    return sitting, rules.rule_of(row), row.digest


def _store(db_session: Session, registration: Registration, document: dict[str, Any],
           created_by: int | None) -> PracticalResult:
    data = canonical_json(document)
    row = PracticalResult(sitting_id=registration.sitting_id, registration_id=registration.id,
                          version=document["version"], score=document["score"], passed=document["passed"],
                          veto_failed=document["veto_failed"], document=data.decode(),
                          digest=hashlib.sha256(data).hexdigest(), created_by=created_by)
    db_session.add(row)
    return row


def current(db_session: Session, sitting_id: int) -> list[tuple[Registration, PracticalResult]]:
    latest = (select(PracticalResult.registration_id, func.max(PracticalResult.version).label("version"))
              .where(PracticalResult.sitting_id == sitting_id).group_by(PracticalResult.registration_id).subquery())
    rows = db_session.execute(
        select(Registration, PracticalResult).join(PracticalResult, PracticalResult.registration_id == Registration.id)
        .join(latest, (latest.c.registration_id == PracticalResult.registration_id)
              & (latest.c.version == PracticalResult.version))
        .order_by(Registration.admission_number)).all()
    return [(registration, result) for registration, result in rows]


def _sign(db_session: Session, sitting: Sitting, rule_digest: str, version: int, service_signer: Signer,
          examiner_signer: Signer, actor: Actor) -> ResultsManifest:
    return sign_manifest(db_session, sitting, rule_digest=rule_digest, version=version,
                         digests=[r.digest for _, r in current(db_session, sitting.id)],
                         service_signer=service_signer, examiner_signer=examiner_signer, actor=actor)


def publish(*, db_session: Session, code: str, passphrase: str, service_signer: Signer,
            actor: Actor) -> ResultsManifest:
    """Every candidate who drew is scored (by the evaluators, or the chief examiner where they
    disagreed); their results are sealed and the chief examiner signs the manifest."""
    sitting, rule, rule_digest = _practical(db_session, code)
    require_chief_of(sitting, actor)
    if sitting.status != SittingStatus.CLOSED:
        raise Conflict("场次结束后才能发布成绩。", code="sitting_not_closed", detail={"sitting": code})
    if manifests(db_session, sitting.id):
        raise Conflict("本场次成绩已发布；更正只能通过复核。", code="results_published", detail={"sitting": code})
    drew = list(db_session.scalars(select(Registration).where(Registration.id.in_(
        select(PracticalDraw.registration_id).where(PracticalDraw.sitting_id == sitting.id)))
        .order_by(Registration.admission_number)))
    documents, waiting = [], []
    for registration in drew:
        sheets, decisions, items = (marks_of(db_session, registration.id), decisions_of(db_session, registration.id),
                                    draws_of(db_session, registration.id))
        subjects: dict[Subject, dict[str, Any]] = {}
        for subject in Subject:
            state = subject_state(rule, sheets.get(subject, []), decisions.get(subject))
            if state.score is None:
                waiting.append({"admission_number": registration.admission_number, "subject": str(subject),
                                "waiting_for": state.waiting_for})
                continue
            decision = decisions.get(subject)
            subjects[subject] = {"item": items[subject], "score": state.score.tenths,
                                 "veto_failed": state.score.veto_failed,
                                 "sheets": [s.digest for s in sheets.get(subject, [])],
                                 "decision": None if decision is None else {"by": decision.decided_by,
                                                                            "reason": decision.reason}}
        documents.append((registration, subjects))
    if waiting:
        raise Conflict("仍有科目未评分或待主考官裁定，不能发布成绩。", code="practical_scores_missing",
                       detail={"sitting": code, "waiting": waiting[:50]})
    assert actor.user_id is not None
    signer = examiners.unlock(db_session=db_session, user_id=actor.user_id, passphrase=passphrase)
    for registration, subjects in documents:
        _store(db_session, registration, result_document(
            sitting=code, candidate=registration.admission_number, subject_code=registration.subject or "",
            rule=rule, rule_digest=rule_digest, version=1, subjects=subjects, review=None), created_by=None)
    db_session.flush()
    manifest = _sign(db_session, sitting, rule_digest, 1, service_signer, signer, actor)
    audit.record(db_session=db_session, actor=actor, action="results.published", subject_type="sitting",
                 subject_id=sitting.id, details={"sitting": code, "manifest_version": 1, "kind": "practical",
                                                 "results": manifest.result_count, "merkle_root": manifest.merkle_root,
                                                 "result_digests": [r.digest for _, r in current(db_session,
                                                                                                  sitting.id)],
                                                 "examiner_key": signer.name})
    return manifest


def review(*, db_session: Session, code: str, admission_number: str, reason: str, scores: Mapping[Subject, int],
           passphrase: str, service_signer: Signer, actor: Actor) -> PracticalResult:
    """复核 by a chief examiner: subject scores replaced with a reason; a new result and manifest version."""
    sitting, rule, rule_digest = _practical(db_session, code)
    require_chief_of(sitting, actor)
    published = manifests(db_session, sitting.id)
    if not published:
        raise Conflict("成绩尚未发布，不能复核。", code="results_not_published", detail={"sitting": code})
    found = next(((r, res) for r, res in current(db_session, sitting.id) if r.admission_number == admission_number),
                 None)
    if found is None:
        raise NotFound("本场次没有该考生的成绩。", code="result_not_found",
                       detail={"admission_number": admission_number})
    registration, previous = found
    if not scores or any(not 0 <= v <= rule.weights[s] * 10 for s, v in scores.items()):
        raise InvalidInput("复核须给出至少一个科目的新分数，且不超过该科目权重。", code="bad_adjustment",
                           detail={"field": "scores"})
    assert actor.user_id is not None
    signer = examiners.unlock(db_session=db_session, user_id=actor.user_id, passphrase=passphrase)
    old = json.loads(previous.document)
    subjects = {Subject(k): dict(v) for k, v in old["subjects"].items()}
    for subject, value in scores.items():
        subjects[subject]["score"] = value
    result = _store(db_session, registration, result_document(
        sitting=code, candidate=admission_number, subject_code=old["subject"], rule=rule, rule_digest=rule_digest,
        version=previous.version + 1, subjects=subjects,
        review={"reason": reason, "reviewer": actor.user_id, "previous": previous.digest,
                "scores": {str(s): v for s, v in sorted(scores.items())}}), created_by=actor.user_id)
    db_session.flush()
    version = published[-1].version + 1
    manifest = _sign(db_session, sitting, rule_digest, version, service_signer, signer, actor)
    audit.record(db_session=db_session, actor=actor, action="results.reviewed", subject_type="sitting",
                 subject_id=sitting.id, details={
                     "sitting": code, "admission_number": admission_number, "reason": reason, "kind": "practical",
                     "result_version": result.version, "result": result.digest, "previous": previous.digest,
                     "manifest_version": version, "merkle_root": manifest.merkle_root, "examiner_key": signer.name})
    return result
