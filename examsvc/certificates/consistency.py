"""The register against the log: every certificate event the log holds must be in ``certificate_event`` as
it was logged, every certificate row must stand as its latest logged event left it, and the results it rests
on must be stored (``audit verify-sitting`` checks those against the log). An insider who
deletes a revocation, backdates an expiry, swaps a card's signed form or adds a row the log never saw is
named here by table, row and field (``examsvc certificates check``; issue 15's tamper checks for sittings)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.audit import repository
from examsvc.candidates.models import Candidate
from examsvc.certificates import rules
from examsvc.certificates.models import Certificate
from examsvc.certificates.signed_form import FormError, Kind, claims_in, decode_text, id_hash
from examsvc.crypto.canonical_json import canonical_json
from examsvc.practical.models import PracticalResult
from examsvc.results.models import Result
from examsvc.sittings.models import Sitting

CHUNK = 5000
_MARK = b'"action":"certificate.'


@dataclass
class Report:
    certificates: int = 0
    entries: int = 0
    problems: list[str] = field(default_factory=list)


def logged_events(db_session: Session) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    """Per certificate number, its (log index, entry) pairs in log order."""
    size = repository.committed_size(db_session)
    found: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for start in range(0, size, CHUNK):
        for offset, raw in enumerate(repository.entries(db_session, start, min(size, start + CHUNK))):
            if _MARK in raw:
                entry = json.loads(raw)
                found.setdefault(str(entry["subject"]["id"]), []).append((start + offset, entry))
    return found


def _row_problems(row: Certificate, logged: list[tuple[int, dict[str, Any]]]) -> list[str]:
    where = f"certificate[{row.number}]"
    problems = []
    events = sorted(row.events, key=lambda e: e.event_no)
    if len(events) != len(logged):
        problems.append(f"certificate_event[{row.number}]: {len(events)} row(s), the log has {len(logged)} event(s)")
    for event, (index, entry) in zip(events, logged, strict=False):
        d, place = entry["details"], f"certificate_event[{row.number}#{event.event_no}]"
        expected = {"event": entry["action"].removeprefix("certificate."), "event_no": d["event_no"],
                    "form_digest": d["form_digest"], "sequence": d["sequence"], "log_index": index}
        for name, value in expected.items():
            if getattr(event, name) != value:
                problems.append(f"{place}.{name}: {getattr(event, name)!r}, logged {value!r}")
        if hashlib.sha256(event.reason.encode()).hexdigest() != d["reason_digest"]:
            problems.append(f"{place}.reason: not the reason logged")
    if not logged:
        return [f"{where}: no certificate entry in the log (a row the log never saw)"]
    last = logged[-1][1]["details"]
    first = logged[0][1]["details"]
    expected_row = {"state": last["state"], "sequence": last["sequence"], "form_digest": last["form_digest"],
                    "expires_on": last["expires_on"], "review_due": last["review_due"],
                    "event_count": last["event_no"], "basis_key": first.get("basis_key")}
    actual = {"state": row.state, "sequence": row.sequence, "form_digest": row.form_digest,
              "expires_on": row.expires_on.isoformat(),
              "review_due": row.review_due.isoformat() if row.review_due else None,
              "event_count": row.event_count, "basis_key": row.basis_key}
    problems += [f"{where}.{name}: {actual[name]!r}, logged {value!r}" for name, value in expected_row.items()
                 if actual[name] != value]
    if hashlib.sha256(canonical_json(json.loads(row.basis))).hexdigest() != row.basis_key:
        problems.append(f"{where}.basis: does not hash to basis_key")
    try:
        cose = decode_text(row.form_text)
        if hashlib.sha256(cose).hexdigest() != row.form_digest:
            problems.append(f"{where}.form_text: not the signed form whose digest was logged")
        else:
            problems += _form_problems(row, claims_in(cose))
    except FormError:
        problems.append(f"{where}.form_text: not a signed form")
    problems += _issue_problems(row, first, [entry["details"] for _, entry in logged
                                             if entry["action"] == "certificate.reviewed"])
    return problems


def _form_problems(row: Certificate, claims: Any) -> list[str]:
    """The row against the signed form it stands under (itself in the log by its digest): what the register
    shows, the fallback lookup matches and a reseal would sign again. Personal data is named, not quoted."""
    where = f"certificate[{row.number}]"
    plain = {"number": (row.number, claims.number), "sequence": (row.sequence, claims.sequence),
             "kind": (row.kind, int(claims.kind)), "item": (row.item, claims.item),
             "item_name": (row.item_name, claims.item_name), "id_salt": (row.id_salt, claims.id_salt.hex())}
    problems = [f"{where}.{name}: {ours!r}, the signed form has {signed!r}" for name, (ours, signed) in plain.items()
                if ours != signed]
    if row.holder_name != claims.holder:
        problems.append(f"{where}.holder_name: not the holder the signed form names")
    return problems


def _issue_problems(row: Certificate, first: dict[str, Any], reviews: list[dict[str, Any]]) -> list[str]:
    """The row against what its issue (and its latest review) logged: a backdated first issue would open the
    6-year review (10+ years of work) to anyone."""
    where = f"certificate[{row.number}]"
    interval = reviews[-1]["interval_months"] if reviews else (
        rules.REVIEW_MONTHS if row.kind == Kind.SPECIAL_OPERATIONS else None)
    expected = {"first_issued_on": (row.first_issued_on.isoformat(), first.get("issued_on")),
                "kind": (row.kind, first.get("kind")), "item": (row.item, first.get("item")),
                "review_interval_months": (row.review_interval_months, interval)}
    return [f"{where}.{name}: {ours!r}, logged {logged!r}" for name, (ours, logged) in expected.items()
            if ours != logged]


def _holder_problems(db_session: Session, rows: list[Certificate]) -> list[str]:
    """Each certificate's holder (``candidate_id``) against the signed form: the name, and the ID number
    against the form's salted digest (stretched: on every core). A row moved to another person is named."""
    people = {c.id: c for c in db_session.scalars(select(Candidate).where(
        Candidate.id.in_({row.candidate_id for row in rows})))} if rows else {}

    def problem(row: Certificate) -> str | None:
        person = people.get(row.candidate_id)
        try:
            claims = claims_in(decode_text(row.form_text))
        except FormError:
            return None  # named by the row check
        if person is None or person.name != claims.holder or not hmac.compare_digest(
                id_hash(person.id_number, claims.id_salt), claims.id_hash):
            return f"certificate[{row.number}].candidate_id: not the holder the signed form names"
        return None

    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        return [found for found in pool.map(problem, rows) if found is not None]


