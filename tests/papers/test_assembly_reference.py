"""docs/assembly.md, transcribed literally and slowly, must give the same papers as the fast assembly.

The reference below recomputes everything for every pick (the counts, the eligible list) the way the
document words it, and builds the keystream itself from AES-256 blocks; examsvc.papers.assembly caches
eligible lists and draws in batches. Any difference between the two is a bug in one of them or an
ambiguity in the document."""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from examsvc.banks.document import Level, QuestionType
from examsvc.blueprints.document import Blueprint, KnowledgePointQuota, Section
from examsvc.papers.assembly import DrawFailed, PaperItem, PoolQuestion, assemble, prepare
from examsvc.papers.stream import candidate_seed
from tests.papers.builders import electrician_rule, sample_pool
from tests.papers.vectors import VECTOR_POOL, VECTOR_RULE, VECTOR_SEED

SITTING_SEED = hashlib.sha256(b"reference sitting seed").digest()
POOL = sample_pool()


class _Keystream:
    """§2: AES-256(seed, k as a 16-byte big-endian integer) for k = 0, 1, …, read 8 bytes at a time."""

    def __init__(self, seed: bytes) -> None:
        self._aes = Cipher(algorithms.AES(seed), modes.ECB()).encryptor()  # noqa: S305 - CTR built by hand
        self._values = self._generate()

    def _generate(self) -> Iterator[int]:
        k = 0
        while True:
            yield from struct.unpack(">2Q", self._aes.update(k.to_bytes(16, "big")))
            k += 1

    def uniform(self, n: int) -> int:
        while True:
            x = next(self._values)
            if x < 2**64 - 2**64 % n:
                return x % n


@dataclass(frozen=True)
class _Quota:
    inside: Callable[[PoolQuestion], bool]
    low: int
    high: int


