"""Checking a certificate online (the public /verify page and ``POST /certificates/verify``).

In order: the signed form (format, a published key, the signature), the issuer, the register (the number,
and that this very form was issued under it), the log (the entry the event names is in the log and carries
this form's digest; its inclusion proof against the latest signed checkpoint), then the standing: revoked,
an older card after a replacement (补证), expired, review overdue, or valid. Every answer says what was
checked. Nothing is shown beyond what the card itself shows, the holder's name masked.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.audit import repository
from examsvc.audit import service as audit_service
from examsvc.certificates.keys import CertificateKeyring
from examsvc.certificates.models import Certificate, CertificateEvent, CertificateState
from examsvc.certificates.rules import Standing, standing_of_dates
from examsvc.certificates.signed_form import KIND_LABELS, Claims, FormError, Kind, open_form
from examsvc.certificates.views import EVENT_LABELS
from examsvc.config import Settings
from examsvc.localtime import zone
from examsvc.tlog.rfc6962 import leaf_hash
from examsvc.tlog.verify import verify_inclusion


def mask_name(name: str) -> str:
    """The first character, the rest as ＊ (two characters: the last stays hidden too)."""
    return name[:1] + "＊" * max(1, len(name) - 1) if name else ""


@dataclass
class Check:
    what: str
    ok: bool | None  # None: not checked
    note: str = ""


@dataclass
class Verdict:
    standing: Standing
    reason: str = ""
    checks: list[Check] = field(default_factory=list)
    card: dict[str, Any] = field(default_factory=dict)
    proof: dict[str, Any] | None = None
    id_match: bool | None = None

    @property
    def label(self) -> str:
        return self.standing.label

    def as_json(self) -> dict[str, Any]:
        return {"standing": str(self.standing), "label": self.label, "reason": self.reason,
                "checks": [{"what": c.what, "ok": c.ok, "note": c.note} for c in self.checks],
                "card": self.card, "log_proof": self.proof, "id_number_matches": self.id_match}


def _local_date(seconds: int, settings: Settings) -> date:
    return datetime.fromtimestamp(seconds, UTC).astimezone(zone(settings.timezone)).date()


def card_of(claims: Claims, settings: Settings) -> dict[str, Any]:
    """What the card shows, from the signed claims; the name masked."""
    # exp is the first second after the last valid day.
    expires = _local_date(claims.expires_at - 1, settings)
    return {"number": claims.number, "sequence": claims.sequence, "kind": KIND_LABELS[claims.kind],
            "item": claims.item, "item_name": claims.item_name, "holder": mask_name(claims.holder),
            "issued_on": _local_date(claims.issued_at, settings).isoformat(), "expires_on": expires.isoformat(),
            "review_due": claims.review_due.isoformat() if claims.review_due else None, "issuer": claims.issuer}


def _unverifiable(verdict: Verdict, reason: str) -> Verdict:
    verdict.standing, verdict.reason = Standing.UNVERIFIABLE, reason
    return verdict


@dataclass(frozen=True)
class LoggedEvent:
    number: str
    event_no: int
    event: str
    form_digest: str
    log_index: int


@dataclass(frozen=True)
class RegisterRow:
    """A certificate as the register has it, with its events: read in one round trip."""

    id: int
    number: str
    kind: int
    state: str
    sequence: int
    expires_on: date
    review_due: date | None
    holder_name: str
    first_issued_on: date
    item: str
    item_name: str
    events: tuple[LoggedEvent, ...]


def _register_row(db_session: Session, number: str) -> RegisterRow | None:
    rows = db_session.execute(
        select(Certificate.id, Certificate.kind, Certificate.state, Certificate.sequence, Certificate.expires_on,
               Certificate.review_due, Certificate.holder_name, Certificate.first_issued_on, Certificate.item,
               Certificate.item_name, CertificateEvent.event_no, CertificateEvent.event,
               CertificateEvent.form_digest, CertificateEvent.log_index)
        .outerjoin(CertificateEvent, CertificateEvent.certificate_id == Certificate.id)
        .where(Certificate.number == number).order_by(CertificateEvent.event_no)).all()
    if not rows:
        return None
    first = rows[0]
    events = tuple(LoggedEvent(number, r.event_no, r.event, r.form_digest, r.log_index) for r in rows
                   if r.event_no is not None)
    return RegisterRow(first.id, number, first.kind, first.state, first.sequence, first.expires_on, first.review_due,
                     first.holder_name, first.first_issued_on, first.item, first.item_name, events)


@dataclass(frozen=True)
class _Checkpoint:
    tree_size: int
    root_hash: bytes
    note: str


# The latest checkpoint, reread at most once a second (one is signed every few seconds at most), and at once
# when an event is newer than it.
# Kept per database (the session's bind), and never trusted for a failed proof: that rereads it.
_LATEST: dict[int, tuple[float, _Checkpoint]] = {}
CHECKPOINT_TTL_SECONDS = 1.0


def _latest_checkpoint(db_session: Session, needed_index: int, *, fresh: bool = False) -> _Checkpoint | None:
    now, bind = time.monotonic(), id(db_session.get_bind())
    cached = _LATEST.get(bind)
    if cached is not None and not fresh and now - cached[0] < CHECKPOINT_TTL_SECONDS and \
            cached[1].tree_size > needed_index:
        return cached[1]
    row = repository.latest_checkpoint(db_session)
    if row is None:
        _LATEST.pop(bind, None)
        return None
    latest = _Checkpoint(row.tree_size, row.root_hash, row.note)
    if len(_LATEST) > 64:
        _LATEST.clear()
    _LATEST[bind] = (now, latest)
    return latest


# Proofs already checked against a signed checkpoint, by (index, tree size, what the entry must carry): a
# signed checkpoint commits to its entries for good, so a later edit of the stored row cannot unprove them.
_PROVEN: dict[tuple[int, int, str, str, str], tuple[dict[str, Any], str]] = {}
_PROVEN_MAX = 50_000


def _log_proof(db_session: Session, event: LoggedEvent, *,
               fresh: bool = False) -> tuple[bool, dict[str, Any] | None, str]:
    """(the entry carries the digest, the inclusion proof or None, a note)."""
    checkpoint = _latest_checkpoint(db_session, event.log_index, fresh=fresh)
    key = (event.log_index, checkpoint.tree_size if checkpoint else -1, event.event, event.form_digest, event.number)
    known = _PROVEN.get(key)
    if known is not None:
        return True, known[0], known[1]
    found = repository.entries(db_session, event.log_index, event.log_index + 1)
    if not found:
        return False, None, "日志中没有该条记录"
    entry = found[0]
    try:
        document = json.loads(entry)
    except ValueError:
        return False, None, "日志记录无法解析"
    details = document.get("details", {})
    if (document.get("action") != f"certificate.{event.event}" or details.get("form_digest") != event.form_digest
            or details.get("number") != event.number):
        return False, None, "日志记录与签发记录不符"
    if checkpoint is None or checkpoint.tree_size <= event.log_index:
        return True, None, "日志记录存在；最新检查点尚未覆盖它（几秒后再查可得包含证明）"
    hashes = audit_service.inclusion(db_session=db_session, index=event.log_index, tree_size=checkpoint.tree_size)
    leaf = leaf_hash(entry)
    try:
        verify_inclusion(event.log_index, checkpoint.tree_size, leaf, hashes, checkpoint.root_hash)
    except ValueError:
        if not fresh:
            return _log_proof(db_session, event, fresh=True)
        return False, None, "日志记录不在已签名的检查点中"
    proof = {"index": event.log_index, "tree_size": checkpoint.tree_size,
             "leaf_hash": base64.b64encode(leaf).decode(), "hashes": [base64.b64encode(h).decode() for h in hashes],
             "checkpoint": checkpoint.note}  # not the entry: it names the officer who acted (auditors only)
    note = f"日志第 {event.log_index} 条，包含于大小为 {checkpoint.tree_size} 的已签名检查点"
    if len(_PROVEN) >= _PROVEN_MAX:
        _PROVEN.clear()
    _PROVEN[key] = (proof, note)
    return True, proof, note


def _in_log(db_session: Session, verdict: Verdict, event: LoggedEvent, what: str, missing: str) -> bool:
    """Checks ``event``'s log entry into ``verdict`` (its proof kept); unverifiable if it is not in the log."""
    in_log, proof, note = _log_proof(db_session, event)
    verdict.checks.append(Check(what, in_log, note))
    if not in_log:
        _unverifiable(verdict, missing)
    verdict.proof = proof
    return in_log


