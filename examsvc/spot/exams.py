"""Taking a spot exam on the officer's device (docs/spot-exams.md).

The same engine as a sitting's attempt: the paper is assembled by ``papers.assembly`` from a seed
(``draw.paper_seed``) and written as a paper document; responses are checked against the paper's shape
and folded into per-question save chains; the answer sheet and the result are the sitting's documents
(``attempts.sheet``, ``results.scoring``), with the inspection's code as the sitting and the person's
salted digest as the candidate. The clock is the server's (``attempts.clock``).

Signal at a mine site may come and go. The paper is fetched when the exam starts (on line), the device
keeps every change and sends it when the link is back. A save that arrives after the deadline is taken
only if the device says it was made before the deadline (``made_remaining_ms`` > 0, the remaining time
its monotonic clock showed) and it arrives within ``OFFLINE_SYNC`` of the deadline; the journal keeps
that claim. Anything else after the deadline is refused.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.attempts import clock, content
from examsvc.attempts.content import BankQuestion
from examsvc.attempts.service import normalise_response
from examsvc.attempts.sheet import sealed_bytes, sheet_document
from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.banks.document import PERSON_KIND_LABELS, Industry, PersonKind
from examsvc.blueprints import service as blueprints
from examsvc.blueprints.document import Blueprint
from examsvc.blueprints.models import BlueprintVersion
from examsvc.candidates.models import Candidate
from examsvc.certificates.models import Certificate, CertificateState
from examsvc.crypto import save_chain
from examsvc.crypto.canonical_json import canonical_json
from examsvc.crypto.envelope import KeyProvider
from examsvc.errors import Conflict, InvalidInput, NotFound
from examsvc.identity import service as identity
from examsvc.identity.models import AccessToken
from examsvc.identity.tokens import digest_secret
from examsvc.papers.assembly import assemble, prepare
from examsvc.papers.document import paper_document
from examsvc.results.scoring import result_document, score
from examsvc.spot import draw as drawing
from examsvc.spot import inspections
from examsvc.spot.models import (
    Inspection,
    InspectionStatus,
    Retraining,
    SpotAnswer,
    SpotAnswerSave,
    SpotExam,
    SpotExamStatus,
    SpotPerson,
)

OFFLINE_SYNC = timedelta(hours=12)
logger = logging.getLogger("examsvc.spot")


def paper_binding(inspection: Inspection, person: str, digest: str) -> bytes:
    return f"spot-paper\n{inspection.code}\n{person}\n{digest}\n".encode()


@dataclass(frozen=True)
class Taken:
    """A running or finished spot exam with what its page shows."""

    exam: SpotExam
    person: SpotPerson
    inspection: Inspection
    items: list[dict[str, Any]]
    answers: list[SpotAnswer]
    show_score: bool = True  # the rule's: whether the person sees their score on the device


def _rule(db_session: Session, exam: SpotExam) -> tuple[BlueprintVersion, Blueprint]:
    row = db_session.get(BlueprintVersion, exam.blueprint_version_id)
    assert row is not None
    return row, blueprints.rule_of(row)


def paper_items(db_session: Session, inspection: Inspection, person: SpotPerson, rule_row: BlueprintVersion,
                seed: bytes) -> tuple[bytes, str]:
    """The person's paper document (RFC 8785) and its digest: a pure function of the seed, the rule and the
    banks, re-derived by ``examsvc audit verify-spot`` once the seed is revealed."""
    questions, bank_digests = blueprints.pool(db_session, rule_row)
    rule = blueprints.rule_of(rule_row)
    items = assemble(prepare(rule, questions), drawing.paper_seed(seed, person.person_digest), frozenset())
    document = paper_document(blueprint_digest=rule_row.digest, bank_digests=bank_digests, sitting=inspection.code,
                              candidate=person.person_digest, items=items, total_points=rule.total_points, seen=())
    return document, hashlib.sha256(document).hexdigest()


def _bank(db_session: Session, rule_row: BlueprintVersion) -> dict[tuple[str, str], BankQuestion]:
    return content.questions(db_session, rule_row.id)


def open_document(exam: SpotExam, inspection: Inspection, person: SpotPerson, keys: KeyProvider) -> dict[str, Any]:
    data = keys.unwrap(bytes(exam.paper_sealed), paper_binding(inspection, person.person_digest, exam.paper_digest))
    parsed: dict[str, Any] = json.loads(data)
    return parsed


def _certificate_of(db_session: Session, id_number: str) -> Certificate | None:
    """The person's newest valid examsvc certificate, if any: a spot exam is linked to it."""
    return db_session.scalars(
        select(Certificate).join(Candidate, Candidate.id == Certificate.candidate_id)
        .where(Candidate.id_number == id_number, Certificate.state == CertificateState.ACTIVE)
        .order_by(Certificate.expires_on.desc(), Certificate.id.desc())).first()


