"""The dates of a certificate and what state it is in on a day (shared/domain.md; 特种作业人员安全技术培训考核
管理规定 (order No. 30) art. 19-26; 生产经营单位安全培训规定 / 暂行办法 on the 合格证).

- 特种作业操作证: valid 6 years; review (复审) every 3 years, applied for within the 60 days before it is due;
  after 10 or more years of continuous compliant work the issuing authority may set the next review 6 years
  on (the basis is recorded); a review past the card's end extends it by 6 years (延期换证); a review not
  made by its due day makes the card 复审逾期 (not valid for work) until it is reviewed or expires.
- 安全生产知识和管理能力考核合格证: valid 3 years; renewal (再培训/换证) applied for at least 30 days before
  it expires extends it by 3 years.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from examsvc.certificates.models import Certificate, CertificateState
from examsvc.certificates.signed_form import Kind
from examsvc.results.eligibility import add_months

VALID_MONTHS = {Kind.SPECIAL_OPERATIONS: 72, Kind.SAFETY_COMPETENCE: 36}
REVIEW_MONTHS = 36
EXTENDED_REVIEW_MONTHS = 72
EXTENDED_REVIEW_MIN_YEARS = 10
REVIEW_WINDOW_DAYS = 60
RENEWAL_LEAD_DAYS = 30


class Standing(StrEnum):
    VALID = "valid"  # 有效
    EXPIRED = "expired"  # 已过期
    REVIEW_OVERDUE = "review_overdue"  # 复审逾期
    REVOKED = "revoked"  # 已撤销
    UNVERIFIABLE = "unverifiable"  # 无法验证（疑似伪造）

    @property
    def label(self) -> str:
        return STANDING_LABELS[self]


STANDING_LABELS = {Standing.VALID: "有效", Standing.EXPIRED: "已过期", Standing.REVIEW_OVERDUE: "复审逾期",
                   Standing.REVOKED: "已撤销", Standing.UNVERIFIABLE: "无法验证（疑似伪造）"}


def last_day(start: date, months: int) -> date:
    """The last day of a period of ``months`` starting on ``start``."""
    return add_months(start, months) - timedelta(days=1)


def first_dates(kind: Kind, issued_on: date) -> tuple[date, date | None]:
    """(expires_on, review_due) of a certificate issued on ``issued_on``."""
    expires = last_day(issued_on, VALID_MONTHS[kind])
    return expires, last_day(issued_on, REVIEW_MONTHS) if kind is Kind.SPECIAL_OPERATIONS else None


def standing(certificate: Certificate, today: date) -> Standing:
    if certificate.state == CertificateState.REVOKED:
        return Standing.REVOKED
    return standing_of_dates(certificate.expires_on, certificate.review_due, today)


def standing_of_dates(expires_on: date, review_due: date | None, today: date) -> Standing:
    if today > expires_on:
        return Standing.EXPIRED
    if review_due is not None and today > review_due:
        return Standing.REVIEW_OVERDUE
    return Standing.VALID


class RuleRefusal(ValueError):
    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


def review_dates(certificate: Certificate, today: date, *, extended: bool) -> tuple[date, date]:
    """(review_due, expires_on) after a review on ``today``; a ``RuleRefusal`` says why one is not possible."""
    if certificate.kind != Kind.SPECIAL_OPERATIONS or certificate.review_due is None:
        raise RuleRefusal("只有特种作业操作证需要复审；合格证请办理再培训换证。", code="not_reviewable")
    if today > certificate.expires_on:
        raise RuleRefusal("证书已过期，不能复审，须重新参加考试。", code="certificate_expired")
    opens = certificate.review_due - timedelta(days=REVIEW_WINDOW_DAYS)
    if today < opens:
        raise RuleRefusal(f"复审应在期满前{REVIEW_WINDOW_DAYS}日内申请（自 {opens.isoformat()} 起）。",
                          code="review_too_early")
    if extended and add_months(certificate.first_issued_on, EXTENDED_REVIEW_MIN_YEARS * 12) > today:
        raise RuleRefusal(f"复审周期延长至6年须连续从事本工种{EXTENDED_REVIEW_MIN_YEARS}年以上；本证初次领证于 "
                          f"{certificate.first_issued_on.isoformat()}。", code="extension_not_eligible")
    due = add_months(certificate.review_due, EXTENDED_REVIEW_MONTHS if extended else REVIEW_MONTHS)
    expires = certificate.expires_on
    while due > expires:
        expires = add_months(expires, VALID_MONTHS[Kind.SPECIAL_OPERATIONS])  # 延期换证
    return due, expires


def renewal_expiry(certificate: Certificate, applied_on: date) -> date:
    if certificate.kind != Kind.SAFETY_COMPETENCE:
        raise RuleRefusal("特种作业操作证通过复审延期；再培训换证只适用于合格证。", code="not_renewable")
    latest = certificate.expires_on - timedelta(days=RENEWAL_LEAD_DAYS)
    if applied_on > latest:
        raise RuleRefusal(f"合格证换证应于有效期届满{RENEWAL_LEAD_DAYS}日前申请（最迟 {latest.isoformat()}）；"
                          "逾期须重新参加考试。", code="renewal_too_late")
    return add_months(certificate.expires_on, VALID_MONTHS[Kind.SAFETY_COMPETENCE])