def verify_text(db_session: Session, keyring: CertificateKeyring, settings: Settings, text: str, *,
                id_number: str | None = None, today: date | None = None) -> Verdict:
    verdict = Verdict(Standing.UNVERIFIABLE)
    try:
        opened = open_form(text, keyring.verifiers)
    except FormError as exc:
        verdict.checks.append(Check("二维码格式与签名", False, str(exc)))
        return _unverifiable(verdict, str(exc))
    claims = opened.claims
    verdict.checks.append(Check("签名", True, f"Ed25519 签名有效，密钥 {opened.key_id.hex()}"))
    verdict.card = card_of(claims, settings)
    if claims.issuer != settings.certificate_issuer:
        verdict.checks.append(Check("签发机关", False, f"签发机关标识 {claims.issuer} 不是本省"))
        return _unverifiable(verdict, "签发机关不是本省。")
    if id_number:
        verdict.id_match = claims.id_matches(id_number)
        verdict.checks.append(Check("身份证号", verdict.id_match,
                                    "与证书相符" if verdict.id_match else "与证书不符"))
    certificate = _register_row(db_session, claims.number)
    if certificate is None:
        verdict.checks.append(Check("发证记录", False, "本省没有该证号"))
        return _unverifiable(verdict, "本省发证记录中没有该证号。")
    event = next((e for e in certificate.events if e.form_digest == opened.digest), None)
    if event is None or not certificate.events:
        verdict.checks.append(Check("发证记录", False, "该证号下没有签发过此内容"))
        return _unverifiable(verdict, "该证书内容不在发证记录中。")
    done = EVENT_LABELS.get(event.event, event.event)
    verdict.checks.append(Check("发证记录", True, f"第 {event.event_no} 次办理（{done}）签发"))
    if not _in_log(db_session, verdict, event, "审计日志", "审计日志中没有该证书的签发记录。"):
        return verdict
    latest = certificate.events[-1]
    if latest != event and not _in_log(db_session, verdict, latest, "审计日志（最近一次办理）",
                                       "审计日志中没有该证书最近一次办理的记录。"):
        return verdict
    today = today or datetime.now(UTC).astimezone(zone(settings.timezone)).date()
    if certificate.state == CertificateState.REVOKED:
        verdict.standing, verdict.reason = Standing.REVOKED, "该证书已被撤销。"
    elif claims.sequence < certificate.sequence:
        verdict.standing = Standing.REVOKED
        verdict.reason = f"该证已补发（现为第 {certificate.sequence} 版），此卡已作废。"
    else:
        verdict.standing = standing_of_dates(certificate.expires_on, certificate.review_due, today)
        verdict.reason = {Standing.EXPIRED: "证书已超过有效期。",
                          Standing.REVIEW_OVERDUE: "证书未按期复审，不得从事特种作业。"}.get(verdict.standing, "")
        if certificate.expires_on.isoformat() != verdict.card["expires_on"] or (
                (certificate.review_due.isoformat() if certificate.review_due else None) != verdict.card["review_due"]):
            verdict.card["current_expires_on"] = certificate.expires_on.isoformat()
            verdict.card["current_review_due"] = certificate.review_due.isoformat() if certificate.review_due else None
    verdict.checks.append(Check("状态", verdict.standing is Standing.VALID,
                                f"{verdict.label}；有效期至 {certificate.expires_on.isoformat()}"
                                + (f"，复审期限 {certificate.review_due.isoformat()}"
                                   if certificate.kind == Kind.SPECIAL_OPERATIONS and certificate.review_due else "")))
    return verdict