def _ceil_percent(a: int, n: int) -> int:
    return -(-a * n // 100)


def _quotas(rule: Blueprint, count: int) -> list[_Quota]:
    """§3, in its order."""

    def shares(share: int, tolerance: int) -> tuple[int, int]:
        return _ceil_percent(max(0, share - tolerance), count), min(100, share + tolerance) * count // 100

    out = []
    for level in (Level.AWARE, Level.GRASP, Level.MASTER):
        if level in rule.level_shares:
            out.append(_Quota(lambda q, v=level: q.level == v, *shares(rule.level_shares[level], rule.level_tolerance)))
    for difficulty in (1, 2, 3):
        if difficulty in rule.difficulty_shares:
            out.append(_Quota(lambda q, v=difficulty: q.difficulty == v,
                              *shares(rule.difficulty_shares[difficulty], rule.difficulty_tolerance)))
    for kp in rule.knowledge_point_quotas:
        out.append(_Quota(lambda q, p=kp.prefix: q.knowledge_point == p or q.knowledge_point.startswith(p + "."),
                          kp.minimum, count if kp.maximum is None else kp.maximum))
    if rule.provincial_min_share > 0:
        out.append(_Quota(lambda q: q.part == "provincial", _ceil_percent(rule.provincial_min_share, count), count))
    return out


def _round(candidates: list[PoolQuestion], quotas: list[_Quota], count: int, stream: _Keystream
           ) -> list[PoolQuestion] | None:
    """§4 steps 2–3: the questions taken in order, or None if the round fails."""
    taken: list[PoolQuestion] = []

    def count_in(quota: _Quota) -> int:
        return sum(1 for q in taken if quota.inside(q))

    def take_one(inside: Callable[[PoolQuestion], bool]) -> bool:
        full = [quota for quota in quotas if count_in(quota) >= quota.high]
        eligible = [q for q in candidates if inside(q) and not any(quota.inside(q) for quota in full)]
        if all(q in taken for q in eligible):
            return False
        while True:
            q = eligible[stream.uniform(len(eligible))]
            if q not in taken:
                taken.append(q)
                return True

    for quota in quotas:
        if quota.low <= 0:
            continue
        need = quota.low - count_in(quota)
        if need <= 0:
            continue
        if need > count - len(taken):
            return None
        for _ in range(need):
            if not take_one(quota.inside):
                return None
    while len(taken) < count:
        if not take_one(lambda q: True):
            return None
    return taken


def _rounds(candidates: list[PoolQuestion], quotas: list[_Quota], count: int, stream: _Keystream
            ) -> list[PoolQuestion] | None:
    for _ in range(32):
        taken = _round(candidates, quotas, count, stream)
        if taken is not None:
            return taken
    return None


def _order_of_rank(labels: str, rank: int) -> str:
    """§5: with m labels left, the next is the (rank div (m−1)!)-th of them; rank becomes rank mod (m−1)!."""
    left, out = list(labels), ""
    for m in range(len(labels), 0, -1):
        d, rank = divmod(rank, math.factorial(m - 1))
        out += left.pop(d)
    return out


def reference_paper(rule: Blueprint, pool: list[PoolQuestion], seed: bytes,
                    seen: frozenset[str] = frozenset()) -> list[PaperItem]:
    stream = _Keystream(seed)
    by_key = sorted(pool, key=lambda q: q.key.encode())
    items = []
    for section in rule.sections:
        candidates = [q for q in by_key if q.type == section.type]
        quotas = _quotas(rule, section.count)
        taken = None
        if rule.avoid_seen_questions and seen:
            unseen = [q for q in candidates if q.key not in seen]
            if len(unseen) >= section.count:
                taken = _rounds(unseen, quotas, section.count, stream)
        if taken is None:
            taken = _rounds(candidates, quotas, section.count, stream)
        if taken is None:
            raise DrawFailed(section.type)
        if rule.shuffle_questions:
            for i in range(len(taken) - 1, 0, -1):
                j = stream.uniform(i + 1)
                taken[i], taken[j] = taken[j], taken[i]
        else:
            taken.sort(key=lambda q: q.key.encode())
        for q in taken:
            options = q.option_labels
            if rule.shuffle_options and len(options) >= 2:
                options = _order_of_rank(options, stream.uniform(math.factorial(len(options))))
            items.append(PaperItem(q.key, q.revision, q.part, q.type, section.points, options))
    return items


def _same(rule: Blueprint, pool: list[PoolQuestion], seeds: list[bytes],
          seen: frozenset[str] = frozenset()) -> None:
    plan = prepare(rule, pool)
    for seed in seeds:
        assert assemble(plan, seed, seen) == reference_paper(rule, pool, seed, seen)


def _seeds(n: int, label: str = "A") -> list[bytes]:
    return [candidate_seed(SITTING_SEED, f"{label}{k}") for k in range(n)]


def test_the_electrician_rule() -> None:
    _same(electrician_rule(), POOL, _seeds(12))


def test_maxima_difficulties_and_no_shuffling() -> None:
    rule = electrician_rule(
        difficulty_shares={1: 40, 2: 40, 3: 20}, difficulty_tolerance=10,
        knowledge_point_quotas=(KnowledgePointQuota("1", minimum=3, maximum=6), KnowledgePointQuota("2", maximum=8),
                                KnowledgePointQuota("3.2", minimum=2, maximum=2)))
    _same(rule, POOL, _seeds(8))
    _same(replace(rule, shuffle_questions=False), POOL, _seeds(4, "B"))
    _same(replace(rule, shuffle_options=False), POOL, _seeds(4, "C"))


def test_retakes() -> None:
    rule = electrician_rule()
    first = reference_paper(rule, POOL, _seeds(1)[0])
    seen = frozenset(i.key for i in first)
    _same(rule, POOL, _seeds(6, "R"), seen)
    # Seen almost everything of one type: the unseen draw is impossible, all candidates are drawn from.
    seen_nearly_all = frozenset(q.key for q in POOL if q.type == QuestionType.SINGLE_CHOICE)
    _same(rule, POOL, _seeds(3, "S"), seen_nearly_all)


def test_options_of_every_length() -> None:
    # One label (nothing to draw), two, four and five (whose orders are made when drawn).
    labels = ("A", "AB", "ABCD", "ABCDE")
    pool = [replace(q, option_labels=labels[n % 4]) if q.type == QuestionType.SINGLE_CHOICE else q
            for n, q in enumerate(VECTOR_POOL)]
    _same(VECTOR_RULE, pool, [VECTOR_SEED, *_seeds(20, "O")])


def test_small_pools_where_rounds_fail() -> None:
    # The test vector's pool is tiny: rounds run out of eligible questions and start again.
    _same(VECTOR_RULE, VECTOR_POOL, [VECTOR_SEED, *_seeds(40, "V")])
    tight = replace(VECTOR_RULE, sections=(Section(QuestionType.TRUE_FALSE, 10, 100),),
                    level_shares={Level.AWARE: 30, Level.GRASP: 30, Level.MASTER: 40}, level_tolerance=0,
                    knowledge_point_quotas=(KnowledgePointQuota("1.1", minimum=5, maximum=5),),
                    provincial_min_share=30)
    plan = prepare(tight, VECTOR_POOL)
    for seed in _seeds(30, "T"):
        try:
            expected = reference_paper(tight, VECTOR_POOL, seed)
        except DrawFailed:
            with pytest.raises(DrawFailed):
                assemble(plan, seed)
        else:
            assert assemble(plan, seed) == expected
    # Jointly impossible: every round fails, in both.
    impossible = replace(tight, level_shares={Level.MASTER: 100}, knowledge_point_quotas=(), provincial_min_share=50)
    with pytest.raises(DrawFailed):
        reference_paper(impossible, VECTOR_POOL, VECTOR_SEED)
    with pytest.raises(DrawFailed):
        assemble(prepare(impossible, VECTOR_POOL), VECTOR_SEED)