def start(*, db_session: Session, inspection_id: int, person_id: int, blueprint_id: int | None, actor: Actor,
          token_secret: str, keys: KeyProvider, now: datetime) -> Taken:
    """Makes the person's paper, starts the server's clock and hands the device over: the officer's token
    answers this exam's routes only, until the officer's password unlocks it (``unlock``)."""
    inspection = inspections.get(db_session, inspection_id, lock=True)
    inspections.require_officer(inspection, actor)
    if inspection.status != InspectionStatus.DRAWN:
        raise Conflict("本次检查尚未抽取或已归档，不能开始抽考。", code="inspection_not_running",
                       detail={"status": inspection.status})
    person = db_session.get(SpotPerson, person_id)
    if person is None or person.inspection_id != inspection.id:
        raise NotFound("受检人员不存在。", code="person_not_found", detail={"person_id": person_id})
    if person.draw_order is None and not person.manual:
        raise Conflict("该人员未被抽中；如需考核请先“手工添加”并说明理由。", code="person_not_drawn")
    existing = db_session.scalars(select(SpotExam).where(SpotExam.person_id == person.id)).first()
    if existing is not None:
        return _hand_over_again(db_session, existing, inspection, person, actor=actor, token_secret=token_secret,
                                keys=keys, now=now)
    rule_row = inspections.spot_rule(db_session, blueprint_id or inspection.blueprint_version_id,
                                     Industry(inspection.industry))
    rule = blueprints.rule_of(rule_row)
    if rule_row.id != inspection.blueprint_version_id:
        _require_rule_for(rule, person)
    document, digest = paper_items(db_session, inspection, person, rule_row, inspections.seed_of(inspection, keys))
    opened = json.loads(document)
    exam = SpotExam(inspection_id=inspection.id, person_id=person.id, paper_digest=digest,
                    paper_sealed=keys.wrap(document, paper_binding(inspection, person.person_digest, digest)),
                    item_count=len(opened["items"]),
                    blueprint_version_id=rule_row.id, shape=content.paper_shape(opened),
                    total_points=rule.total_points, pass_mark=rule.pass_mark, started_at=now,
                    duration_seconds=rule.duration_minutes * 60, started_by=actor.user_id,
                    status=SpotExamStatus.IN_PROGRESS)
    db_session.add(exam)
    db_session.flush()
    token = identity.live_token(db_session=db_session, secret=token_secret)
    token.locked_spot_exam_id = exam.id
    audit.record(db_session=db_session, actor=actor, action="spot.exam.started", subject_type="spot_exam",
                 subject_id=exam.id, details={
                     "inspection": inspection.code, "person": person.person_digest, "manual": person.manual,
                     "blueprint_digest": rule_row.digest, "paper_digest": digest,
                     "started_at": audit.rfc3339(now), "duration_seconds": exam.duration_seconds})
    return Taken(exam, person, inspection, content.for_candidate(opened, _bank(db_session, rule_row)), [],
                 rule.show_score)


def _require_rule_for(rule: Blueprint, person: SpotPerson) -> None:
    """Another rule than the inspection's is for a person of another kind, not an easier paper of the officer's
    choosing: it must list the person's recorded kind."""
    if person.kind is None or PersonKind(person.kind) not in rule.person_kinds:
        kinds = "、".join(PERSON_KIND_LABELS[k] for k in rule.person_kinds)
        shown = "未登记" if person.kind is None else PERSON_KIND_LABELS[PersonKind(person.kind)]
        raise InvalidInput(f"所选抽考规则适用于“{kinds}”，与该人员的类别（{shown}）不符；"
                           "未登记类别的人员使用本次检查的抽考规则。", code="rule_not_for_person",
                           detail={"field": "blueprint_id", "person_id": person.id})


