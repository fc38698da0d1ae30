"""assemble(plan, seed) → paper items: a pure function, specified in docs/assembly.md.

``prepare(blueprint, pool)`` sorts the pool and works out each question's quota memberships once;
``assemble`` then draws each section (question type) on its own, in the blueprint's section order:

1. Candidates: the pool's questions of the section's type, in key order. If the rule avoids
   questions the candidate has seen and at least ``count`` unseen ones remain, the draw below is
   first tried on the unseen ones only; if it fails, it is done again on all of them.
2. The candidates are visited in the order of a forward Fisher–Yates shuffle produced lazily from
   the stream, in batches of 2·count positions (position t swaps with t + uniform(N − t)).
3. Minimums, in this order: each level's low bound (了解, 掌握, 熟练掌握), each difficulty's (1, 2, 3),
   each knowledge-point quota's minimum (in rule order), the provincial minimum. For each, visit the
   candidates from the start and take those inside it that keep every maximum, until it is met.
4. Fill: visit the candidates from the start and take any that keeps every maximum, until the count.
5. If a minimum is unmet, start a new round at step 2 (the stream goes on; at most 32 rounds);
   after that the draw fails.
6. Order: the section's questions shuffled (Fisher–Yates) if the rule says so, else in key order.
   Then, for each choice question in paper order, its option labels shuffled if the rule says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

from examsvc.banks.document import Level, QuestionType
from examsvc.blueprints.document import (
    Blueprint,
    Bounds,
    KnowledgePointQuota,
    Section,
    provincial_minimum,
    share_bounds,
)
from examsvc.crypto.canonical_json import canonical_json
from examsvc.papers.stream import Stream

PAPER_FORMAT = "examsvc-paper/1"
MAX_ROUNDS = 32
LEVEL_ORDER = (Level.AWARE, Level.GRASP, Level.MASTER)


@dataclass(frozen=True)
class PoolQuestion:
    """What assembly knows of a question: never its text."""

    key: str
    revision: int
    part: str  # "national" or "provincial"
    type: QuestionType
    knowledge_point: str
    level: Level
    difficulty: int
    option_labels: str  # "ABCD"; "" for true/false


class PaperItem(NamedTuple):
    key: str
    revision: int
    part: str
    type: QuestionType
    points: int
    options: str  # displayed order of the original labels, e.g. "CADB"; "" for true/false


class DrawFailed(ValueError):
    """The pool cannot satisfy the rule for this seed: the rule should not have been approved."""


@dataclass(frozen=True)
class _Constraint:
    name: str
    member: Callable[[PoolQuestion], bool]
    bounds: Bounds


def _has_level(level: Level, q: PoolQuestion) -> bool:
    return q.level == level


def _has_difficulty(difficulty: int, q: PoolQuestion) -> bool:
    return q.difficulty == difficulty


def _in_quota(quota: KnowledgePointQuota, q: PoolQuestion) -> bool:
    return quota.matches(q.knowledge_point)


def _is_provincial(q: PoolQuestion) -> bool:
    return q.part == "provincial"


def section_constraints(blueprint: Blueprint, section: Section) -> list[_Constraint]:
    """The section's quotas in the order assembly meets their minimums (docs/assembly.md §3)."""
    n = section.count
    out: list[_Constraint] = []
    for level in LEVEL_ORDER:
        if level in blueprint.level_shares:
            out.append(_Constraint(f"level {level}", partial(_has_level, level),
                                   share_bounds(blueprint.level_shares[level], blueprint.level_tolerance, n)))
    for difficulty in (1, 2, 3):
        if difficulty in blueprint.difficulty_shares:
            out.append(_Constraint(f"difficulty {difficulty}", partial(_has_difficulty, difficulty),
                                   share_bounds(blueprint.difficulty_shares[difficulty],
                                                blueprint.difficulty_tolerance, n)))
    for quota in blueprint.knowledge_point_quotas:
        out.append(_Constraint(f"knowledge point {quota.prefix}", partial(_in_quota, quota),
                               Bounds(quota.minimum, n if quota.maximum is None else quota.maximum)))
    minimum = provincial_minimum(blueprint, n)
    if minimum:
        out.append(_Constraint("provincial part", _is_provincial, Bounds(minimum, n)))
    return out


@dataclass(frozen=True)
class SectionPlan:
    section: Section
    constraints: list[_Constraint]
    candidates: list[PoolQuestion]
    membership: list[tuple[int, ...]]  # per candidate: the indices of the quotas it belongs to

    def restricted_to(self, keep: Callable[[PoolQuestion], bool]) -> SectionPlan:
        rows = [(q, m) for q, m in zip(self.candidates, self.membership, strict=True) if keep(q)]
        return SectionPlan(self.section, self.constraints, [q for q, _ in rows], [m for _, m in rows])


@dataclass(frozen=True)
class Plan:
    blueprint: Blueprint
    sections: list[SectionPlan]


def prepare(blueprint: Blueprint, pool: Sequence[PoolQuestion]) -> Plan:
    for q in pool:
        _check_plain(q)
    by_key = sorted(pool, key=lambda q: q.key)
    sections = []
    for section in blueprint.sections:
        constraints = section_constraints(blueprint, section)
        candidates = [q for q in by_key if q.type == section.type]
        membership = [tuple(i for i, c in enumerate(constraints) if c.member(q)) for q in candidates]
        sections.append(SectionPlan(section, constraints, candidates, membership))
    return Plan(blueprint, sections)


