"""examsvc's rule digests are the ones docs/rules.md defines (issue 16 item 7): its vectors R1 and R2,
bytes and digests, from ``Blueprint.canonical`` (tests/independent recomputes them from the page alone)."""

from __future__ import annotations

from pathlib import Path

from examsvc.banks.document import Level, PersonnelCategory, QuestionType
from examsvc.blueprints.document import Blueprint, KnowledgePointQuota, MultipleChoiceRule, Section, validate
from examsvc.crypto.canonical_json import canonical_json
from tests.papers.vectors import VECTOR_RULE

RULES = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text(encoding="utf-8")

R2 = Blueprint(
    code="SX-LV-THEORY", version="2027.1", title="低压电工作业安全技术理论考试",
    personnel_category=PersonnelCategory.SPECIAL_OPERATIONS, operation_item="1.2", bank_code="SX-LV",
    sections=(Section(QuestionType.TRUE_FALSE, 70, 10), Section(QuestionType.SINGLE_CHOICE, 20, 10),
              Section(QuestionType.MULTIPLE_CHOICE, 5, 20)),
    duration_minutes=90, multiple_choice_rule=MultipleChoiceRule.PARTIAL,
    level_shares={Level.MASTER: 50, Level.AWARE: 20, Level.GRASP: 30}, level_tolerance=5,
    difficulty_shares={3: 20, 1: 30, 2: 50}, difficulty_tolerance=10,
    knowledge_point_quotas=(KnowledgePointQuota("6.2", 5, None), KnowledgePointQuota("6.10.1", 0, 3)),
    provincial_min_share=15, shuffle_options=False, avoid_seen_questions=False, show_score=False)


def test_the_documented_rule_vectors_are_examsvcs_canonical_bytes_and_digests() -> None:
    validate(R2)
    for rule, digest in ((VECTOR_RULE, "2afcefa9e42f1eae6c09f42f40e69795c922a5325f3ee2de503f15befee48f6f"),
                         (R2, "701ca649925cdbb1eeb039599a3185ccbb3caada58c1297e0115568b4c7691ea")):
        assert f"```json\n{canonical_json(rule.canonical()).decode()}\n```" in RULES
        assert rule.digest() == digest and f"`{digest}`" in RULES


def test_every_member_but_show_score_purpose_and_person_kinds_is_written_even_at_its_default() -> None:
    documented = {line.split("`")[1] for line in RULES.split("## 3.")[0].splitlines()
                  if line.startswith("| `")}
    spot_only = {"purpose", "person_kinds"}  # docs/rules.md §4; tests/blueprints/test_spot_rules.py
    assert set(VECTOR_RULE.canonical()) == documented - {"show_score"} - spot_only
    assert set(R2.canonical()) == documented - spot_only
