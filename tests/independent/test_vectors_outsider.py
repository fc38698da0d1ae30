"""The documented vectors, recomputed as an outsider would: from docs/rules.md and docs/assembly.md only.

Nothing of examsvc is imported (issue 16, "must show"): RFC 8785 comes from the ``jcs`` package, HMAC
and SHA-256 from the standard library; the rule's canonical object is written here, and the stream,
the draw and the paper document in tests/independent/assembly_from_docs.py, from the pages' words.
Every expected value is also looked up in the page that states it, so page and test agree.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import jcs

from tests.independent.assembly_from_docs import Stream, paper, paper_digest, seen_digest

DOCS = Path(__file__).resolve().parents[2] / "docs"
RULES = (DOCS / "rules.md").read_text(encoding="utf-8")
ASM = (DOCS / "assembly.md").read_text(encoding="utf-8")

# docs/rules.md §2: every member with its default; show_score only when false.
DEFAULTS: dict[str, Any] = {
    "format": "examsvc-blueprint/1", "operation_item": None, "duration_minutes": 120, "total_points": 1000,
    "pass_mark": 800, "multiple_choice_rule": "all_or_nothing", "level_shares": {}, "level_tolerance": 0,
    "difficulty_shares": {}, "difficulty_tolerance": 0, "knowledge_point_quotas": [], "provincial_min_share": 0,
    "shuffle_questions": True, "shuffle_options": True, "avoid_seen_questions": True, "show_score": True,
}


def rule_object(**given: Any) -> dict[str, Any]:
    rule = {**DEFAULTS, **given}
    rule["difficulty_shares"] = {str(k): v for k, v in rule["difficulty_shares"].items()}
    rule["knowledge_point_quotas"] = [{"minimum": 0, "maximum": None, **q} for q in rule["knowledge_point_quotas"]]
    if rule["show_score"]:
        del rule["show_score"]
    return rule


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _in(page: str, value: str) -> str:
    assert value in page, f"{value} is not in the page"
    return value


R1 = rule_object(code="VECTOR", version="1", title="test vector", personnel_category="safety_manager",
                 bank_code="VECTOR", sections=[{"type": "true_false", "count": 6, "points": 100},
                                               {"type": "single_choice", "count": 4, "points": 100}],
                 level_shares={"了解": 30, "掌握": 30, "熟练掌握": 40}, level_tolerance=10, provincial_min_share=25)


def test_the_rule_digests_follow_from_the_documented_canonical_form() -> None:
    r2 = rule_object(
        code="SX-LV-THEORY", version="2027.1", title="低压电工作业安全技术理论考试",
        personnel_category="special_operations", operation_item="1.2", bank_code="SX-LV",
        sections=[{"type": "true_false", "count": 70, "points": 10}, {"type": "single_choice", "count": 20,
                                                                      "points": 10},
                  {"type": "multiple_choice", "count": 5, "points": 20}],
        duration_minutes=90, multiple_choice_rule="partial", level_shares={"熟练掌握": 50, "了解": 20, "掌握": 30},
        level_tolerance=5, difficulty_shares={3: 20, 1: 30, 2: 50}, difficulty_tolerance=10,
        knowledge_point_quotas=[{"prefix": "6.2", "minimum": 5}, {"prefix": "6.10.1", "maximum": 3}],
        provincial_min_share=15, shuffle_options=False, avoid_seen_questions=False, show_score=False)
    for rule, digest in ((R1, "2afcefa9e42f1eae6c09f42f40e69795c922a5325f3ee2de503f15befee48f6f"),
                         (r2, "701ca649925cdbb1eeb039599a3185ccbb3caada58c1297e0115568b4c7691ea")):
        canonical: bytes = jcs.canonicalize(rule)
        assert _in(RULES, canonical.decode()) and _sha256(canonical) == _in(RULES, digest)
    assert _in(ASM, "2afcefa9e42f1eae6c09f42f40e69795c922a5325f3ee2de503f15befee48f6f")


def _shown(items: list[dict[str, Any]]) -> str:
    return " ".join(i["key"] + (":" + i["options"] if i["options"] else "") for i in items)


SET_SEED = hashlib.sha256(b"examsvc assembly test vector").digest()


def test_the_first_vector_still_holds_with_the_seed_as_the_key() -> None:
    rule_digest = _sha256(jcs.canonicalize(R1))
    items = paper(R1, SET_SEED, set())
    assert _shown(items) == _in(ASM, "Q-02 Q-03 Q-01 Q-04 Q-08 Q-09 Q-20:ACBD Q-17:BDAC Q-22:DABC Q-21:ADBC")
    assert paper_digest(rule_digest=rule_digest, sitting="VECTOR", candidate="VECTOR", items=items, seen=set()) == \
        _in(ASM, "0fbfff78d4e36cd7ffe7606d607cdd7169a7c3cde0ed368d9a8f6e241e7c57c4")
    assert seen_digest(set()) == _in(ASM, "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945")


def test_set_seed_and_admission_number_give_the_documented_candidate_seed_stream_and_paper() -> None:
    rule_digest = _sha256(jcs.canonicalize(R1))
    seed = hmac.digest(SET_SEED, b"TY0120270001", "sha256")
    assert seed.hex() == _in(ASM, "8245b8754f92ec65d385d597d14124b32ee47d6009ee65e6e0543cfceb62a43c")
    stream = Stream(seed)
    assert [f"0x{stream.next():016x}" for _ in range(3)] == [
        _in(ASM, v) for v in ("0x2ebff4bee341e28c", "0x7455237d701376f4", "0x3f525ab3f02570b2")]
    items = paper(R1, seed, set())
    assert _shown(items) == _in(ASM, "Q-11 Q-06 Q-02 Q-00 Q-04 Q-01 Q-18:ABDC Q-23:BCDA Q-19:CDAB Q-20:BCAD")
    assert paper_digest(rule_digest=rule_digest, sitting="VECTOR", candidate="TY0120270001", items=items,
                        seen=set()) == _in(ASM, "f655383a85efd6cf3e05fc29b1d8a62716fea3d3f9a93651c3cd8a27e9cac1e2")


def test_a_retake_paper_follows_from_the_seen_set_of_the_earlier_paper() -> None:
    rule_digest = _sha256(jcs.canonicalize(R1))
    earlier = paper(R1, hmac.digest(SET_SEED, b"TY0120270001", "sha256"), set())
    seen = {i["key"] for i in earlier}
    assert jcs.canonicalize(sorted(seen, key=str.encode)).decode() == _in(
        ASM, '["Q-00","Q-01","Q-02","Q-04","Q-06","Q-11","Q-18","Q-19","Q-20","Q-23"]')
    assert seen_digest(seen) == _in(ASM, "c180b5a447d82df59c322e63719224a1b3a8645a99dbcb6413b12d61718052cb")
    seed = hmac.digest(SET_SEED, b"TY0120270002", "sha256")
    assert seed.hex() == _in(ASM, "a02098ee09c1c7a25b745ebe3192f8533b1c500c8bc32052b29a3c37e60b8278")
    items = paper(R1, seed, seen)
    assert _shown(items) == _in(ASM, "Q-15 Q-05 Q-13 Q-07 Q-08 Q-12 Q-23:DABC Q-21:CDBA Q-16:ADBC Q-20:CBDA")
    assert paper_digest(rule_digest=rule_digest, sitting="VECTOR-R", candidate="TY0120270002", items=items,
                        seen=seen) == _in(ASM, "9b62ea8d22fd30eca9dd25b9e5df32575c464167839b8c6e34659f4a5e9f6b3d")
