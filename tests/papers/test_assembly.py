"""Assembly: every paper meets every quota of its rule; same inputs, same bytes; candidates differ."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import Counter

import jcs
import pytest
from cryptography.hazmat.primitives.ciphers import modes

from examsvc.banks.document import Level, QuestionType
from examsvc.blueprints.document import Section, share_bounds
from examsvc.crypto.canonical_json import canonical_json
from examsvc.papers.assembly import DrawFailed, PaperItem, PoolQuestion, assemble, prepare
from examsvc.papers.document import paper_document, seen_digest
from examsvc.papers.feasibility import check
from examsvc.papers.stream import Stream, candidate_seed, nth_permutation
from tests.papers.builders import electrician_rule, sample_pool

SITTING_SEED = hashlib.sha256(b"test sitting seed").digest()
POOL = sample_pool()
BY_KEY = {q.key: q for q in POOL}


def _paper(seed: bytes, rule: object = None, seen: frozenset[str] = frozenset()) -> list[PaperItem]:
    return assemble(prepare(rule or electrician_rule(), POOL), seed, seen)  # type: ignore[arg-type]


def _document(items: list[PaperItem], candidate: str = "A1") -> bytes:
    return paper_document(blueprint_digest="b" * 64, bank_digests={"national": "n" * 64, "provincial": "p" * 64},
                          sitting="S-1", candidate=candidate, items=items, total_points=1000, seen=())


def test_every_paper_meets_every_quota() -> None:
    rule = electrician_rule()
    plan = prepare(rule, POOL)
    for n in range(150):
        items = assemble(plan, candidate_seed(SITTING_SEED, f"1400{n:06d}"))
        assert len({i.key for i in items}) == len(items) == 100
        for section in rule.sections:
            chosen = [BY_KEY[i.key] for i in items if i.type == section.type]
            assert len(chosen) == section.count
            assert all(i.points == section.points for i in items if i.type == section.type)
            levels = Counter(q.level for q in chosen)
            for level, share in rule.level_shares.items():
                assert share_bounds(share, rule.level_tolerance, section.count).contains(levels[level])
            assert sum(q.part == "provincial" for q in chosen) >= 0.15 * section.count
            for quota in rule.knowledge_point_quotas:
                assert sum(quota.matches(q.knowledge_point) for q in chosen) >= quota.minimum
        for item in items:
            assert sorted(item.options) == sorted(BY_KEY[item.key].option_labels)


def test_same_inputs_give_the_same_paper_and_candidates_differ() -> None:
    seeds = [candidate_seed(SITTING_SEED, f"A{n}") for n in range(20)]
    digests = [hashlib.sha256(_document(_paper(s))).hexdigest() for s in seeds]
    assert digests == [hashlib.sha256(_document(_paper(s))).hexdigest() for s in seeds]
    assert len(set(digests)) == len(digests)
    first, second = _paper(seeds[0]), _paper(seeds[1])
    assert [i.key for i in first] != [i.key for i in second]


def test_a_retake_avoids_seen_questions_where_the_pool_allows() -> None:
    rule = electrician_rule()
    plan = prepare(rule, POOL)
    avoided = 0
    for n in range(8):
        first = assemble(plan, candidate_seed(SITTING_SEED, f"retaker-{n}"))
        seen = frozenset(i.key for i in first if i.type == QuestionType.SINGLE_CHOICE)
        retake = assemble(plan, candidate_seed(SITTING_SEED, f"retaker-{n}-again"), seen)
        # 85 single choice questions, 55 unseen for 30 places: whether the unseen ones alone can meet
        # the rule depends on what was seen (the pool has 5 of knowledge point 3.2, the rule wants 2).
        if check(rule, [q for q in POOL if q.key not in seen], trial_draws=5).feasible:
            assert not {i.key for i in retake} & seen
            avoided += 1
    assert avoided >= 6
    # Seen every single choice question: fewer than 30 unseen remain, so the seen ones are drawn from.
    everything = frozenset(q.key for q in POOL if q.type == QuestionType.SINGLE_CHOICE)
    retake = assemble(plan, candidate_seed(SITTING_SEED, "retaker-again"), everything)
    assert sum(i.type == QuestionType.SINGLE_CHOICE for i in retake) == 30


def test_an_impossible_rule_fails_to_draw_and_is_reported_infeasible() -> None:
    rule = electrician_rule(level_shares={Level.AWARE: 80, Level.GRASP: 10, Level.MASTER: 10}, level_tolerance=0)
    with pytest.raises(DrawFailed):
        _paper(SITTING_SEED, rule)
    report = check(rule, POOL)
    assert not report.feasible
    bad = [c for c in report.cells if not c.ok]
    assert ("true_false", "level 了解", 56) in {(c.section, c.quota, c.need) for c in bad}
    assert check(electrician_rule(), POOL, trial_draws=10).feasible


def test_jointly_impossible_quotas_are_caught_by_trial_draws() -> None:
    # Each cell is large enough on its own, but the provincial questions are all 了解 while the rule
    # wants only 熟练掌握 and half provincial.
    pool = [PoolQuestion(f"P-{n}", 1, "provincial", QuestionType.TRUE_FALSE, "1.1", Level.AWARE, 1, "")
            for n in range(5)]
    pool += [PoolQuestion(f"N-{n}", 1, "national", QuestionType.TRUE_FALSE, "1.1", Level.MASTER, 1, "")
             for n in range(5)]
    rule = electrician_rule(sections=(Section(QuestionType.TRUE_FALSE, 4, 250),), knowledge_point_quotas=(),
                            level_shares={Level.MASTER: 100}, level_tolerance=0, provincial_min_share=50)
    report = check(rule, pool, trial_draws=5)
    assert all(cell.ok for cell in report.cells)
    assert report.failed_draws == 5 and not report.feasible


def test_paper_bytes_equal_a_reference_rfc8785_implementation() -> None:
    document = _document(_paper(candidate_seed(SITTING_SEED, "中文考生-1")), candidate="中文考生-1")
    parsed = json.loads(document)
    assert document == jcs.canonicalize(parsed) == canonical_json(parsed)


def test_the_stream_is_the_documented_aes_ctr_keystream() -> None:
    import struct

    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

    seed = bytes(range(32))
    stream = Stream(seed)
    # Block k of the keystream is AES-256(seed, k as a 16-byte big-endian counter).
    aes = Cipher(algorithms.AES(seed), modes.ECB()).encryptor()  # noqa: S305 - rebuilding CTR by hand
    block0 = aes.update((0).to_bytes(16, "big"))
    block1 = aes.update((1).to_bytes(16, "big"))
    assert [stream.next_u64() for _ in range(4)] == list(struct.unpack(">2Q", block0) + struct.unpack(">2Q", block1))


def test_uniform_has_no_modulo_bias_and_shuffles_are_permutations() -> None:
    stream = Stream(bytes(32))
    counts = Counter(stream.uniform(3) for _ in range(30_000))
    assert all(9_500 < counts[k] < 10_500 for k in range(3))
    items = list(range(50))
    stream.shuffle(items)
    assert sorted(items) == list(range(50)) and items != list(range(50))


def test_uniform_rejects_the_top_of_the_range_exactly() -> None:
    # A stream whose first integers are forced: 2^64 − 1 is rejected for n = 3 (2^64 mod 3 = 1) and for
    # n = 2^32 + 1 (beyond the fast acceptance test), 2^64 − 2^32 − 1 is accepted for every n <= 2^32.
    stream = Stream(bytes(32))
    stream.values = iter([2**64 - 1, 7, 2**64 - 2**32 - 1, 2**64 - 1, 5])
    assert stream.uniform(3) == 1
    assert stream.uniform(2**32) == (2**64 - 2**32 - 1) % 2**32
    assert stream.uniform(2**32 + 1) == 5
    stream.values = iter([2**64 - 1, 3, 2**64 - 1, 4])
    items = [1, 2, 3]
    stream.shuffle(items)  # uniform(3) rejects 2^64 − 1, takes 3 → 0; uniform(2) accepts 2^64 − 1 → 1
    assert items == [3, 2, 1] and next(stream.values) == 4


def test_option_orders_are_ranked_lexicographically() -> None:
    orders = [nth_permutation("ABCD", k) for k in range(24)]
    assert orders == sorted(orders) == ["".join(p) for p in itertools.permutations("ABCD")]
    assert (orders[0], orders[1], orders[2], orders[23]) == ("ABCD", "ABDC", "ACBD", "DCBA")
    assert nth_permutation("ABCDEFGH", 40319) == "HGFEDCBA"


def test_questions_and_options_are_spread_evenly() -> None:
    # Every question of the pool should turn up about as often as its share of its cells allows, and
    # every option order as often as any other: here, crudely, every single choice question turns up
    # and every option order shows up for first position about 1/24 of the time.
    plan = prepare(electrician_rule(), POOL)
    keys: Counter[str] = Counter()
    orders: Counter[str] = Counter()
    for n in range(400):
        for item in assemble(plan, candidate_seed(SITTING_SEED, f"spread-{n}")):
            keys[item.key] += 1
            if item.options:
                orders[item.options] += 1
    assert all(keys[q.key] > 0 for q in POOL if q.type == QuestionType.SINGLE_CHOICE)
    assert len(orders) == 24 and all(350 < orders[o] < 650 for o in orders)


def test_unsafe_codes_are_refused_before_drawing() -> None:
    bad = PoolQuestion('X"1', 1, "national", QuestionType.TRUE_FALSE, "1.1", Level.AWARE, 1, "")
    with pytest.raises(ValueError, match="plain code"):
        prepare(electrician_rule(), [*POOL, bad])


def test_the_documented_test_vector() -> None:
    from tests.papers.vectors import VECTOR_POOL, VECTOR_RULE, VECTOR_SEED

    items = assemble(prepare(VECTOR_RULE, VECTOR_POOL), VECTOR_SEED)
    assert " ".join(f"{i.key}{':' + i.options if i.options else ''}" for i in items) == \
        "Q-02 Q-03 Q-01 Q-04 Q-08 Q-09 Q-20:ACBD Q-17:BDAC Q-22:DABC Q-21:ADBC"
    assert VECTOR_RULE.digest() == "2afcefa9e42f1eae6c09f42f40e69795c922a5325f3ee2de503f15befee48f6f"
    for seen, digest in ((None, "bc9254a3d2392bd417e6bcb2ce3dbe3daa62a69100bf25243b6267baa170e5b5"),
                         ((), "0fbfff78d4e36cd7ffe7606d607cdd7169a7c3cde0ed368d9a8f6e241e7c57c4")):
        document = paper_document(blueprint_digest=VECTOR_RULE.digest(), bank_digests={"national": "0" * 64},
                                  sitting="VECTOR", candidate="VECTOR", items=items, total_points=1000, seen=seen)
        assert hashlib.sha256(document).hexdigest() == digest


def _shown(items: list[PaperItem]) -> str:
    return " ".join(f"{i.key}{':' + i.options if i.options else ''}" for i in items)


def test_the_documented_vectors_from_set_seed_and_admission_number_to_paper_digest() -> None:
    """docs/assembly.md §6.2 (HMAC step) and §6.3 (a retake with its seen set), through examsvc's code."""
    from tests.papers.vectors import VECTOR_POOL, VECTOR_RULE, VECTOR_SEED

    plan = prepare(VECTOR_RULE, VECTOR_POOL)
    first_seed = candidate_seed(VECTOR_SEED, "TY0120270001")
    assert first_seed.hex() == "8245b8754f92ec65d385d597d14124b32ee47d6009ee65e6e0543cfceb62a43c"
    first = assemble(plan, first_seed)
    assert _shown(first) == "Q-11 Q-06 Q-02 Q-00 Q-04 Q-01 Q-18:ABDC Q-23:BCDA Q-19:CDAB Q-20:BCAD"
    document = paper_document(blueprint_digest=VECTOR_RULE.digest(), bank_digests={"national": "0" * 64},
                              sitting="VECTOR", candidate="TY0120270001", items=first, total_points=1000, seen=())
    assert hashlib.sha256(document).hexdigest() == "f655383a85efd6cf3e05fc29b1d8a62716fea3d3f9a93651c3cd8a27e9cac1e2"
    seen = frozenset(i.key for i in first)
    assert seen_digest(seen) == "c180b5a447d82df59c322e63719224a1b3a8645a99dbcb6413b12d61718052cb"
    retake = assemble(plan, candidate_seed(VECTOR_SEED, "TY0120270002"), seen)
    assert _shown(retake) == "Q-15 Q-05 Q-13 Q-07 Q-08 Q-12 Q-23:DABC Q-21:CDBA Q-16:ADBC Q-20:CBDA"
    document = paper_document(blueprint_digest=VECTOR_RULE.digest(), bank_digests={"national": "0" * 64},
                              sitting="VECTOR-R", candidate="TY0120270002", items=retake, total_points=1000,
                              seen=seen)
    assert hashlib.sha256(document).hexdigest() == "9b62ea8d22fd30eca9dd25b9e5df32575c464167839b8c6e34659f4a5e9f6b3d"