def lookup(db_session: Session, settings: Settings, number: str, name: str, *, today: date | None = None) -> Verdict:
    """The fallback without a QR: the number and the holder's full name as typed from the card. No
    signature is checked (the page says so); a wrong name answers as an unknown number does."""
    verdict = Verdict(Standing.UNVERIFIABLE)
    verdict.checks.append(Check("签名", None, "未核验：仅按证号和姓名查询，请尽量扫描二维码"))
    certificate = _register_row(db_session, number.strip().upper())
    if certificate is None or certificate.holder_name != name.strip() or not certificate.events:
        verdict.checks.append(Check("发证记录", False, "没有与该证号和姓名相符的证书"))
        return _unverifiable(verdict, "没有与该证号和姓名相符的证书。")
    verdict.checks.append(Check("发证记录", True, "证号与姓名相符"))
    if not _in_log(db_session, verdict, certificate.events[-1], "审计日志", "审计日志中没有该证书最近一次办理的记录。"):
        return verdict
    today = today or datetime.now(UTC).astimezone(zone(settings.timezone)).date()
    verdict.standing = (Standing.REVOKED if certificate.state == CertificateState.REVOKED
                        else standing_of_dates(certificate.expires_on, certificate.review_due, today))
    verdict.card = {"number": certificate.number, "sequence": certificate.sequence,
                    "kind": KIND_LABELS[Kind(certificate.kind)], "item": certificate.item,
                    "item_name": certificate.item_name, "holder": mask_name(certificate.holder_name),
                    "issued_on": certificate.first_issued_on.isoformat(),
                    "expires_on": certificate.expires_on.isoformat(),
                    "review_due": certificate.review_due.isoformat() if certificate.review_due else None,
                    "issuer": settings.certificate_issuer}
    verdict.checks.append(Check("状态", verdict.standing is Standing.VALID, verdict.label))
    return verdict
