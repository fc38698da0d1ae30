"""Issuing certificates and recording their lifecycle. Every event is one audit-log entry carrying the
digest of the certificate's signed form: a certificate the log does not contain is a forgery by definition
(as Certificate Transparency does for TLS). Names and ID numbers never reach the log."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.banks.document import PersonnelCategory
from examsvc.banks.models import BankVersion
from examsvc.banks.validate import OPERATION_ITEM
from examsvc.blueprints.models import BlueprintVersion
from examsvc.candidates.id_number import InvalidIdNumber, parse_id_number
from examsvc.candidates.models import Candidate, Registration
from examsvc.certificates import basis as bases
from examsvc.certificates import catalogue, numbering, rules
from examsvc.certificates.keys import CertificateKeyring
from examsvc.certificates.models import Certificate, CertificateEvent, CertificateSerial, CertificateState
from examsvc.certificates.signed_form import ID_SALT_BYTES, Claims, Kind, Signed, id_hash, seal
from examsvc.config import Settings
from examsvc.crypto.canonical_json import canonical_json
from examsvc.db import utcnow
from examsvc.errors import Conflict, Forbidden, InvalidInput, NotFound
from examsvc.identity.models import UserAccount
from examsvc.localtime import zone
from examsvc.sittings.models import Sitting, StaffAssignment

COMPETENCE_SUBJECTS = {PersonnelCategory.PRINCIPAL.value, PersonnelCategory.SAFETY_MANAGER.value}
MAX_REASON_CHARS = 500
ISSUE_RACE_MESSAGE = ("另一位发证人员同时在为同一资格发证，或同时领用了本年度的第一个证号；本次未发证、未占用证号。"
                      "请刷新后重试（已发的证书不会重复发放）。")


def kind_of(subject: str) -> Kind:
    return Kind.SAFETY_COMPETENCE if subject in COMPETENCE_SUBJECTS else Kind.SPECIAL_OPERATIONS


def today_in(settings: Settings, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(zone(settings.timezone)).date()


def end_of_day(day: date, settings: Settings) -> int:
    """The first second after ``day`` in the site's time zone: the CWT's exp (valid before it)."""
    return int(datetime.combine(day + timedelta(days=1), time(), tzinfo=zone(settings.timezone)).timestamp())


def _claims(certificate: Certificate, settings: Settings, issued_at: int, hashed_id: bytes) -> Claims:
    return Claims(issuer=settings.certificate_issuer, issued_at=issued_at,
                  expires_at=end_of_day(certificate.expires_on, settings), number=certificate.number,
                  sequence=certificate.sequence, kind=Kind(certificate.kind), item=certificate.item,
                  item_name=certificate.item_name, holder=certificate.holder_name,
                  id_salt=bytes.fromhex(certificate.id_salt), id_hash=hashed_id, review_due=certificate.review_due)


def _seal(certificate: Certificate, keyring: CertificateKeyring, settings: Settings, hashed_id: bytes) -> Signed:
    signed = seal(_claims(certificate, settings, int(datetime.now(UTC).timestamp()), hashed_id),
                  sign=keyring.sign, public_key=keyring.public_key)
    certificate.form_text, certificate.form_digest = signed.text, signed.digest
    return signed


def _reseal(db_session: Session, certificate: Certificate, keyring: CertificateKeyring, settings: Settings) -> None:
    person = db_session.get(Candidate, certificate.candidate_id)
    assert person is not None
    _seal(certificate, keyring, settings, id_hash(person.id_number, bytes.fromhex(certificate.id_salt)))


def _reason_digest(reason: str) -> str:
    return hashlib.sha256(reason.encode()).hexdigest()


def _record(db_session: Session, certificate: Certificate, actor: Actor, event: str, reason: str,
            keyring: CertificateKeyring, extra: dict[str, Any] | None = None) -> CertificateEvent:
    certificate.event_count += 1
    details: dict[str, Any] = {
        "number": certificate.number, "event_no": certificate.event_count, "sequence": certificate.sequence,
        "form_digest": certificate.form_digest, "key_id": keyring.key_id.hex(), "state": certificate.state,
        "expires_on": certificate.expires_on.isoformat(),
        "review_due": certificate.review_due.isoformat() if certificate.review_due else None,
        "reason_digest": _reason_digest(reason), **(extra or {}),
    }
    index = audit.record_now(db_session=db_session, actor=actor, action=f"certificate.{event}",
                             subject_type="certificate", subject_id=certificate.number, details=details)
    row = CertificateEvent(certificate=certificate, event_no=certificate.event_count, event=event, reason=reason,
                           sequence=certificate.sequence, form_digest=certificate.form_digest, log_index=index,
                           actor_id=actor.user_id, at=utcnow())
    db_session.add(row)
    return row


def _reserve_numbers(db_session: Session, settings: Settings, kind: Kind, year: int, count: int) -> list[str]:
    """``count`` numbers in one step of the counter (row-locked until the transaction ends)."""
    counter = db_session.get(CertificateSerial, (int(kind), year), with_for_update=True)
    if counter is None:
        counter = CertificateSerial(kind=int(kind), year=year, next_serial=1)
        db_session.add(counter)
    first = counter.next_serial
    counter.next_serial = first + count
    return [numbering.format_number(settings.certificate_number_format, kind, year, serial)
            for serial in range(first, first + count)]


def _item(db_session: Session, subject: str, sitting_id: int) -> tuple[str, str]:
    if kind_of(subject) is Kind.SPECIAL_OPERATIONS:
        return subject, catalogue.special_operation_name(subject)
    industry = db_session.scalars(
        select(BankVersion.industry).join(BlueprintVersion, BlueprintVersion.national_bank_version_id == BankVersion.id)
        .join(Sitting, Sitting.blueprint_version_id == BlueprintVersion.id).where(Sitting.id == sitting_id)).first()
    return catalogue.competence_item(subject, industry or "general")


class Issue:
    """One certificate to issue: who, in what, on which results."""

    def __init__(self, person: Candidate, subject: str, basis: bases.Basis) -> None:
        self.person, self.subject, self.basis = person, subject, basis
        self.salt = os.urandom(ID_SALT_BYTES)
        self.hashed_id = b""
        self.number = ""
        self.item = ("", "")
        self.sitting: Sitting | None = None

    def hash_id(self) -> None:
        self.hashed_id = id_hash(self.person.id_number, self.salt)


def candidates_bases(db_session: Session, candidate_ids: bases.Candidates, subject: str,
                     today: date) -> dict[int, list[bases.Basis]]:
    if kind_of(subject) is Kind.SPECIAL_OPERATIONS:
        return bases.special_operations(db_session, candidate_ids, subject)
    return bases.competence(db_session, candidate_ids, subject, today)


def uncertified(db_session: Session, found: Iterable[bases.Basis]) -> list[bases.Basis]:
    candidates = list(found)
    if not candidates:
        return []
    taken = set(db_session.scalars(select(Certificate.basis_key).where(
        Certificate.basis_key.in_([b.key for b in candidates]))))
    return [b for b in candidates if b.key not in taken]


def _prepare(db_session: Session, jobs: list[Issue], settings: Settings, today: date) -> None:
    """What every job needs from the database, in a few queries for the whole list: the sitting, the item,
    the numbers, the stretched ID digest."""
    places: dict[tuple[str, int], tuple[Sitting, tuple[str, str]]] = {}
    for job in jobs:
        place = (job.subject, job.basis.sitting_id)
        if place not in places:
            sitting = db_session.get(Sitting, job.basis.sitting_id)
            assert sitting is not None
            places[place] = (sitting, _item(db_session, job.subject, sitting.id))
        job.sitting, job.item = places[place]
    for kind in Kind:
        of_kind = [job for job in jobs if kind_of(job.subject) is kind]
        if of_kind:
            for job, number in zip(of_kind, _reserve_numbers(db_session, settings, kind, today.year, len(of_kind)),
                                   strict=True):
                job.number = number
    hash_ids([job for job in jobs if not job.hashed_id])


def _issue_one(db_session: Session, job: Issue, *, keyring: CertificateKeyring, settings: Settings, actor: Actor,
               today: date) -> Certificate:
    kind, sitting = kind_of(job.subject), job.sitting
    assert sitting is not None and job.number and job.hashed_id
    item, item_name = job.item
    expires, review_due = rules.first_dates(kind, today)
    certificate = Certificate(
        number=job.number, kind=int(kind), item=item, item_name=item_name,
        candidate_id=job.person.id, holder_name=job.person.name, employer=job.person.employer,
        site_id=sitting.site_id, sitting_id=sitting.id, basis=canonical_json(job.basis.as_json()).decode(),
        basis_key=job.basis.key, id_salt=job.salt.hex(), first_issued_on=today, expires_on=expires,
        review_due=review_due, review_interval_months=rules.REVIEW_MONTHS if review_due else None, sequence=1,
        state=CertificateState.ACTIVE, event_count=0)
    _seal(certificate, keyring, settings, job.hashed_id)
    db_session.add(certificate)
    _record(db_session, certificate, actor, "issued", "", keyring,
            {"kind": int(kind), "item": item, "sitting": sitting.code, "basis": job.basis.as_json(),
             "basis_key": job.basis.key, "issued_on": today.isoformat()})
    return certificate


def refuse_own_examinees(db_session: Session, user_id: int | None, sitting_ids: Iterable[int]) -> None:
    """考发分离: whoever was on a sitting's staff does not certify its results."""
    if user_id is None:
        return
    found = db_session.scalars(select(Sitting.code).join(StaffAssignment, StaffAssignment.sitting_id == Sitting.id)
                               .where(StaffAssignment.user_id == user_id,
                                      StaffAssignment.sitting_id.in_(list(sitting_ids)))).first()
    if found is not None:
        raise Forbidden(f"您是考试场次 {found} 的考务人员，不能为该场次的成绩发证（考发分离）。",
                        code="own_examinees")


