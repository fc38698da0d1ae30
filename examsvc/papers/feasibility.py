"""Can a rule be met by a bank's pool? A report per cell (section × quota), then trial draws.

An infeasible rule must not be approved (暂行办法 art. 19: papers are drawn under the rule, so a rule
the pool cannot meet would force hand-picking)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from examsvc.blueprints.document import Blueprint
from examsvc.papers.assembly import DrawFailed, PoolQuestion, assemble, prepare

TRIAL_DRAWS = 50


@dataclass(frozen=True)
class Cell:
    section: str
    quota: str
    need: int  # questions the section must take from this cell at least
    pool: int  # questions the pool has in it

    @property
    def ok(self) -> bool:
        return self.pool >= self.need


@dataclass(frozen=True)
class FeasibilityReport:
    cells: list[Cell]
    trial_draws: int
    failed_draws: int

    @property
    def feasible(self) -> bool:
        return all(c.ok for c in self.cells) and self.failed_draws == 0


def check(blueprint: Blueprint, pool: Sequence[PoolQuestion], trial_draws: int = TRIAL_DRAWS) -> FeasibilityReport:
    plan = prepare(blueprint, pool)
    cells: list[Cell] = []
    for section_plan in plan.sections:
        name = str(section_plan.section.type)
        cells.append(Cell(name, "all", section_plan.section.count, len(section_plan.candidates)))
        for c, constraint in enumerate(section_plan.constraints):
            members = sum(1 for quotas in section_plan.membership if c in quotas)
            cells.append(Cell(name, constraint.name, constraint.bounds.low, members))
    failed = 0
    if all(c.ok for c in cells):
        # Quotas can each be met and still not together: draw papers with fixed public seeds.
        for n in range(trial_draws):
            try:
                assemble(plan, hashlib.sha256(b"examsvc feasibility trial %d" % n).digest())
            except DrawFailed:
                failed += 1
    return FeasibilityReport(cells=cells, trial_draws=trial_draws if all(c.ok for c in cells) else 0,
                             failed_draws=failed)