def _round(plan: SectionPlan, stream: Stream) -> list[PoolQuestion] | None:
    """One round of steps 2–4; None if a minimum stayed unmet. (The hot loop of paper making: kept flat.)"""
    constraints, membership, count = plan.constraints, plan.membership, plan.section.count
    highs = [c.bounds.high for c in constraints]
    counts = [0] * len(constraints)
    taken: list[int] = []
    chosen = bytearray(len(plan.candidates))
    order = list(range(len(plan.candidates)))
    n = len(order)
    done = 0  # positions of the lazy shuffle produced so far
    step = 2 * count  # produced in batches; a visit only ever reads produced positions

    def visit(wanted: int, low: int) -> None:
        # Walk positions 0, 1, … (producing them as needed) until the quota's low bound, or the count, is met.
        # wanted = -1: any candidate (the fill of step 4).
        nonlocal done
        t = 0
        while t < n:
            if t == done:
                upto = min(n, done + step)
                stream.shuffle_prefix(order, done, upto)
                done = upto
            i = order[t]
            t += 1
            if chosen[i]:
                continue
            quotas = membership[i]
            if wanted >= 0 and wanted not in quotas:
                continue
            if any(counts[c] >= highs[c] for c in quotas):
                continue
            chosen[i] = 1
            taken.append(i)
            for c in quotas:
                counts[c] += 1
            if len(taken) == count or (wanted >= 0 and counts[wanted] >= low):
                return

    for c, constraint in enumerate(constraints):
        if counts[c] < constraint.bounds.low and len(taken) < count:
            visit(c, constraint.bounds.low)
    if len(taken) < count:
        visit(-1, 0)
    if len(taken) == count and all(c.bounds.contains(counts[k]) for k, c in enumerate(constraints)):
        return [plan.candidates[i] for i in taken]
    return None


def _draw(plan: SectionPlan, stream: Stream) -> list[PoolQuestion] | None:
    for _ in range(MAX_ROUNDS):
        picked = _round(plan, stream)
        if picked is not None:
            return picked
    return None


def _draw_section(plan: SectionPlan, avoid_seen: bool, seen: frozenset[str], stream: Stream) -> list[PoolQuestion]:
    if avoid_seen and seen:
        unseen = plan.restricted_to(lambda q: q.key not in seen)
        if len(unseen.candidates) >= plan.section.count:
            picked = _draw(unseen, stream)
            if picked is not None:
                return picked
    picked = _draw(plan, stream)
    if picked is None:
        raise DrawFailed(f"section {plan.section.type}: no draw meets every quota in {MAX_ROUNDS} rounds")
    return picked


def assemble(plan: Plan, seed: bytes, seen: frozenset[str] = frozenset()) -> list[PaperItem]:
    blueprint = plan.blueprint
    stream = Stream(seed)
    items: list[PaperItem] = []
    for section_plan in plan.sections:
        picked = _draw_section(section_plan, blueprint.avoid_seen_questions, seen, stream)
        if blueprint.shuffle_questions:
            stream.shuffle(picked)
        else:
            picked.sort(key=lambda q: q.key)
        points, shuffle_options = section_plan.section.points, blueprint.shuffle_options
        for q in picked:
            options = q.option_labels
            if shuffle_options and options:
                labels = list(options)
                stream.shuffle(labels)
                options = "".join(labels)
            items.append(PaperItem(q.key, q.revision, q.part, q.type, points, options))
    return items


_SAFE = re.compile(r"^[A-Za-z0-9_.-]*$")


def _check_plain(q: PoolQuestion) -> None:
    # Paper bytes are written by a template (below) that does not escape: every text in an item must
    # be a plain code, as bank import already guarantees for keys.
    for value in (q.key, q.part, str(q.type), q.option_labels):
        if not _SAFE.match(value):
            raise ValueError(f"question {q.key!r}: {value!r} is not a plain code")


def paper_document(*, blueprint_digest: str, bank_digests: dict[str, str], sitting: str, candidate: str,
                   items: Sequence[PaperItem], total_points: int) -> bytes:
    """The paper as RFC 8785 bytes (its SHA-256 is the paper digest), e.g.::

        {"banks":{"national":"<sha256>","provincial":"<sha256>"},"blueprint":"<sha256>","candidate":"…",
         "format":"examsvc-paper/1","items":[{"key":"LVN-0001","options":"","part":"national","points":10,
         "revision":1,"type":"true_false"},…],"sitting":"…","total_points":1000}

    The items are written by a template, not a general encoder (a general one was most of the cost
    of a paper); tests prove the bytes equal a reference RFC 8785 implementation's."""
    head = canonical_json({"banks": bank_digests, "blueprint": blueprint_digest, "candidate": candidate,
                           "format": PAPER_FORMAT})
    tail = canonical_json({"sitting": sitting, "total_points": total_points})
    body = ",".join(
        f'{{"key":"{i.key}","options":"{i.options}","part":"{i.part}","points":{i.points},'
        f'"revision":{i.revision},"type":"{i.type}"}}' for i in items)
    return head[:-1] + b',"items":[' + body.encode() + b"]," + tail[1:]
