"""Results (成绩): computed at submission, published under a signed manifest, corrected only by review.

A sitting's results manifest is a C2SP signed note over the RFC 6962 root of its current result
digests (admission-number order), signed by the service and then by a chief examiner's own key.
Publishing makes version 1; every review (复核) adds a result version and a manifest version.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from examsvc.analytics.collect import collect_results
from examsvc.attempts import content
from examsvc.attempts.models import Attempt, AttemptStatus
from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.blueprints.document import Blueprint
from examsvc.candidates import binding
from examsvc.candidates.models import Registration
from examsvc.crypto.canonical_json import canonical_json
from examsvc.crypto.envelope import KeyProvider
from examsvc.crypto.signed_note import Signer, add_signature, sign_note
from examsvc.errors import Conflict, InvalidInput, NotFound
from examsvc.examiners import service as examiners
from examsvc.papers.models import Paper, PaperSet
from examsvc.results.models import Result, ResultsManifest
from examsvc.results.scoring import PaperLine, result_document, score
from examsvc.sittings.models import Sitting, SittingStatus
from examsvc.sittings.presence import require_chief_of
from examsvc.sittings.service import get as get_sitting
from examsvc.sittings.service import theory_rule
from examsvc.tlog.rfc6962 import leaf_hash, root_of

MANIFEST_HEADER = "examsvc results manifest"


def _store(db_session: Session, *, attempt_id: int, registration: Registration, document: dict[str, Any],
           created_by: int | None) -> Result:
    data = canonical_json(document)
    row = Result(sitting_id=registration.sitting_id, registration_id=registration.id, attempt_id=attempt_id,
                 version=document["version"], score=document["score"], passed=document["passed"],
                 void=document["void"], document=data.decode(), digest=hashlib.sha256(data).hexdigest(),
                 created_by=created_by)
    db_session.add(row)
    return row


def first_document(*, sitting: str, registration: Registration, lines: Sequence[PaperLine],
                   sheet: Mapping[str, Any], sheet_digest: str, paper_digest: str, rule: Blueprint) -> dict[str, Any]:
    """Version 1 of a result: the sheet scored against the paper (a pure function, re-run by verify)."""
    responses = {a["position"]: a["response"] for a in sheet["answers"]}
    return result_document(
        sitting=sitting, candidate=registration.admission_number,
        subject=registration.subject or registration.personnel_category or "", paper_digest=paper_digest,
        sheet_digest=sheet_digest, version=1, items=score(lines, responses, rule.multiple_choice_rule),
        total_points=rule.total_points, pass_mark=rule.pass_mark, void=sheet["how"] == "removed", review=None,
        person=_person(registration, sitting))


def _person(registration: Registration, sitting: str) -> str | None:
    bound = binding.of_registration(registration, sitting)
    return None if bound is None else str(bound["person"])


def first_result(db_session: Session, *, attempt: Attempt, registration: Registration, sitting: str,
                 lines: Sequence[PaperLine], sheet: Mapping[str, Any], sheet_digest: str, paper_digest: str,
                 rule: Blueprint) -> Result:
    document = first_document(sitting=sitting, registration=registration, lines=lines, sheet=sheet,
                              sheet_digest=sheet_digest, paper_digest=paper_digest, rule=rule)
    return _store(db_session, attempt_id=attempt.id, registration=registration, document=document, created_by=None)


def current_results(db_session: Session, sitting_id: int) -> list[tuple[Registration, Result]]:
    """The latest version of every result of the sitting, in admission-number order."""
    latest = (select(Result.registration_id, func.max(Result.version).label("version"))
              .where(Result.sitting_id == sitting_id).group_by(Result.registration_id).subquery())
    rows = db_session.execute(
        select(Registration, Result)
        .join(Result, Result.registration_id == Registration.id)
        .join(latest, (latest.c.registration_id == Result.registration_id) & (latest.c.version == Result.version))
        .order_by(Registration.admission_number)).all()
    return [(registration, result) for registration, result in rows]


def manifests(db_session: Session, sitting_id: int) -> list[ResultsManifest]:
    return list(db_session.scalars(select(ResultsManifest).where(ResultsManifest.sitting_id == sitting_id)
                                   .order_by(ResultsManifest.version)))


def manifest_text(sitting: Sitting, blueprint_digest: str, version: int, digests: Sequence[str]) -> str:
    root = root_of([leaf_hash(bytes.fromhex(d)) for d in digests])
    return "\n".join([MANIFEST_HEADER, f"sitting {sitting.code}", f"version {version}",
                      f"blueprint {blueprint_digest}", f"results {len(digests)}",
                      f"root {base64.b64encode(root).decode()}"]) + "\n"


def sign_manifest(db_session: Session, sitting: Sitting, *, rule_digest: str, version: int, digests: Sequence[str],
                  service_signer: Signer, examiner_signer: Signer, actor: Actor) -> ResultsManifest:
    """A results manifest over ``digests`` (admission-number order), theory or practical alike."""
    note = add_signature(sign_note(manifest_text(sitting, rule_digest, version, digests), service_signer),
                         examiner_signer)
    assert actor.user_id is not None
    row = ResultsManifest(sitting_id=sitting.id, version=version, result_count=len(digests),
                          merkle_root=root_of([leaf_hash(bytes.fromhex(d)) for d in digests]).hex(), note=note,
                          signed_by=actor.user_id)
    db_session.add(row)
    db_session.flush()
    return row


def _sign_manifest(db_session: Session, sitting: Sitting, *, version: int, service_signer: Signer,
                   examiner_signer: Signer, actor: Actor) -> ResultsManifest:
    return sign_manifest(db_session, sitting, rule_digest=theory_rule(db_session, sitting).digest, version=version,
                         digests=[result.digest for _, result in current_results(db_session, sitting.id)],
                         service_signer=service_signer, examiner_signer=examiner_signer, actor=actor)


def _require_no_open_attempts(db_session: Session, sitting: Sitting) -> None:
    running = list(db_session.scalars(select(Registration.admission_number).join(
        Attempt, Attempt.registration_id == Registration.id).where(
        Attempt.sitting_id == sitting.id, Attempt.status == AttemptStatus.IN_PROGRESS)))
    if running:
        raise Conflict("仍有考生未交卷。", code="attempts_in_progress",
                       detail={"sitting": sitting.code, "admission_numbers": running[:50]})


def publish(*, db_session: Session, code: str, passphrase: str, service_signer: Signer, keys: KeyProvider,
            actor: Actor) -> ResultsManifest:
    """The sitting's chief examiner signs the results manifest: from now on the results are final, and
    item analysis collects them (``analytics.collect``, same transaction: ``keys`` opens the papers)."""
    sitting = get_sitting(db_session=db_session, code=code)
    require_chief_of(sitting, actor)
    if sitting.status != SittingStatus.CLOSED:
        raise Conflict("场次结束后才能发布成绩。", code="sitting_not_closed", detail={"sitting": code})
    if manifests(db_session, sitting.id):
        raise Conflict("本场次成绩已发布；更正只能通过复核。", code="results_published", detail={"sitting": code})
    _require_no_open_attempts(db_session, sitting)
    assert actor.user_id is not None
    signer = examiners.unlock(db_session=db_session, user_id=actor.user_id, passphrase=passphrase)
    manifest = _sign_manifest(db_session, sitting, version=1, service_signer=service_signer, examiner_signer=signer,
                              actor=actor)
    audit.record(db_session=db_session, actor=actor, action="results.published", subject_type="sitting",
                 subject_id=sitting.id, details={"sitting": code, "manifest_version": 1,
                                                 "results": manifest.result_count, "merkle_root": manifest.merkle_root,
                                                 "examiner_key": signer.name})
    collect_results(db_session, sitting=sitting, keys=keys,
                    current=[result for _, result in current_results(db_session, sitting.id)])
    return manifest


@dataclass(frozen=True)
class Adjustment:
    position: int
    points: int  # tenths of a point awarded after review


def reviewed_document(previous: Mapping[str, Any], previous_digest: str, *, adjustments: Sequence[Adjustment],
                      void: bool | None, reason: str, reviewer: int) -> dict[str, Any]:
    """The next version of a result: the previous one's items with the reviewed ones replaced."""
    items = list(previous["items"])
    for adjustment in adjustments:
        items[adjustment.position] = adjustment.points
    return result_document(
        sitting=previous["sitting"], candidate=previous["candidate"], subject=previous["subject"],
        paper_digest=previous["paper"], sheet_digest=previous["answer_sheet"], version=previous["version"] + 1,
        items=items, total_points=previous["total_points"], pass_mark=previous["pass_mark"],
        void=previous["void"] if void is None else void,
        review={"reason": reason, "reviewer": reviewer, "previous": previous_digest,
                "adjustments": [{"position": a.position, "points": a.points} for a in adjustments],
                "void": void},
        person=previous.get("person"))