def refuse_own_certificate(db_session: Session, user_id: int | None, candidate_ids: Iterable[int]) -> None:
    """考发分离 for oneself: an officer who is also a candidate neither certifies themselves nor acts on their own
    certificate (the staff account's ID number is the candidate's)."""
    if user_id is None:
        return
    own = select(UserAccount.id_number).where(UserAccount.id == user_id).scalar_subquery()
    if db_session.scalars(select(Candidate.id).where(Candidate.id.in_(list(candidate_ids)),
                                                     Candidate.id_number == own)).first() is not None:
        raise Forbidden("不能为本人发证或办理本人的证书业务（考发分离），请由其他发证人员办理。",
                        code="own_certificate")


def refuse_insider(db_session: Session, user_id: int | None, jobs: Iterable[Issue]) -> None:
    """Both rules over what ``jobs`` rest on: every sitting of every pass (a 特种作业操作证 rests on a theory
    sitting besides the practical one where it was earned), every holder."""
    listed = list(jobs)
    refuse_own_examinees(db_session, user_id, {p.sitting_id for job in listed for p in job.basis.passes})
    refuse_own_certificate(db_session, user_id, {job.person.id for job in listed})


def refuse_insider_on(db_session: Session, certificate: Certificate, actor: Actor) -> None:
    """考发分离 for the lifecycle: a review, renewal, revocation, reinstatement or replacement certifies (or
    uncertifies) as much as the issue did, so the staff of the sittings it rests on and the holder do neither."""
    codes = [rested["sitting"] for rested in json.loads(certificate.basis)]
    sitting_ids = db_session.scalars(select(Sitting.id).where(Sitting.code.in_(codes)))
    refuse_own_examinees(db_session, actor.user_id, [certificate.sitting_id, *sitting_ids])
    refuse_own_certificate(db_session, actor.user_id, [certificate.candidate_id])


