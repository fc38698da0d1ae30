"""The dates: validity, review windows, the 6-year review after 10 years, renewal lead time, numbering."""

from __future__ import annotations

from datetime import date

import pytest

from examsvc.certificates import numbering, rules
from examsvc.certificates.models import Certificate, CertificateState
from examsvc.certificates.rules import RuleRefusal, Standing
from examsvc.certificates.signed_form import Kind

pytestmark = pytest.mark.db_agnostic


def _card(kind: Kind, issued: date, first: date | None = None) -> Certificate:
    expires, review = rules.first_dates(kind, issued)
    return Certificate(kind=int(kind), first_issued_on=first or issued, expires_on=expires, review_due=review,
                       state=CertificateState.ACTIVE)


def test_first_dates_and_standing_over_time() -> None:
    special = _card(Kind.SPECIAL_OPERATIONS, date(2026, 12, 6))
    assert (special.expires_on, special.review_due) == (date(2032, 12, 5), date(2029, 12, 5))
    assert rules.standing(special, date(2029, 12, 5)) is Standing.VALID
    assert rules.standing(special, date(2029, 12, 6)) is Standing.REVIEW_OVERDUE
    assert rules.standing(special, date(2032, 12, 6)) is Standing.EXPIRED
    competence = _card(Kind.SAFETY_COMPETENCE, date(2024, 2, 29))
    assert (competence.expires_on, competence.review_due) == (date(2027, 2, 27), None)
    special.state = CertificateState.REVOKED
    assert rules.standing(special, date(2027, 1, 1)) is Standing.REVOKED


def test_review_window_extension_and_the_six_year_interval() -> None:
    card = _card(Kind.SPECIAL_OPERATIONS, date(2026, 12, 6))
    with pytest.raises(RuleRefusal) as early:
        rules.review_dates(card, date(2029, 10, 5), extended=False)
    assert early.value.code == "review_too_early"
    assert rules.review_dates(card, date(2029, 10, 6), extended=False) == (date(2032, 12, 5), date(2032, 12, 5))
    overdue = rules.review_dates(card, date(2030, 3, 1), extended=False)  # 复审逾期, reviewed before expiry
    assert overdue[0] == date(2032, 12, 5)
    with pytest.raises(RuleRefusal) as young:
        rules.review_dates(card, date(2029, 11, 1), extended=True)
    assert young.value.code == "extension_not_eligible"
    veteran = _card(Kind.SPECIAL_OPERATIONS, date(2026, 12, 6), first=date(2016, 1, 1))
    due, expires = rules.review_dates(veteran, date(2029, 11, 1), extended=True)
    assert due == date(2035, 12, 5) and expires == date(2038, 12, 5)  # 延期换证: the card runs past the review
    with pytest.raises(RuleRefusal) as late:
        rules.review_dates(card, date(2032, 12, 6), extended=False)
    assert late.value.code == "certificate_expired"
    with pytest.raises(RuleRefusal):
        rules.review_dates(_card(Kind.SAFETY_COMPETENCE, date(2026, 12, 6)), date(2029, 11, 1), extended=False)


def test_renewal_needs_thirty_days_of_lead() -> None:
    card = _card(Kind.SAFETY_COMPETENCE, date(2026, 12, 6))  # expires 2029-12-05
    assert rules.renewal_expiry(card, date(2029, 11, 5)) == date(2032, 12, 5)
    with pytest.raises(RuleRefusal) as late:
        rules.renewal_expiry(card, date(2029, 11, 6))
    assert late.value.code == "renewal_too_late"
    with pytest.raises(RuleRefusal):
        rules.renewal_expiry(_card(Kind.SPECIAL_OPERATIONS, date(2026, 12, 6)), date(2027, 1, 1))


def test_number_formats() -> None:
    assert numbering.format_number("{kind}{year}{serial:06d}", Kind.SAFETY_COMPETENCE, 2027, 42) == "A2027000042"
    assert numbering.check_format("SX-{kind}{year}-{serial:07d}") == "SX-{kind}{year}-{serial:07d}"
    for bad, says in (("{kind}{year}", "no {serial}"), ("{serial}", "needs {kind} and {year}"),
                      ("{kind}{year}{serial}{name}", "unknown field"), ("{kind}{year}{serial:x}号", "capital"),
                      ("{kind}{year}{serial:06q}", "format")):
        with pytest.raises(ValueError, match=says):
            numbering.check_format(bad)
