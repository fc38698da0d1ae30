"""The register against the log: every certificate event the log holds must be in ``certificate_event`` as
it was logged, every certificate row must stand as its latest logged event left it, and the results it rests
on must be stored (``audit verify-sitting`` checks those against the log). An insider who
deletes a revocation, backdates an expiry, swaps a card's signed form or adds a row the log never saw is
named here by table, row and field (``examsvc certificates check``; issue 15's tamper checks for sittings)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.audit import repository
from examsvc.certificates.models import Certificate
from examsvc.certificates.signed_form import FormError, decode_text
from examsvc.crypto.canonical_json import canonical_json
from examsvc.practical.models import PracticalResult
from examsvc.results.models import Result

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
        if hashlib.sha256(decode_text(row.form_text)).hexdigest() != row.form_digest:
            problems.append(f"{where}.form_text: not the signed form whose digest was logged")
    except FormError:
        problems.append(f"{where}.form_text: not a signed form")
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
    for number in sorted(set(logged) - set(rows)):
        report.problems.append(f"certificate[{number}]: in the log ({len(logged[number])} event(s)), "
                               "missing from the register")
    return report
