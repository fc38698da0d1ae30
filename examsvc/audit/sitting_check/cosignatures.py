"""The chief examiner's cosignature on paper sets (issue 15 item 7): required on every set the log
says was approved and on every set an attempt used, made by the approver the log names, with the key
the log registered for them, while they were the sitting's assigned chief (papers.verification)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from examsvc.attempts.models import Attempt
from examsvc.audit.sitting_check.core import Context, Finding, check
from examsvc.audit.sitting_check.logged import last_entry
from examsvc.papers import service as papers
from examsvc.papers.models import Paper, PaperSet
from examsvc.papers.verification import PaperSetMismatch, check_approval

NAME = "paper_cosignatures"


@check(NAME)
def used_and_approved_sets_carry_the_chiefs_cosignature(ctx: Context) -> Iterator[Finding]:
    used = set(ctx.db_session.scalars(select(Paper.paper_set_id).join(Attempt, Attempt.paper_id == Paper.id).where(
        Attempt.sitting_id == ctx.sitting.id).distinct()))
    own = {s.id for s in papers.sets_of_sitting(db_session=ctx.db_session, sitting_code=ctx.sitting.code)}
    for set_id in sorted(used | own):
        paper_set = ctx.db_session.get(PaperSet, set_id)
        if paper_set is None:
            continue
        approval = last_entry(ctx, "papers.approved", "paper_set", set_id)
        if set_id in used and approval is None:
            yield Finding(NAME, "paper_set", "attempts used this set, the log records no chief examiner's approval "
                          "of it", row=set_id, field="approved_by")
            continue
        try:
            check_approval(ctx.db_session, paper_set, ctx.entries)
        except PaperSetMismatch as exc:
            field = "approved_by" if paper_set.approved_by is None or "approved_by" in str(exc) else "manifest"
            yield Finding(NAME, "paper_set", str(exc), row=set_id, field=field,
                          entry=approval["index"] if approval else None)