def _place_problems(db_session: Session, rows: list[Certificate],
                    logged: dict[str, list[tuple[int, dict[str, Any]]]]) -> list[str]:
    """The sitting and site a row names against the sitting its issue logged."""
    places = {s.id: (s.code, s.site_id) for s in db_session.scalars(select(Sitting).where(
        Sitting.id.in_({row.sitting_id for row in rows})))} if rows else {}
    problems = []
    for row in rows:
        entries = logged.get(row.number)
        if not entries:
            continue
        code, site_id = places.get(row.sitting_id, (None, None))
        if code != entries[0][1]["details"].get("sitting"):
            problems.append(f"certificate[{row.number}].sitting_id: sitting {code!r}, logged "
                            f"{entries[0][1]['details'].get('sitting')!r}")
        elif row.site_id != site_id:
            problems.append(f"certificate[{row.number}].site_id: {row.site_id!r}, the sitting's site is {site_id!r}")
    return problems


def check(db_session: Session) -> Report:
    logged = logged_events(db_session)
    report = Report(entries=sum(len(v) for v in logged.values()))
    rows = {row.number: row for row in db_session.scalars(select(Certificate))}
    report.certificates = len(rows)
    results = set(db_session.scalars(select(Result.digest))) | set(db_session.scalars(select(PracticalResult.digest)))
    for number, row in sorted(rows.items()):
        report.problems += _row_problems(row, logged.get(number, []))
        for rested in json.loads(row.basis):
            if rested["result_digest"] not in results:
                report.problems.append(f"certificate[{number}].basis: the {rested['kind']} result "
                                       f"{rested['result_digest'][:16]}… of sitting {rested['sitting']} is not stored")
    ordered = [row for _, row in sorted(rows.items())]
    report.problems += _holder_problems(db_session, ordered)
    report.problems += _place_problems(db_session, ordered, logged)
    for number in sorted(set(logged) - set(rows)):
        report.problems.append(f"certificate[{number}]: in the log ({len(logged[number])} event(s)), "
                               "missing from the register")
    return report