def _hand_over_again(db_session: Session, exam: SpotExam, inspection: Inspection, person: SpotPerson, *,
                     actor: Actor, token_secret: str, keys: KeyProvider, now: datetime) -> Taken:
    """The same exam, its clock still running (an officer who unlocked the device before the person had
    finished): never a second attempt, and never once its time is up or it is submitted."""
    if exam.status != SpotExamStatus.IN_PROGRESS:
        raise Conflict("该人员在本次检查中已参加过抽考，不能再次作答。", code="spot_exam_taken",
                       detail={"person_id": person.id})
    if now > clock.deadline(exam):
        raise Conflict("该人员的作答时间已到（以服务器时间为准），不能再交回作答；答卷按服务器收到的答案封存。",
                       code="time_up", detail={"person_id": person.id,
                                               "deadline": audit.rfc3339(clock.deadline(exam))})
    # Never on two devices at once: while another live login is still locked to it, the person may still hold
    # that device, and a second one would let someone else answer too.
    elsewhere = db_session.scalars(select(AccessToken.id).where(
        AccessToken.locked_spot_exam_id == exam.id, AccessToken.revoked_at.is_(None), AccessToken.expires_at > now,
        AccessToken.token_digest != digest_secret(token_secret))).first()
    if elsewhere is not None:
        raise Conflict("该人员的抽考仍锁定在另一台设备上作答；请在那台设备上继续，"
                       "或先在那台设备上输入执法人员密码解锁。", code="exam_on_another_device",
                       detail={"person_id": person.id})
    token = identity.live_token(db_session=db_session, secret=token_secret)
    token.locked_spot_exam_id = exam.id
    audit.record(db_session=db_session, actor=actor, action="spot.exam.handed_over_again", subject_type="spot_exam",
                 subject_id=exam.id, details={"inspection": inspection.code, "person": person.person_digest})
    return taken(db_session, exam, keys)


def _shapes(exam: SpotExam) -> list[str]:
    return exam.shape.split(",")


def handed_over(db_session: Session, token: AccessToken, *, lock: bool = False) -> SpotExam:
    if token.locked_spot_exam_id is None:
        raise Conflict("本设备当前没有交给受检人员作答的抽考。", code="not_handed_over")
    statement = select(SpotExam).where(SpotExam.id == token.locked_spot_exam_id)
    exam = db_session.scalars(statement.with_for_update() if lock else statement).one()
    return exam


def taken(db_session: Session, exam: SpotExam, keys: KeyProvider) -> Taken:
    person = db_session.get(SpotPerson, exam.person_id)
    inspection = db_session.get(Inspection, exam.inspection_id)
    assert person is not None and inspection is not None
    rule_row, rule = _rule(db_session, exam)
    document = open_document(exam, inspection, person, keys)
    answers = list(db_session.scalars(select(SpotAnswer).where(SpotAnswer.spot_exam_id == exam.id)
                                      .order_by(SpotAnswer.position)))
    return Taken(exam, person, inspection, content.for_candidate(document, _bank(db_session, rule_row)), answers,
                 rule.show_score)


@dataclass(frozen=True)
class Saved:
    exam: SpotExam
    answer: SpotAnswer
    accepted: bool


def _kept_in_time(exam: SpotExam, now: datetime, made_remaining_ms: int | None) -> bool:
    """A save or submission the device kept off line: made before the deadline by its own clock, and arriving
    within the sync window (the module's docstring)."""
    return (made_remaining_ms is not None and 0 < made_remaining_ms <= exam.duration_seconds * 1000
            and now <= clock.deadline(exam) + OFFLINE_SYNC)


def _require_taking(exam: SpotExam, now: datetime, grace_seconds: int, made_remaining_ms: int | None) -> None:
    if exam.status != SpotExamStatus.IN_PROGRESS:
        raise Conflict("已交卷，答案不能再修改。", code="attempt_submitted")
    if clock.accepts_saves(exam, now, grace_seconds) or _kept_in_time(exam, now, made_remaining_ms):
        return
    deadline = clock.deadline(exam)
    raise Conflict("作答时间已到（以服务器时间为准）：截止之后作出的答案不予接收。", code="time_up",
                   detail={"deadline": audit.rfc3339(deadline)})