def checked_id_number(value: str) -> str:
    """The holder's ID number as typed (GB 11643 form and check digit), or ``bad_id_number`` on its field."""
    try:
        return parse_id_number(value.strip()).value
    except InvalidIdNumber as exc:
        raise InvalidInput(str(exc), code="bad_id_number", detail={"field": "id_number"}) from None


def issue(db_session: Session, *, keyring: CertificateKeyring, settings: Settings, actor: Actor, id_number: str,
          subject: str, today: date | None = None) -> Certificate:
    """The certificate for the candidate's newest uncertified qualification in ``subject``."""
    today = today or today_in(settings)
    subject = checked_subject(subject)
    person = db_session.scalars(select(Candidate).where(Candidate.id_number == id_number)).first()
    if person is None:
        raise NotFound("没有该身份证号的考生。", code="candidate_not_found", detail={"field": "id_number"})
    found = candidates_bases(db_session, [person.id], subject, today).get(person.id, [])
    if not found:
        raise Conflict(_no_qualification_message(subject), code="not_qualified", detail={"field": "subject"})
    open_bases = uncertified(db_session, found)
    if not open_bases:
        raise Conflict("该资格已发证，不能重复发证（遗失请办理补证）。", code="already_certified",
                       detail={"field": "subject"})
    job = Issue(person, subject, open_bases[-1])
    refuse_insider(db_session, actor.user_id, [job])
    return issue_jobs(db_session, [job], keyring=keyring, settings=settings, actor=actor, today=today)[0]


