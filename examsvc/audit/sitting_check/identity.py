"""Who each admission number stands for (issue 15 item 1): every registration row, with its candidate's
name and ID number, re-hashed to the binding the log recorded at registration (candidates.binding)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from examsvc.audit.sitting_check.core import Context, Finding, check
from examsvc.audit.sitting_check.logged import details
from examsvc.candidates import binding
from examsvc.candidates.models import Candidate, Registration

NAME = "identity"


def _logged(ctx: Context) -> dict[str, tuple[int, Any]]:
    """admission number → (log index, the binding logged for it, or None before bindings existed)."""
    logged: dict[str, tuple[int, Any]] = {}
    for entry in ctx.actions("sitting.candidates_registered"):
        facts = details(entry)
        bindings = facts["bindings"] if isinstance(facts.get("bindings"), dict) else {}
        for number in facts.get("admission_numbers") or []:
            logged[str(number)] = (entry["index"], bindings.get(number))
    return logged


@check(NAME)
def registrations_are_bound_to_the_people_the_log_names(ctx: Context) -> Iterator[Finding]:
    logged = _logged(ctx)
    rows = ctx.db_session.scalars(select(Registration).where(Registration.sitting_id == ctx.sitting.id)
                                  .order_by(Registration.id)).all()
    for row in rows:
        entry = logged.pop(row.admission_number, None)
        if entry is None:
            yield Finding(NAME, "registration", "a registration the log does not record (added or renumbered)",
                          row=row.id, field="admission_number")
            continue
        yield from _compare(ctx, row, *entry)
    for number, (index, _) in logged.items():
        yield Finding(NAME, "registration", f"the log records the registration of {number}, the table has no row "
                      "for it (deleted or renumbered)", row=number, entry=index)


def _compare(ctx: Context, row: Registration, index: int, bound: Any) -> Iterator[Finding]:
    if not isinstance(bound, dict):
        yield Finding(NAME, "registration", "registered without an identity binding in the log: the person "
                      "behind this admission number cannot be checked", row=row.id, entry=index)
        return
    person = ctx.db_session.get(Candidate, row.candidate_id)
    if row.binding_salt is None or person is None:
        yield Finding(NAME, "registration", "its binding salt or its candidate row is missing", row=row.id,
                      field="binding_salt" if person is not None else "candidate_id", entry=index)
        return
    now = binding.binding(sitting=ctx.sitting.code, admission_number=row.admission_number,
                          candidate_id=row.candidate_id, name=person.name, id_number=person.id_number,
                          salt=row.binding_salt, facts=binding.tracked_facts(row, person))
    if now == bound:
        return
    if now["candidate"] != bound.get("candidate"):
        yield Finding(NAME, "registration", f"points at candidate {row.candidate_id}, the log bound "
                      f"{row.admission_number} to candidate {bound.get('candidate')}", row=row.id,
                      field="candidate_id", entry=index)
        return
    tables = {"name": "candidate", "id_number": "candidate"} | {f: t for t, f in binding.TRACKED}
    # Only what the log bound: a registration logged before a fact was tracked is not held to it.
    named = [f for f in tables if f in bound and now[f] != bound[f]]
    for field in named:
        row_id = person.id if tables[field] == "candidate" else row.id
        yield Finding(NAME, tables[field], f"differs from what the log bound to {row.admission_number}",
                      row=row_id, field=field, entry=index)
    if not named:
        yield Finding(NAME, "registration", "the identity binding differs from the log's (salt or sitting edited)",
                      row=row.id, field="binding_salt", entry=index)
