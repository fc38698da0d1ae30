"""The verifiers examsvc had before ``verify-sitting``, as checks: papers against their manifests (and
re-derived once the seed is revealed), answer sheets and results against the log and their manifests."""

from __future__ import annotations

from collections.abc import Iterator

from examsvc.audit.sitting_check.core import Context, Finding, check
from examsvc.papers import service as papers
from examsvc.papers.verification import PaperSetMismatch, verify
from examsvc.results.manifest_check import ResultsMismatch
from examsvc.results.verify import verify_results
from examsvc.sittings.models import SittingStatus


@check("papers")
def papers_match_their_manifests(ctx: Context) -> Iterator[Finding]:
    for paper_set in papers.sets_of_sitting(db_session=ctx.db_session, sitting_code=ctx.sitting.code):
        try:
            verify(db_session=ctx.db_session, paper_set_id=paper_set.id, service_key=ctx.service_key, keys=ctx.keys,
                   rederive=paper_set.revealed_seed is not None)
        except PaperSetMismatch as exc:
            yield Finding("papers", exc.table or "paper_set", str(exc),
                          row=exc.row if exc.table else paper_set.id, field=exc.field)


@check("results")
def results_match_sheets_log_and_manifests(ctx: Context) -> Iterator[Finding]:
    if ctx.sitting.status != SittingStatus.CLOSED:
        return
    try:
        verify_results(db_session=ctx.db_session, code=ctx.sitting.code, service_key=ctx.service_key, keys=ctx.keys)
    except ResultsMismatch as exc:
        yield Finding("results", exc.table or "result", str(exc), row=exc.row, field=exc.field)
