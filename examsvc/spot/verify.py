"""``examsvc audit verify-spot CODE`` (or ``--all``): a spot exam's inspection re-derived from the log and
checked against the stored rows, each mismatch named (table, row, field, the log entry), never a traceback.

The steps follow the draw's spec (examsvc/spot/draw.py):

1. seed      sha256(revealed seed) is the commitment logged when the inspection opened (before any list);
             the inspection's stored facts are the ones ``spot.inspection.opened`` logged, its lead officer
             the one who opened it and its second officer the last one confirmed.
2. roster    every stored person's digest is person_digest(salt, stored ID number); the listed people's
             digests are the logged roster, their names, posts and kinds the logged ``facts``; its digest is the
             logged and the stored one.
3. draw      draw(seed, roster digest, n, count) is the logged ``chosen``, and the stored draw order is it;
             each person added by hand has its ``spot.person.added`` entry, with the stored reason.
4. exams     every exam stored is in the log and every exam logged is stored (a deleted exam is named).
5–8.         papers, saves, answer sheets, results: ``examsvc.spot.verify_exams``.

A check that cannot run (malformed rows) is itself a finding: one broken row never hides the others.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.audit import repository
from examsvc.audit.sitting_check.core import Finding
from examsvc.blueprints.models import BlueprintVersion
from examsvc.crypto.envelope import EnvelopeError, KeyProvider
from examsvc.spot import draw as drawing
from examsvc.spot import inspections
from examsvc.spot.models import Inspection, InspectionStatus, SpotExam, SpotPerson

logger = logging.getLogger("examsvc.audit")


def spot_log(db_session: Session) -> dict[str, list[dict[str, Any]]]:
    """Every ``spot.*`` entry of the log, by inspection code (an inspection's entries carry ``code``, an
    exam's ``inspection``), in log order."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for raw in repository.entries(db_session, 0, repository.committed_size(db_session)):
        entry = json.loads(raw)
        if not str(entry.get("action", "")).startswith("spot."):
            continue
        details = entry.get("details") or {}
        code = details.get("code") or details.get("inspection")
        if isinstance(code, str):
            grouped[code].append(entry)
    return grouped


def details(entry: dict[str, Any] | None) -> dict[str, Any]:
    value = (entry or {}).get("details")
    return value if isinstance(value, dict) else {}


@dataclass
class Spot:
    """What every check reads: the inspection, its entries, the keys a verifier holds."""

    db_session: Session
    inspection: Inspection
    entries: list[dict[str, Any]]
    keys: KeyProvider
    cache: dict[str, Any] = field(default_factory=dict)

    def actions(self, *names: str) -> list[dict[str, Any]]:
        return [e for e in self.entries if e.get("action") in names]

    def last(self, action: str) -> dict[str, Any] | None:
        found = self.actions(action)
        return found[-1] if found else None

    @cached_property
    def people(self) -> list[SpotPerson]:
        return list(self.db_session.scalars(select(SpotPerson).where(
            SpotPerson.inspection_id == self.inspection.id).order_by(SpotPerson.id)))

    @cached_property
    def exams(self) -> list[SpotExam]:
        return list(self.db_session.scalars(select(SpotExam).where(
            SpotExam.inspection_id == self.inspection.id).order_by(SpotExam.id)))

    @cached_property
    def digests(self) -> dict[int, str | None]:
        """person id → person_digest(salt, stored ID number): what the stored row says, re-derived (None:
        the stored number or salt is not even well formed)."""
        out: dict[int, str | None] = {}
        for person in self.people:
            try:
                out[person.id] = drawing.person_digest(bytes.fromhex(self.inspection.roster_salt), person.id_number)
            except ValueError:
                out[person.id] = None
        return out

    @cached_property
    def seed(self) -> bytes | None:
        """The draw seed: the one revealed in the log once closed; before that, the sealed one (the verifier
        holds the key-encryption key, as verify-sitting does for papers)."""
        closed = self.last("spot.inspection.closed")
        if closed is not None:
            try:
                return bytes.fromhex(str(details(closed).get("seed")))
            except ValueError:
                return None
        try:
            return inspections.seed_of(self.inspection, self.keys)
        except EnvelopeError:  # the sealed seed was altered or moved: named by the seed check
            return None


Check = Callable[[Spot], Iterable[Finding]]
CHECKS: dict[str, Check] = {}


def check(name: str) -> Callable[[Check], Check]:
    def register(function: Check) -> Check:
        CHECKS[name] = function
        return function
    return register


def _compare(name: str, table: str, row: int, entry: dict[str, Any], expected: dict[str, Any],
             stored: dict[str, Any]) -> Iterator[Finding]:
    for key, logged in expected.items():
        if stored.get(key) != logged:
            yield Finding(name, table, f"stored {stored.get(key)!r}, the log says {logged!r}", row=row, field=key,
                          entry=entry.get("index"))


@check("seed")
def seed_is_the_committed_one(spot: Spot) -> Iterator[Finding]:
    inspection = spot.inspection
    opened = spot.actions("spot.inspection.opened")
    if len(opened) != 1:
        yield Finding("seed", "spot_inspection", f"{len(opened)} spot.inspection.opened entries (one expected)",
                      row=inspection.id)
        return
    logged = details(opened[0])
    rule = spot.db_session.get(BlueprintVersion, inspection.blueprint_version_id)
    yield from _compare("seed", "spot_inspection", inspection.id, opened[0], {
        k: logged.get(k) for k in ("credit_code", "enterprise_name", "address", "industry", "city", "inspected_on",
                                   "draw_count", "seed_commitment", "blueprint_digest")}, {
        "credit_code": inspection.credit_code, "enterprise_name": inspection.enterprise_name,
        "address": inspection.address, "industry": inspection.industry, "city": inspection.city,
        "inspected_on": inspection.inspected_on.isoformat(), "draw_count": inspection.draw_count,
        "seed_commitment": inspection.seed_commitment, "blueprint_digest": None if rule is None else rule.digest})
    yield from _officers(spot, opened[0])
    closed = spot.actions("spot.inspection.closed")
    if (inspection.status == InspectionStatus.CLOSED) != bool(closed):
        yield Finding("seed", "spot_inspection", f"stored status {inspection.status!r}, but the log has "
                      f"{len(closed)} spot.inspection.closed entries", row=inspection.id, field="status")
    seed = spot.seed
    if seed is None or hashlib.sha256(seed).hexdigest() != logged.get("seed_commitment"):
        yield Finding("seed", "spot_inspection", "the seed (revealed in the log, or sealed) is not the one "
                      "committed to when the inspection opened", row=inspection.id, field="revealed_seed",
                      entry=(closed[-1] if closed else opened[0]).get("index"))
    if closed and inspection.revealed_seed != details(closed[-1]).get("seed"):
        yield Finding("seed", "spot_inspection", "the stored revealed seed is not the one the log revealed",
                      row=inspection.id, field="revealed_seed", entry=closed[-1].get("index"))


def _officers(spot: Spot, opened: dict[str, Any]) -> Iterator[Finding]:
    """The lead is the officer who opened the inspection; the second is the last one confirmed in the log."""
    inspection = spot.inspection
    lead = (opened.get("actor") or {}).get("id")
    if inspection.lead_officer_id != lead:
        yield Finding("seed", "spot_inspection", f"stored lead officer {inspection.lead_officer_id!r}, the log says "
                      f"{lead!r} opened the inspection", row=inspection.id, field="lead_officer_id",
                      entry=opened.get("index"))
    confirmed = spot.last("spot.inspection.second_officer")
    second = details(confirmed).get("second_officer_id") if confirmed is not None else None
    if inspection.second_officer_id != second:
        yield Finding("seed", "spot_inspection", f"stored second officer {inspection.second_officer_id!r}, the log "
                      f"confirmed {second!r}", row=inspection.id, field="second_officer_id",
                      entry=(confirmed or opened).get("index"))


def _facts(person: SpotPerson, digest: str | None) -> str | None:
    try:
        return drawing.person_facts(digest or "", person.name, person.post, person.kind)
    except ValueError:  # no well-formed digest: named by the roster check
        return None


@check("roster")
def roster_is_the_logged_one(spot: Spot) -> Iterator[Finding]:
    inspection = spot.inspection
    for person in spot.people:
        if spot.digests[person.id] != person.person_digest:
            yield Finding("roster", "spot_person", "the stored ID number does not give the stored person digest "
                          "(ID number, digest or salt edited)", row=person.id, field="id_number")
    drawn = spot.last("spot.draw")
    entered = spot.last("spot.roster.entered")
    listed = sorted(d or "" for p in spot.people if p.row is not None for d in (spot.digests[p.id],))
    if drawn is None:
        abandoned = inspection.status == InspectionStatus.CLOSED and details(
            spot.last("spot.inspection.closed")).get("drawn") is False  # archived before any draw
        if inspection.status != InspectionStatus.OPEN and not abandoned:
            yield Finding("roster", "spot_inspection", f"status {inspection.status!r} but no spot.draw entry",
                          row=inspection.id, field="status")
        elif entered is not None and details(entered).get("roster_digest") != inspection.roster_digest:
            yield Finding("roster", "spot_inspection", "the stored roster digest is not the one last entered",
                          row=inspection.id, field="roster_digest", entry=entered.get("index"))
        return
    logged = details(drawn)
    roster = logged.get("roster") or []
    if listed != roster:
        missing, extra = set(roster) - set(listed), set(listed) - set(roster)
        yield Finding("roster", "spot_person", "the stored people on the list are not the logged roster: "
                      f"{len(missing)} logged person(s) not stored (deleted or ID number edited), "
                      f"{len(extra)} stored person(s) not logged", entry=drawn.get("index"))
    facts = dict(zip(roster, logged.get("facts") or [], strict=False))
    for person in spot.people:
        digest = spot.digests[person.id]
        if person.row is not None and digest in facts and _facts(person, digest) != facts[digest]:
            yield Finding("roster", "spot_person", "the stored name, post or kind is not the one drawn from",
                          row=person.id, field="name", entry=drawn.get("index"))
    try:
        recomputed = drawing.roster_digest(roster, [False] * len(roster))
    except ValueError:
        recomputed = None
    if recomputed != logged.get("roster_digest"):
        yield Finding("roster", "spot_inspection", "the logged roster does not give the logged roster digest",
                      row=inspection.id, field="roster_digest", entry=drawn.get("index"))
    if inspection.roster_digest != logged.get("roster_digest"):
        yield Finding("roster", "spot_inspection", "the stored roster digest is not the logged one",
                      row=inspection.id, field="roster_digest", entry=drawn.get("index"))
    if entered is None or details(entered).get("roster_digest") != logged.get("roster_digest"):
        yield Finding("roster", "spot_inspection", "the roster drawn from is not the one last entered",
                      row=inspection.id, field="roster_digest", entry=drawn.get("index"))


@check("draw")
def draw_is_rederived(spot: Spot) -> Iterator[Finding]:
    drawn = spot.last("spot.draw")
    if drawn is None:
        return
    logged = details(drawn)
    roster, chosen = list(logged.get("roster") or []), list(logged.get("chosen") or [])
    count = logged.get("count")
    if count != spot.inspection.draw_count:
        yield Finding("draw", "spot_inspection", f"stored draw count {spot.inspection.draw_count}, the log drew "
                      f"{count}", row=spot.inspection.id, field="draw_count", entry=drawn.get("index"))
    seed = spot.seed
    if seed is not None and isinstance(count, int):
        again = [roster[i] for i in drawing.draw(seed, str(logged.get("roster_digest")), len(roster), count)]
        if again != chosen:
            yield Finding("draw", "spot_inspection", "the draw re-derived from the seed and the roster is not the "
                          "logged one", row=spot.inspection.id, entry=drawn.get("index"))
    for person in spot.people:
        digest = spot.digests[person.id]
        expected = chosen.index(digest) + 1 if digest in chosen else None
        if person.draw_order != expected:
            yield Finding("draw", "spot_person", f"stored draw order {person.draw_order!r}, the logged draw gives "
                          f"{expected!r}", row=person.id, field="draw_order", entry=drawn.get("index"))
    added = {details(e).get("person"): e for e in spot.actions("spot.person.added")}
    for person in spot.people:
        if person.manual and spot.digests[person.id] not in added:
            yield Finding("draw", "spot_person", "marked as added by hand, but no spot.person.added entry",
                          row=person.id, field="manual")
    for person in spot.people:
        entry = added.get(spot.digests[person.id])
        if person.manual and entry is not None and person.manual_reason != details(entry).get("reason"):
            yield Finding("draw", "spot_person", "the stored reason for adding by hand is not the logged one",
                          row=person.id, field="manual_reason", entry=entry.get("index"))
        if person.manual and entry is not None and _facts(person, spot.digests[person.id]) != details(entry).get(
                "facts"):
            yield Finding("draw", "spot_person", "the stored name, post or kind is not the one logged when the "
                          "person was added by hand", row=person.id, field="name", entry=entry.get("index"))
    stored = {spot.digests[p.id] for p in spot.people if p.manual}
    for digest, entry in added.items():
        if digest not in stored:
            yield Finding("draw", "spot_person", "the log adds a person by hand who is not stored as such "
                          "(deleted, or the mark removed)", entry=entry.get("index"))


@check("exams")
def exams_are_the_logged_ones(spot: Spot) -> Iterator[Finding]:
    by_exam: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in spot.actions("spot.exam.started", "spot.exam.archived"):
        by_exam[str((entry.get("subject") or {}).get("id"))].append(entry)
    people = {p.id: p for p in spot.people}
    for exam in spot.exams:
        entries = by_exam.pop(str(exam.id), [])
        started = [e for e in entries if e["action"] == "spot.exam.started"]
        if len(started) != 1:
            yield Finding("exams", "spot_exam", f"{len(started)} spot.exam.started entries (one expected): the row "
                          "was written outside the service", row=exam.id)
            continue
        person = people.get(exam.person_id)
        if person is None or spot.digests[person.id] != details(started[0]).get("person"):
            yield Finding("exams", "spot_exam", "the exam's person is not the one the log started it for",
                          row=exam.id, field="person_id", entry=started[0].get("index"))
        elif person.draw_order is None and not person.manual:
            yield Finding("exams", "spot_exam", "the person was neither drawn nor added by hand", row=exam.id,
                          field="person_id")
        archived = [e for e in entries if e["action"] == "spot.exam.archived"]
        if (exam.status == "submitted") != (len(archived) == 1):
            yield Finding("exams", "spot_exam", f"stored status {exam.status!r}, {len(archived)} "
                          "spot.exam.archived entries", row=exam.id, field="status")
    for exam_id, entries in by_exam.items():
        yield Finding("exams", "spot_exam", "the log records a spot exam that is not stored (deleted)", row=exam_id,
                      entry=entries[0].get("index"))
    closed = spot.last("spot.inspection.closed")
    if closed is not None:
        logged = details(closed)
        yield from _compare("exams", "spot_inspection", spot.inspection.id, closed, {
            k: logged.get(k) for k in ("exams", "passed", "failed")}, {
            "exams": len(spot.exams), "passed": sum(1 for e in spot.exams if e.passed),
            "failed": sum(1 for e in spot.exams if e.passed is False)})


@dataclass(frozen=True)
class Verdict:
    code: str
    findings: list[Finding]


def verify_inspection(*, db_session: Session, code: str, entries: list[dict[str, Any]],
                      keys: KeyProvider) -> Verdict:
    """Every check of one inspection; an inspection the log has but the database lost is one finding."""
    from examsvc.spot import verify_exams  # noqa: F401  (registers the exam checks)

    inspection = db_session.scalars(select(Inspection).where(Inspection.code == code)).first()
    if inspection is None:
        message = "the log records this inspection but it is not stored (deleted)" if entries else "no such inspection"
        return Verdict(code, [Finding("inspection", "spot_inspection", message, row=code,
                                      entry=entries[0].get("index") if entries else None)])
    spot = Spot(db_session=db_session, inspection=inspection, entries=entries, keys=keys)
    findings: list[Finding] = []
    for name, function in CHECKS.items():
        try:
            findings.extend(function(spot))
        except Exception as exc:  # a verifier names what it could not check; it never crashes
            logger.info("spot check failed to run", extra={"check": name, "exception_type": type(exc).__name__})
            findings.append(Finding(name, "(check)", "could not be checked: the data is malformed or missing "
                                    f"({type(exc).__name__})"))
    return Verdict(code, findings)


def verify_spot(*, db_session: Session, codes: list[str] | None, keys: KeyProvider) -> list[Verdict]:
    """The named inspections, or (``codes`` None) every one stored or logged."""
    db_session.expire_all()  # the database as it stands, never rows this session loaded earlier
    log = spot_log(db_session)
    if codes is None:
        stored = list(db_session.scalars(select(Inspection.code).order_by(Inspection.id)))
        codes = stored + sorted(set(log) - set(stored))
    return [verify_inspection(db_session=db_session, code=c, entries=log.get(c, []), keys=keys) for c in codes]