def save(*, db_session: Session, token: AccessToken, position: int, response: str, seq: int, flagged: bool,
         made_remaining_ms: int | None, now: datetime, grace_seconds: int) -> Saved:
    exam = handed_over(db_session, token, lock=True)
    _require_taking(exam, now, grace_seconds, made_remaining_ms)
    shapes = _shapes(exam)
    if not 0 <= position < len(shapes):
        raise InvalidInput("试题序号超出范围。", code="bad_position",
                           detail={"position": position, "field": "position", "items": len(shapes)})
    if seq < 1:
        raise InvalidInput("序号必须为正整数。", code="bad_seq", detail={"field": "seq"})
    value = normalise_response(shapes[position], position, response)
    stored = db_session.get(SpotAnswer, (exam.id, position))
    if stored is not None and stored.seq >= seq:  # a stale or repeated save changes nothing
        return Saved(exam, stored, stored.seq == seq)
    canonical = save_chain.canonical_save(position=position, seq=seq, response=value, flagged=flagged, saved_at=now)
    chain = save_chain.advance(stored.chain if stored is not None else "", canonical)
    if stored is None:
        stored = SpotAnswer(spot_exam_id=exam.id, position=position)
        db_session.add(stored)
    stored.response, stored.flagged, stored.seq, stored.saved_at, stored.chain = value, flagged, seq, now, chain
    db_session.add(SpotAnswerSave(spot_exam_id=exam.id, position=position, seq=seq, response=value, flagged=flagged,
                                  saved_at=now, chain=chain, made_remaining_ms=made_remaining_ms))
    db_session.flush()
    return Saved(exam, stored, True)


def _ended_at(exam: SpotExam, now: datetime, grace_seconds: int, made_remaining_ms: int | None) -> tuple[datetime, str]:
    deadline = clock.deadline(exam)
    if clock.accepts_saves(exam, now, grace_seconds):
        return min(now, deadline), "candidate"
    if _kept_in_time(exam, now, made_remaining_ms):
        assert made_remaining_ms is not None
        return deadline - timedelta(milliseconds=made_remaining_ms), "candidate"  # submitted off line
    return deadline, "deadline"


def seal(db_session: Session, exam: SpotExam, *, ended_at: datetime, how: str, actor: Actor,
         keys: KeyProvider) -> SpotExam:
    """Seals the answer sheet, scores it and archives the result (存档备查): both digests go to the log."""
    inspection = db_session.get(Inspection, exam.inspection_id)
    person = db_session.get(SpotPerson, exam.person_id)
    assert inspection is not None and person is not None
    rule_row, rule = _rule(db_session, exam)
    answers = list(db_session.scalars(select(SpotAnswer).where(SpotAnswer.spot_exam_id == exam.id)))
    sheet = sheet_document(sitting=inspection.code, candidate=person.person_digest, paper_digest=exam.paper_digest,
                           attempt=exam, ended_at=ended_at, how=how, answers=answers)
    sheet_bytes, sheet_digest = sealed_bytes(sheet)
    document = open_document(exam, inspection, person, keys)
    lines = content.paper_lines(document, _bank(db_session, rule_row))
    items = score(lines, {a.position: a.response for a in answers}, rule.multiple_choice_rule)
    result = result_document(sitting=inspection.code, candidate=person.person_digest, subject=rule.code,
                             paper_digest=exam.paper_digest, sheet_digest=sheet_digest, version=1, items=items,
                             total_points=rule.total_points, pass_mark=rule.pass_mark, void=False, review=None)
    result_bytes = canonical_json(result)
    certificate = _certificate_of(db_session, person.id_number)
    exam.status, exam.submitted_at, exam.submitted_how = SpotExamStatus.SUBMITTED, ended_at, how
    exam.sheet_document, exam.sheet_digest = sheet_bytes.decode(), sheet_digest
    exam.result_document, exam.result_digest = result_bytes.decode(), hashlib.sha256(result_bytes).hexdigest()
    exam.score, exam.passed = result["score"], result["passed"]
    exam.certificate_id = None if certificate is None else certificate.id
    exam.retraining = None if result["passed"] else Retraining.REQUIRED
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="spot.exam.archived", subject_type="spot_exam",
                 subject_id=exam.id, details={
                     "inspection": inspection.code, "person": person.person_digest, "paper_digest": exam.paper_digest,
                     "answer_sheet_digest": sheet_digest, "result_digest": exam.result_digest, "score": exam.score,
                     "passed": exam.passed, "how": how,
                     "certificate": None if certificate is None else certificate.number,
                     "retraining": exam.retraining})
    return exam


