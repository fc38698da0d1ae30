"""assemble(plan, seed) → paper items: a pure function, specified in docs/assembly.md.

``prepare(blueprint, pool)`` sorts the pool and works out each question's quota memberships once per
rule and pool; ``assemble`` then draws each section (question type) on its own, in the rule's order:

1. Candidates: the pool's questions of the section's type, in key order. If the rule avoids questions
   the candidate has seen and at least ``count`` unseen ones remain, the draw is first tried on the
   unseen ones only; if it fails, it is done again on all of them.
2. Steps: each quota's minimum, in the order of §3 (levels 了解, 掌握, 熟练掌握; difficulties 1, 2, 3;
   knowledge-point quotas in rule order; the provincial part), then the fill up to the count. A
   minimum step takes the questions still missing from its quota; each is drawn uniformly among the
   questions *eligible* (inside the quota, every quota of theirs below its maximum): r = uniform(how
   many are eligible, taken ones included); if the r-th (key order) is taken already, draw again.
3. A round fails if a minimum needs more questions than places are left, or if no eligible question
   is left; then the next round starts (the stream goes on); after 32 rounds the draw fails.
4. Order: the section's questions shuffled (Fisher–Yates) if the rule says so, else in key order.
   Then, if the rule says so, each question with options in paper order gets the order of rank
   uniform(k!) (k its options) among the orders of its labels in lexicographic order of positions.

Only the eligible lists depend on a paper's draws, and only through which quotas are full: each list
is made the first time its (step, full quotas) occurs and reused by every paper after; and between two
quotas filling, picks are made in a flat loop (the hot loop of paper making).
"""

from __future__ import annotations

import copy
import functools
import itertools
import math
import operator
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple, Protocol

from examsvc.banks.document import Level, QuestionType
from examsvc.blueprints.document import (
    Blueprint,
    Bounds,
    KnowledgePointQuota,
    Section,
    provincial_minimum,
    share_bounds,
)
from examsvc.papers.stream import FAST_ACCEPT, TWO_64, Stream, nth_permutation

MAX_ROUNDS = 32
MAX_OPTIONS = 12  # 12! < 2^32, which the fast acceptance test of uniform() relies on
_LISTED_OPTIONS = 4  # items made for every order of up to 4! = 24 (more: made when drawn)
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


class _Draw:
    """What a round needs to draw a section (docs/assembly.md §4), for some of its candidates."""

    def __init__(self, count: int, constraints: list[_Constraint], membership: list[tuple[int, ...]],
                 included: Sequence[int]) -> None:
        self.count = count
        self.size = len(membership)  # candidates of the section
        self.included = list(included)  # the candidates drawn from (fewer when avoiding seen questions), key order
        self.lows = [c.bounds.low for c in constraints]
        self.highs = [c.bounds.high for c in constraints]
        self.steps = [*(q for q, low in enumerate(self.lows) if low > 0), -1]  # minimums in §3 order, then the fill
        self.full = sum(1 << q for q, high in enumerate(self.highs) if high <= 0)  # at their maximum from the start
        self.bits = [sum(1 << q for q in m) for m in membership]  # per candidate: its quotas as a bit set
        # Per candidate, its quotas as packed counts: a field of ``width`` bits per quota (enough for the
        # count), 1 in each of its quotas; the sum over some candidates is every quota's count among them.
        width = max(1, count).bit_length()
        self.mask = (1 << width) - 1
        self.shifts = [width * q for q in range(len(constraints))]
        packed: dict[tuple[int, ...], int] = {}
        self.code = [packed.setdefault(m, sum(1 << self.shifts[q] for q in m)) for m in membership]
        self.groups: dict[int, list[int]] = {}  # the included candidates (key order) by quota bit set
        for i in self.included:
            self.groups.setdefault(self.bits[i], []).append(i)
        self.pools: dict[tuple[int, int], tuple[array[int], tuple[int, ...]]] = {}

    def restricted_to(self, keep: Callable[[int], bool]) -> _Draw:
        """The same draw from the included candidates that ``keep`` keeps."""
        restricted = copy.copy(self)
        restricted.included = [i for i in self.included if keep(i)]
        restricted.groups = {}
        for i in restricted.included:
            restricted.groups.setdefault(self.bits[i], []).append(i)
        restricted.pools = {}
        return restricted

    def pool(self, step: int, full: int) -> tuple[array[int], tuple[int, ...]]:
        """The eligible list for a step (a quota's index, or -1 for the fill) while the quotas in the bit set
        ``full`` are at their maximum: the included candidates (key order) inside the step's quota and outside
        every full one; and the quotas of its questions that can reach their maximum while drawing (a quota's
        count never exceeds the questions taken, below the section's count until the last pick)."""
        groups = [bits for bits in self.groups if not bits & full and (step < 0 or bits >> step & 1)]
        pool = array("i", sorted(itertools.chain.from_iterable(self.groups[bits] for bits in groups)))
        union = functools.reduce(operator.or_, groups, 0)
        entry = (pool, tuple(q for q in range(len(self.lows)) if union >> q & 1 and self.highs[q] < self.count))
        self.pools[step, full] = entry
        return entry

    def taken_inside(self, taken: Iterable[int], step: int, full: int) -> int:
        """How many of ``taken`` are in the eligible list of (step, full)."""
        bits = self.bits
        return sum(1 for i in taken if not bits[i] & full and (step < 0 or bits[i] >> step & 1))


