"""Runs the tamper catalogue over copies of a finished sitting and sums it up (issue 15's figures):
detected per category, false alarms on untouched copies, tracebacks, and what went unseen.

Copies are checked in worker processes (forked: the edits are closures over the template's rows, and
the verifiers read the process environment, so each copy needs a process of its own to run beside others).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import re
import uuid
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from examsvc import migrate
from examsvc.db import make_engine
from examsvc.scratch_db import scratch_postgres
from tests.audit.tamper import Copies, Finished, Outcome, build_sitting, check_copy
from tests.audit.tamper_edits import Edit


@dataclass
class Campaign:
    results: list[tuple[Edit, Outcome]]
    untouched: list[Outcome]
    # The whole catalogue, where the campaign ran a sample of it (tests/audit/test_tamper_campaign.py).
    catalogue: list[Edit] = field(default_factory=list)

    @property
    def material(self) -> list[tuple[Edit, Outcome]]:
        return [(e, o) for e, o in self.results if e.material]

    def undetected(self) -> list[Edit]:
        return [e for e, o in self.material if not o.detected]

    def false_alarms(self) -> list[Outcome]:
        return [o for o in self.untouched if o.detected]

    def tracebacks(self) -> list[str]:
        """``label: verifier`` for every run that ended in a traceback (untouched copies included)."""
        found = [f"{e.label}: {r.name}" for e, o in self.results for r in o.tracebacks]
        return found + [f"(untouched): {r.name}" for o in self.untouched for r in o.tracebacks]

    def unnamed(self) -> list[str]:
        """Detected edits whose table ``verify-sitting`` does not name (it should name each mismatch)."""
        return [f"{e.label} ({e.table})" for e, o in self.material if o.detected and not names_table(o, e.table)]

    def by_category(self) -> dict[str, tuple[int, int]]:
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for edit, outcome in self.material:
            counts[edit.category][0] += outcome.detected
            counts[edit.category][1] += 1
        return {category: (d, n) for category, (d, n) in counts.items()}

    @property
    def rate(self) -> float:
        material = self.material
        return sum(o.detected for _, o in material) / len(material) if material else 0.0

    def report(self) -> list[str]:
        lines = [f"{category:<24} detected {d:>3} of {n:>3}" for category, (d, n) in self.by_category().items()]
        not_material = [(e, o) for e, o in self.results if not e.material]
        lines.append(f"not material (not counted): {sum(o.detected for _, o in not_material)} of "
                     f"{len(not_material)} flagged")
        lines.append(f"false alarms: {len(self.false_alarms())} of {len(self.untouched)} untouched copies")
        tracebacks = self.tracebacks()
        lines.append(f"tracebacks: {len(tracebacks)}" + "".join(f"\n  {t}" for t in tracebacks))
        unnamed = self.unnamed()
        lines.append(f"detected but not named by verify-sitting: {len(unnamed)}" + "".join(f"\n  {u}" for u in unnamed))
        undetected = self.undetected()
        lines.append(f"undetected: {len(undetected)}" + "".join(f"\n  {e.label}" for e in undetected))
        lines.append(f"material edits: {sum(o.detected for _, o in self.material)} of {len(self.material)} detected")
        return lines


def names_table(outcome: Outcome, table: str) -> bool:
    """Whether a ``FAILED`` line of ``verify-sitting`` names ``table`` (``FAILED check: table[row].field …``)."""
    return re.search(rf"FAILED [^:\n]+: {re.escape(table)}(\[|\.|:| )", outcome.sitting_run().output) is not None


_JOB: tuple[Finished, Path, list[Edit]] | None = None
_COPIES: Copies | None = None


def _freeze_the_template() -> None:
    """What exists before the first copy (the built sitting, the imported modules) is never garbage the
    copies make: frozen, each copy's ``gc.collect`` walks only what its verifiers left (a full walk of the
    worker's heap was half a second a copy, and in a forked worker it also copies the parent's pages)."""
    gc.collect()
    gc.freeze()


def _check(index: int) -> Outcome:
    """Worker: copy ``index`` of the job (negative: an untouched copy)."""
    global _COPIES
    assert _JOB is not None
    finished, workdir, edits = _JOB
    if _COPIES is None:
        _COPIES = Copies(finished, workdir)
    return check_copy(finished, _COPIES, edits[index].apply if index >= 0 else None)


@contextlib.contextmanager
def fresh_engine(database_url: str | None, workdir: Path) -> Iterator[Engine]:
    """A new migrated database: a SQLite file in ``workdir``, or beside ``database_url`` on PostgreSQL."""
    if database_url and database_url.startswith("postgresql"):
        with scratch_postgres(database_url, "examsvc_tamper") as engine:
            yield engine
        return
    engine = make_engine(f"sqlite:///{workdir / f'finished-{uuid.uuid4().hex[:8]}.sqlite3'}")
    try:
        migrate.upgrade(engine)
        yield engine
    finally:
        engine.dispose()


def check_during(edit: Edit, database_url: str | None, workdir: Path, candidates: int) -> Outcome:
    """An edit made while the exam runs: a sitting built for it alone, then checked like any copy."""
    assert edit.during is not None
    folder = workdir / f"during-{uuid.uuid4().hex[:8]}"
    with fresh_engine(database_url, workdir) as engine:
        finished = build_sitting(engine, folder, candidates, during=edit.during)
        copies = Copies(finished, folder)
        try:
            return check_copy(finished, copies, None)
        finally:
            copies.close()


def run_campaign(finished: Finished, workdir: Path, edits: list[Edit], *, untouched: int = 3,
                 workers: int = 1, database_url: str | None = None) -> Campaign:
    """Every edit on a copy of its own, and ``untouched`` copies spread among them; an edit made during
    the exam on a sitting of its own (on ``database_url``'s server, else SQLite)."""
    global _JOB, _COPIES
    later = [e for e in edits if e.during is not None]
    edits = [e for e in edits if e.during is None]
    _JOB, _COPIES = (finished, workdir, edits), None
    step = max(1, len(edits) // max(1, untouched))
    order = list(range(len(edits)))
    for k in range(untouched):  # untouched copies interleaved, so a verifier that drifts over the run shows
        order.insert(min(len(order), k * (step + 1)), -1 - k)
    try:
        if workers <= 1:
            _freeze_the_template()
            try:
                outcomes = [_check(i) for i in order]
            finally:
                gc.unfreeze()
        else:
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                     initializer=_freeze_the_template) as pool:
                outcomes = list(pool.map(_check, order))
    finally:
        if _COPIES is not None:
            _COPIES.close()
        _JOB, _COPIES = None, None
    by_index = dict(zip(order, outcomes, strict=True))
    results = [(edit, by_index[i]) for i, edit in enumerate(edits)]
    results += [(edit, check_during(edit, database_url, workdir, finished.candidates)) for edit in later]
    return Campaign(results=results,
                    untouched=[by_index[-1 - k] for k in range(untouched)])