def submit(*, db_session: Session, token: AccessToken, actor: Actor, made_remaining_ms: int | None, now: datetime,
           grace_seconds: int, keys: KeyProvider) -> SpotExam:
    exam = handed_over(db_session, token, lock=True)
    if exam.status != SpotExamStatus.IN_PROGRESS:
        raise Conflict("已交卷，不能重复交卷。", code="attempt_submitted")
    ended_at, how = _ended_at(exam, now, grace_seconds, made_remaining_ms)
    return seal(db_session, exam, ended_at=ended_at, how=how, actor=actor, keys=keys)


def seal_due(db_session: Session, inspection: Inspection, *, now: datetime, actor: Actor, keys: KeyProvider,
             grace_seconds: int, closing: bool) -> int:
    """Seals the exams whose time is up: past the sync window, or (``closing``) past the deadline."""
    sealed = 0
    for exam in db_session.scalars(select(SpotExam).where(SpotExam.inspection_id == inspection.id,
                                                          SpotExam.status == SpotExamStatus.IN_PROGRESS)
                                   .with_for_update()):
        deadline = clock.deadline(exam)
        if now > deadline + OFFLINE_SYNC or (closing and not clock.accepts_saves(exam, now, grace_seconds)):
            seal(db_session, exam, ended_at=deadline, how="deadline", actor=actor, keys=keys)
            sealed += 1
    return sealed


def sweep(db_session: Session, *, now: datetime, keys: KeyProvider, actor: Actor) -> int:
    """Seals every spot exam whose sync window is over (the deadline sweep calls it): an exam nobody
    submitted does not stay open because its inspection was never archived."""
    sealed = 0
    for exam in list(db_session.scalars(select(SpotExam).where(SpotExam.status == SpotExamStatus.IN_PROGRESS,
                                                               SpotExam.started_at < now - OFFLINE_SYNC)
                                        .with_for_update())):
        deadline = clock.deadline(exam)
        if now <= deadline + OFFLINE_SYNC:
            continue
        # One broken row (a sealed paper that no longer opens, a rule gone) must not stop the others, nor the
        # sweep loop, which also ends the sittings' attempts: it is logged and left for verify-spot to name.
        # seal() logs its audit entry last, so a failure leaves no entry behind the rolled-back savepoint.
        try:
            with db_session.begin_nested():
                seal(db_session, exam, ended_at=deadline, how="deadline", actor=actor, keys=keys)
        except Exception as exc:  # whatever broke this exam, the sweep goes on
            logger.warning("spot exam could not be sealed at its deadline",
                           extra={"spot_exam_id": exam.id, "exception_type": type(exc).__name__})
            continue
        sealed += 1
    return sealed


def unlock(*, db_session: Session, token_secret: str, password: str, actor: Actor,
           policy: identity.LoginPolicy) -> AccessToken:
    """The officer takes the device back: their own password, checked like a login."""
    token = identity.live_token(db_session=db_session, secret=token_secret)
    if token.locked_spot_exam_id is None:
        raise Conflict("本设备没有处于交接锁定状态。", code="not_handed_over")
    exam_id = token.locked_spot_exam_id
    identity.check_password(db_session=db_session, user=token.user, password=password, actor=actor, policy=policy,
                            field="password", message="执法人员密码不正确，设备仍保持锁定。", code="wrong_password")
    token = identity.live_token(db_session=db_session, secret=token_secret)
    token.locked_spot_exam_id = None
    audit.record(db_session=db_session, actor=actor, action="spot.device.unlocked", subject_type="spot_exam",
                 subject_id=exam_id, details={})
    return token