@dataclass(frozen=True)
class SectionPlan:
    section: Section
    constraints: list[_Constraint]
    candidates: list[PoolQuestion]  # key order
    membership: list[tuple[int, ...]]  # per candidate: the indices of the quotas it belongs to
    draw: _Draw
    items: list[PaperItem]  # per candidate: its paper item, options in bank order
    arrangements: list[int]  # per candidate: how many orders its options have (0! = 1! = 1: none to draw)
    variants: list[_Variants]  # per candidate: its item with its options in each order, by rank
    options: int  # how many candidates have options to shuffle


class _Variants(Protocol):
    def __getitem__(self, rank: int, /) -> PaperItem: ...


class _MadeWhenAsked:
    """A question's items for the many orders of five or more options, made when first drawn."""

    __slots__ = ("item", "made")

    def __init__(self, item: PaperItem) -> None:
        self.item = item
        self.made: dict[int, PaperItem] = {}

    def __getitem__(self, rank: int) -> PaperItem:
        variant = self.made.get(rank)
        if variant is None:
            variant = self.made[rank] = self.item._replace(options=nth_permutation(self.item.options, rank))
        return variant


def _variants(item: PaperItem, listed: dict[str, list[str]]) -> _Variants:
    """The item with its options in each order, by rank (lexicographic order of positions, which is the
    order itertools.permutations yields): made once per rule and pool when few, so that papers share them."""
    labels = item.options
    if len(labels) > _LISTED_OPTIONS:
        return _MadeWhenAsked(item)
    if labels not in listed:
        listed[labels] = ["".join(p) for p in itertools.permutations(labels)]
    head = item[:5]
    return [PaperItem._make((*head, options)) for options in listed[labels]]


@dataclass(frozen=True)
class Plan:
    blueprint: Blueprint
    sections: list[SectionPlan]


def prepare(blueprint: Blueprint, pool: Sequence[PoolQuestion]) -> Plan:
    for q in pool:
        _check_plain(q)
    by_key = sorted(pool, key=lambda q: q.key)
    listed: dict[str, list[str]] = {}
    sections = []
    for section in blueprint.sections:
        constraints = section_constraints(blueprint, section)
        candidates = [q for q in by_key if q.type == section.type]
        membership = [tuple(i for i, c in enumerate(constraints) if c.member(q)) for q in candidates]
        items = [PaperItem(q.key, q.revision, q.part, q.type, section.points, q.option_labels) for q in candidates]
        shuffled = blueprint.shuffle_options
        sections.append(SectionPlan(
            section, constraints, candidates, membership,
            _Draw(section.count, constraints, membership, range(len(candidates))), items,
            arrangements=[math.factorial(len(q.option_labels)) for q in candidates],
            variants=[_variants(item, listed) if shuffled and len(item.options) > 1 else [item] for item in items],
            options=sum(len(q.option_labels) > 1 for q in candidates)))
    return Plan(blueprint, sections)


