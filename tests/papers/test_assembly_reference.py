"""docs/assembly.md, transcribed literally and slowly, must give the same papers as the fast assembly.

The reference is tests/independent/assembly_from_docs.py, written from the page alone (no examsvc code):
it recomputes everything for every pick (the counts, the eligible list) the way the page words it;
examsvc.papers.assembly caches eligible lists and draws in batches. Any difference between the two is a
bug in one of them or an ambiguity in the page."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import pytest

from examsvc.banks.document import Level, QuestionType
from examsvc.blueprints.document import Blueprint, KnowledgePointQuota, Section
from examsvc.papers.assembly import DrawFailed, PaperItem, PoolQuestion, assemble, prepare
from examsvc.papers.stream import candidate_seed
from tests.independent import assembly_from_docs as from_docs
from tests.papers.builders import electrician_rule, sample_pool
from tests.papers.vectors import VECTOR_POOL, VECTOR_RULE, VECTOR_SEED

SITTING_SEED = hashlib.sha256(b"reference sitting seed").digest()
POOL = sample_pool()


def _plain(q: PoolQuestion) -> dict[str, Any]:
    return {"key": q.key, "revision": q.revision, "part": q.part, "type": str(q.type),
            "knowledge_point": q.knowledge_point, "level": str(q.level), "difficulty": q.difficulty,
            "options": q.option_labels}


def reference_paper(rule: Blueprint, pool: list[PoolQuestion], seed: bytes,
                    seen: frozenset[str] = frozenset()) -> list[PaperItem]:
    """The paper tests/independent/assembly_from_docs.py makes from the rule's canonical form."""
    try:
        items = from_docs.paper(rule.canonical(), seed, set(seen), [_plain(q) for q in pool])
    except from_docs.DrawFailed as failed:
        raise DrawFailed(str(failed)) from None
    return [PaperItem(i["key"], i["revision"], i["part"], QuestionType(i["type"]), i["points"], i["options"])
            for i in items]


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