def checked_subject(value: str) -> str:
    """An operation item code (as the banks write it, e.g. 1.2) or a competence category; anything else is bad
    input on its field (422), not a missing qualification (409)."""
    subject = value.strip()
    if subject in COMPETENCE_SUBJECTS or OPERATION_ITEM.fullmatch(subject):
        return subject
    raise InvalidInput("发证项目应为特种作业项目代码（如 1.2）或 principal、safety_manager。", code="bad_subject",
                       detail={"field": "subject"})


def _no_qualification_message(subject: str) -> str:
    if kind_of(subject) is Kind.SPECIAL_OPERATIONS:
        return (f"该考生在作业项目 {subject} 没有本系统记录的已公布合格资格"
                "（理论考试合格且在有效期内通过实际操作考试），不能发证。")
    return f"该考生在 {subject} 没有本系统记录的、仍在有效期内的已公布考试合格成绩，不能发证。"


def sitting_jobs(db_session: Session, sitting: Sitting, today: date) -> tuple[list[Issue], int]:
    """The certificates a sitting's qualified candidates are due, and how many registrations are skipped
    (not qualified, or already certified)."""
    rows = db_session.execute(select(Registration.subject, Candidate).join(
        Candidate, Candidate.id == Registration.candidate_id).where(Registration.sitting_id == sitting.id)).all()
    taken = set(db_session.scalars(select(Certificate.basis_key).where(Certificate.sitting_id == sitting.id)))
    by_subject: dict[str, list[Candidate]] = {}
    for subject, person in rows:
        if subject:
            by_subject.setdefault(subject, []).append(person)
    jobs: list[Issue] = []
    for subject, people in by_subject.items():
        registered = (select(Registration.candidate_id)
                      .where(Registration.sitting_id == sitting.id, Registration.subject == subject))
        found = candidates_bases(db_session, registered, subject, today)
        for person in people:
            # Only what this sitting completed: an earlier sitting's qualification is certified from there.
            pending = [b for b in found.get(person.id, []) if b.sitting_id == sitting.id and b.key not in taken]
            if pending:
                jobs.append(Issue(person, subject, pending[-1]))
    return jobs, len(rows) - len(jobs)


def hash_ids(jobs: list[Issue]) -> None:
    """The stretched ID digests, on every core (hashlib releases the GIL): the slow part of a big batch."""
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        list(pool.map(Issue.hash_id, jobs))


def issue_jobs(db_session: Session, jobs: list[Issue], *, keyring: CertificateKeyring, settings: Settings,
               actor: Actor, today: date, progress: Callable[[int], None] | None = None,
               chunk: int = 200) -> list[Certificate]:
    _prepare(db_session, jobs, settings, today)
    made = []
    # No autoflush: the rows go to the database together at the end, not one statement per query.
    with db_session.no_autoflush:
        for n, job in enumerate(jobs, 1):
            made.append(_issue_one(db_session, job, keyring=keyring, settings=settings, actor=actor, today=today))
            if progress is not None and (n % chunk == 0 or n == len(jobs)):
                progress(n)
    try:
        db_session.flush()
    except IntegrityError:
        # Another officer's transaction committed the same qualification (basis_key) or created this year's
        # counter first (certificate_serial): nothing of this one stands; a retry sees theirs and goes on.
        raise Conflict(ISSUE_RACE_MESSAGE, code="issue_race") from None
    return made


def by_number(db_session: Session, number: str) -> Certificate:
    certificate = db_session.scalars(select(Certificate).where(Certificate.number == number)).first()
    if certificate is None:
        raise NotFound("没有该证号的证书。", code="certificate_not_found", detail={"field": "number"})
    return certificate


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidInput("请填写原因。", code="reason_required", detail={"field": "reason"})
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidInput(f"原因不超过{MAX_REASON_CHARS}字。", code="reason_too_long", detail={"field": "reason"})
    return reason


def _refuse(exc: rules.RuleRefusal) -> Conflict:
    return Conflict(str(exc), code=exc.code)


def _active(certificate: Certificate) -> None:
    if certificate.state == CertificateState.REVOKED:
        raise Conflict("证书已撤销，须先恢复才能办理。", code="certificate_revoked")


