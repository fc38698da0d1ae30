"""Assembly: every paper meets every quota of its rule; same inputs, same bytes; candidates differ."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import jcs
import pytest
from cryptography.hazmat.primitives.ciphers import modes

from examsvc.banks.document import Level, QuestionType
from examsvc.blueprints.document import Section, share_bounds
from examsvc.crypto.canonical_json import canonical_json
from examsvc.papers.assembly import DrawFailed, PaperItem, PoolQuestion, assemble, paper_document, prepare
from examsvc.papers.feasibility import check
from examsvc.papers.stream import Stream, candidate_seed
from tests.papers.builders import electrician_rule, sample_pool

SITTING_SEED = hashlib.sha256(b"test sitting seed").digest()
POOL = sample_pool()
BY_KEY = {q.key: q for q in POOL}


def _paper(seed: bytes, rule: object = None, seen: frozenset[str] = frozenset()) -> list[PaperItem]:
    return assemble(prepare(rule or electrician_rule(), POOL), seed, seen)  # type: ignore[arg-type]


def _document(items: list[PaperItem], candidate: str = "A1") -> bytes:
    return paper_document(blueprint_digest="b" * 64, bank_digests={"national": "n" * 64, "provincial": "p" * 64},
                          sitting="S-1", candidate=candidate, items=items, total_points=1000)


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
    first = _paper(candidate_seed(SITTING_SEED, "retaker"))
    seen = frozenset(i.key for i in first if i.type == QuestionType.SINGLE_CHOICE)
    retake = _paper(candidate_seed(SITTING_SEED, "retaker-2"), seen=seen)
    # 85 single choice questions: 55 unseen remain for 30 places, so none repeats.
    assert not {i.key for i in retake} & seen


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


def test_unsafe_codes_are_refused_before_drawing() -> None:
    bad = PoolQuestion('X"1', 1, "national", QuestionType.TRUE_FALSE, "1.1", Level.AWARE, 1, "")
    with pytest.raises(ValueError, match="plain code"):
        prepare(electrician_rule(), [*POOL, bad])


def test_the_documented_test_vector() -> None:
    from tests.papers.vectors import VECTOR_POOL, VECTOR_RULE, VECTOR_SEED

    items = assemble(prepare(VECTOR_RULE, VECTOR_POOL), VECTOR_SEED)
    assert " ".join(f"{i.key}{':' + i.options if i.options else ''}" for i in items) == \
        "Q-09 Q-04 Q-10 Q-00 Q-14 Q-11 Q-18:BDCA Q-17:CDAB Q-20:BDAC Q-19:DACB"
    assert VECTOR_RULE.digest() == "2afcefa9e42f1eae6c09f42f40e69795c922a5325f3ee2de503f15befee48f6f"
    document = paper_document(blueprint_digest=VECTOR_RULE.digest(), bank_digests={"national": "0" * 64},
                              sitting="VECTOR", candidate="VECTOR", items=items, total_points=1000)
    assert hashlib.sha256(document).hexdigest() == "8985d3da0c45588bf08800cf4f0461cf56360f19c9661764271cdf250b63e1bc"