def close(*, db_session: Session, inspection_id: int, actor: Actor, keys: KeyProvider, now: datetime,
          grace_seconds: int) -> Inspection:
    """Archives the inspection: exams past their deadline are sealed with what reached the server, and the
    seed is revealed in the log so that anyone may re-derive the draw and the papers."""
    inspection = inspections.get(db_session, inspection_id, lock=True)
    inspections.require_officer(inspection, actor)
    # An inspection not yet drawn may be archived too, as abandoned (a wrong count or rule, no second officer):
    # otherwise it would keep its enterprise from ever being inspected again (one open inspection each).
    # Nobody has been drawn, so revealing its seed helps no later draw, which has a seed of its own.
    if inspection.status not in (InspectionStatus.OPEN, InspectionStatus.DRAWN):
        raise Conflict("本次检查已归档。", code="inspection_not_running", detail={"status": inspection.status})
    was_drawn = inspection.status == InspectionStatus.DRAWN
    seal_due(db_session, inspection, now=now, actor=actor, keys=keys, grace_seconds=grace_seconds, closing=True)
    running = db_session.scalars(select(SpotExam.id).where(SpotExam.inspection_id == inspection.id,
                                                           SpotExam.status == SpotExamStatus.IN_PROGRESS)).all()
    if running:
        raise Conflict("仍有受检人员正在作答，请待其交卷或时间截止后再归档。", code="exams_running",
                       detail={"spot_exam_ids": list(running)})
    # Only a live lock holds the archive back: an expired or revoked login can never be unlocked (a phone that
    # died while handed over), and its device no longer reaches anything (identity.live_token).
    locked = db_session.scalars(select(AccessToken.id).join(SpotExam, SpotExam.id == AccessToken.locked_spot_exam_id)
                                .where(SpotExam.inspection_id == inspection.id, AccessToken.revoked_at.is_(None),
                                       AccessToken.expires_at > now)).all()
    if locked:
        raise Conflict("仍有设备处于交接锁定状态，请执法人员先输入密码解锁。", code="device_still_locked")
    exams = list(db_session.scalars(select(SpotExam).where(SpotExam.inspection_id == inspection.id)))
    examined = {e.person_id for e in exams}
    absent = [p.person_digest for p in inspections.examinees(db_session, inspection.id) if p.id not in examined]
    seed = inspections.seed_of(inspection, keys)
    inspection.revealed_seed = seed.hex()
    inspection.status = InspectionStatus.CLOSED
    inspection.closed_at = now
    audit.record(db_session=db_session, actor=actor, action="spot.inspection.closed", subject_type="spot_inspection",
                 subject_id=inspection.id, details={
                     "code": inspection.code, "seed": seed.hex(), "seed_commitment": inspection.seed_commitment,
                     "exams": len(exams), "passed": sum(1 for e in exams if e.passed),
                     "failed": sum(1 for e in exams if e.passed is False), "absent": absent,
                     "drawn": was_drawn})
    return inspection


def require_exam_of(db_session: Session, exam_id: int, *, lock: bool = False) -> SpotExam:
    exam = db_session.get(SpotExam, exam_id, with_for_update=lock)
    if exam is None:
        raise NotFound("抽考记录不存在。", code="spot_exam_not_found", detail={"spot_exam_id": exam_id})
    return exam


def record_retraining(*, db_session: Session, exam_id: int, note: str, actor: Actor) -> SpotExam:
    """The employer's re-training after a fail is recorded (by an officer of the inspection)."""
    # Locked: two officers recording at once would both see "required", and both be logged.
    exam = require_exam_of(db_session, exam_id, lock=True)
    inspection = inspections.get(db_session, exam.inspection_id)
    inspections.require_officer(inspection, actor)
    if exam.retraining != Retraining.REQUIRED:
        raise Conflict("该抽考无需或已登记重新培训。", code="no_retraining_due")
    text = note.strip()
    if not text or len(text) > 300:
        raise InvalidInput("请填写培训情况（1–300 字）。", code="bad_note", detail={"field": "note"})
    exam.retraining, exam.retraining_note = Retraining.DONE, text
    audit.record(db_session=db_session, actor=actor, action="spot.retraining.recorded", subject_type="spot_exam",
                 subject_id=exam.id, details={"inspection": inspection.code,
                                              "note_digest": hashlib.sha256(text.encode()).hexdigest()})
    return exam