def _round(draw: _Draw, values: Iterator[int]) -> list[int] | None:
    """One round of docs/assembly.md §4: the candidates taken, in order, or None if a quota cannot be met.
    (The hot loop of paper making: kept flat.)"""
    count, lows, code, pools, shifts, mask = draw.count, draw.lows, draw.code, draw.pools, draw.shifts, draw.mask
    taken: dict[int, None] = {}  # the candidates taken, in order (a dict: membership is what the draw asks most)
    counts = 0  # every quota's count, packed (see _Draw.code)
    room = draw.highs[:]  # per quota that can reach its maximum while drawing: places left below it
    full = draw.full  # the quotas at their maximum, as a bit set
    for step in draw.steps:
        if step < 0:
            picks = count - len(taken)
        else:
            picks = lows[step] - (counts >> shifts[step] & mask)
            if picks > count - len(taken):
                return None
        while picks > 0:
            # The eligible list changes only when a quota reaches its maximum: until then, draw against the
            # same list, rejecting questions already taken; no quota can reach its maximum within ``batch``.
            pool, binding = pools.get((step, full)) or draw.pool(step, full)
            n = len(pool)
            left = n - len(taken)  # eligible questions not taken, at least
            if left < picks:
                left = n - draw.taken_inside(taken, step, full)  # exactly
                if not left:
                    return None  # no eligible question left
            batch = min(left, picks, *map(room.__getitem__, binding))
            picks -= batch
            start = len(taken)
            for x in values:
                if x >= FAST_ACCEPT and x >= TWO_64 - TWO_64 % n:
                    continue  # uniform(n): draw again
                i = pool[x % n]
                if i in taken:
                    continue  # taken already: draw again
                taken[i] = None
                batch -= 1
                if not batch:
                    break
            new = sum(map(code.__getitem__, itertools.islice(taken, start, None)))
            counts += new
            for q in binding:
                room[q] -= new >> shifts[q] & mask
                if not room[q]:
                    full |= 1 << q
    return list(taken)


def _rounds(draw: _Draw, values: Iterator[int]) -> list[int] | None:
    for _ in range(MAX_ROUNDS):
        picked = _round(draw, values)
        if picked is not None:
            return picked
    return None


def _draw_section(plan: SectionPlan, avoid_seen: bool, seen: frozenset[str], values: Iterator[int]) -> list[int]:
    if avoid_seen and seen:
        candidates = plan.candidates
        unseen = plan.draw.restricted_to(lambda i: candidates[i].key not in seen)
        if len(unseen.included) >= plan.section.count:
            picked = _rounds(unseen, values)
            if picked is not None:
                return picked
    picked = _rounds(plan.draw, values)
    if picked is None:
        raise DrawFailed(f"section {plan.section.type}: no draw meets every quota in {MAX_ROUNDS} rounds")
    return picked


def assemble(plan: Plan, seed: bytes, seen: frozenset[str] = frozenset()) -> list[PaperItem]:
    blueprint = plan.blueprint
    stream = Stream(seed)
    values = stream.values
    items: list[PaperItem] = []
    for section_plan in plan.sections:
        picked = _draw_section(section_plan, blueprint.avoid_seen_questions, seen, values)
        if blueprint.shuffle_questions:
            stream.shuffle(picked)
        else:
            picked.sort()  # candidate indices are in key order
        plain = section_plan.items
        if not blueprint.shuffle_options or not section_plan.options:
            items += map(plain.__getitem__, picked)
            continue
        arrangements, variants = section_plan.arrangements, section_plan.variants
        if section_plan.options == len(plain):  # every question has options: one draw each
            for i, x in zip(picked, values, strict=False):  # values: endless
                n = arrangements[i]
                while x >= FAST_ACCEPT and x >= TWO_64 - TWO_64 % n:  # uniform(n), inlined
                    x = next(values)
                items.append(variants[i][x % n])
            continue
        for i in picked:
            n = arrangements[i]
            if n == 1:
                items.append(plain[i])
                continue
            x = next(values)
            while x >= FAST_ACCEPT and x >= TWO_64 - TWO_64 % n:
                x = next(values)
            items.append(variants[i][x % n])
    return items


_SAFE = re.compile(r"^[A-Za-z0-9_.-]*$")


def _check_plain(q: PoolQuestion) -> None:
    # Paper bytes are written by a template (below) that does not escape: every text in an item must
    # be a plain code, as bank import already guarantees for keys.
    for value in (q.key, q.part, str(q.type), q.option_labels):
        if not _SAFE.match(value):
            raise ValueError(f"question {q.key!r}: {value!r} is not a plain code")
    if len(q.option_labels) > MAX_OPTIONS:
        raise ValueError(f"question {q.key!r}: more than {MAX_OPTIONS} options")