def _paper_lines(db_session: Session, attempt_id: int, keys: KeyProvider) -> list[PaperLine]:
    attempt = db_session.get(Attempt, attempt_id)
    assert attempt is not None
    paper = db_session.get(Paper, attempt.paper_id)
    assert paper is not None
    paper_set = db_session.get(PaperSet, paper.paper_set_id)
    assert paper_set is not None
    return content.open_paper(db_session, paper, paper_set, keys).lines()


def review(*, db_session: Session, code: str, admission_number: str, reason: str, adjustments: Sequence[Adjustment],
           void: bool | None, passphrase: str, service_signer: Signer, keys: KeyProvider, actor: Actor) -> Result:
    """A 复核 by a chief examiner: a new result version and a new manifest, both logged with the reason."""
    sitting = get_sitting(db_session=db_session, code=code)
    require_chief_of(sitting, actor)
    published = manifests(db_session, sitting.id)
    if not published:
        raise Conflict("成绩尚未发布，不能复核。", code="results_not_published", detail={"sitting": code})
    found = next(((r, res) for r, res in current_results(db_session, sitting.id)
                  if r.admission_number == admission_number), None)
    if found is None:
        raise NotFound("本场次没有该考生的成绩。", code="result_not_found",
                       detail={"admission_number": admission_number})
    registration, previous = found
    if not adjustments and void is None:
        raise InvalidInput("复核须调整至少一题得分或更改作废状态。", code="empty_review",
                           detail={"field": "adjustments"})
    max_points = dict(enumerate(line.points for line in _paper_lines(db_session, previous.attempt_id, keys)))
    positions = [a.position for a in adjustments]
    for adjustment in adjustments:
        limit = max_points.get(adjustment.position)
        if limit is None or not 0 <= adjustment.points <= limit or positions.count(adjustment.position) > 1:
            raise InvalidInput("复核调整的题号或分值无效。", code="bad_adjustment",
                               detail={"field": "adjustments", "position": adjustment.position,
                                       "max_points": limit})
    assert actor.user_id is not None
    signer = examiners.unlock(db_session=db_session, user_id=actor.user_id, passphrase=passphrase)
    document = reviewed_document(json.loads(previous.document), previous.digest, adjustments=adjustments, void=void,
                                 reason=reason, reviewer=actor.user_id)
    result = _store(db_session, attempt_id=previous.attempt_id, registration=registration, document=document,
                    created_by=actor.user_id)
    db_session.flush()
    version = published[-1].version + 1
    manifest = _sign_manifest(db_session, sitting, version=version, service_signer=service_signer,
                              examiner_signer=signer, actor=actor)
    audit.record(db_session=db_session, actor=actor, action="results.reviewed", subject_type="sitting",
                 subject_id=sitting.id, details={
                     "sitting": code, "admission_number": admission_number, "reason": reason,
                     "result_version": result.version, "result": result.digest, "previous": previous.digest,
                     "manifest_version": version, "merkle_root": manifest.merkle_root,
                     "examiner_key": signer.name})
    collect_results(db_session, sitting=sitting, keys=keys, current=[result])
    return result