def review(db_session: Session, certificate: Certificate, *, keyring: CertificateKeyring, settings: Settings,
           actor: Actor, reason: str, extended: bool = False, basis: str = "", today: date | None = None) -> None:
    """复审. ``extended``: the next review 6 years on, on the recorded ``basis`` (10+ years of compliant work)."""
    reason = _reason(reason)
    refuse_insider_on(db_session, certificate, actor)
    _active(certificate)
    if len(basis) > MAX_REASON_CHARS:
        raise InvalidInput(f"延长复审周期依据不超过{MAX_REASON_CHARS}字。", code="basis_too_long",
                           detail={"field": "basis"})
    if extended and not basis.strip():
        raise InvalidInput("复审周期延长须写明依据（连续从事本工种10年以上、严格遵守安全生产法律法规的证明）。",
                           code="basis_required", detail={"field": "basis"})
    try:
        due, expires = rules.review_dates(certificate, today or today_in(settings), extended=extended)
    except rules.RuleRefusal as exc:
        raise _refuse(exc) from None
    extended_expiry = expires != certificate.expires_on
    certificate.review_due, certificate.expires_on = due, expires
    certificate.review_interval_months = rules.EXTENDED_REVIEW_MONTHS if extended else rules.REVIEW_MONTHS
    text = reason if not extended else f"{reason}\n延长复审周期依据：{basis.strip()}"
    _reseal(db_session, certificate, keyring, settings)
    _record(db_session, certificate, actor, "reviewed", text, keyring,
            {"interval_months": certificate.review_interval_months, "extended_expiry": extended_expiry})


def renew(db_session: Session, certificate: Certificate, *, keyring: CertificateKeyring, settings: Settings,
          actor: Actor, reason: str, applied_on: date | None = None) -> None:
    """再培训/换证 of a 合格证, applied for on ``applied_on`` (at least 30 days before it expires)."""
    reason = _reason(reason)
    refuse_insider_on(db_session, certificate, actor)
    _active(certificate)
    today = today_in(settings)
    applied = applied_on or today
    if applied > today:
        raise InvalidInput("申请日期不能晚于今天。", code="bad_date", detail={"field": "applied_on"})
    try:
        certificate.expires_on = rules.renewal_expiry(certificate, applied)
    except rules.RuleRefusal as exc:
        raise _refuse(exc) from None
    _reseal(db_session, certificate, keyring, settings)
    _record(db_session, certificate, actor, "renewed", reason, keyring, {"applied_on": applied.isoformat()})


REVOCATION_MODES = {"cancel": "撤销", "withdraw": "吊销"}


def revoke(db_session: Session, certificate: Certificate, *, keyring: CertificateKeyring, actor: Actor, reason: str,
           mode: str = "cancel") -> None:
    reason = _reason(reason)
    refuse_insider_on(db_session, certificate, actor)
    if mode not in REVOCATION_MODES:
        raise InvalidInput("撤销方式应为 cancel（撤销）或 withdraw（吊销）。", code="bad_mode",
                           detail={"field": "mode"})
    if certificate.state == CertificateState.REVOKED:
        raise Conflict("证书已撤销。", code="certificate_revoked")
    certificate.state = CertificateState.REVOKED
    _record(db_session, certificate, actor, "revoked", f"{REVOCATION_MODES[mode]}：{reason}", keyring, {"mode": mode})


def reinstate(db_session: Session, certificate: Certificate, *, keyring: CertificateKeyring, actor: Actor,
              reason: str) -> None:
    reason = _reason(reason)
    refuse_insider_on(db_session, certificate, actor)
    if certificate.state != CertificateState.REVOKED:
        raise Conflict("证书未被撤销，无需恢复。", code="not_revoked")
    certificate.state = CertificateState.ACTIVE
    _record(db_session, certificate, actor, "reinstated", reason, keyring)


def replace(db_session: Session, certificate: Certificate, *, keyring: CertificateKeyring, settings: Settings,
            actor: Actor, reason: str) -> None:
    """补证: the same number, the next sequence; the old card's QR no longer verifies as valid."""
    reason = _reason(reason)
    refuse_insider_on(db_session, certificate, actor)
    _active(certificate)
    certificate.sequence += 1
    _reseal(db_session, certificate, keyring, settings)
    _record(db_session, certificate, actor, "replaced", reason, keyring)
