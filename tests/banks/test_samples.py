"""The sample banks are valid, match the documented JSON Schema, and are large enough for real papers."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from sqlalchemy.orm import Session

from examsvc.banks import files, service
from examsvc.banks.document import BankDocument, PersonKind, QuestionType
from examsvc.blueprints.document import Blueprint, RulePurpose, Section, validate
from examsvc.identity.roles import Role
from examsvc.papers.assembly import PoolQuestion
from examsvc.papers.feasibility import check
from tests.builders import Actors

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted(p for p in (ROOT / "question_banks").rglob("*.yaml") if "practical" not in p.parts)


def _documents(folder: str) -> list[BankDocument]:
    paths = sorted((ROOT / "question_banks" / folder).glob("*.yaml"))
    return [service.parse_bank_file(p.read_bytes(), p.name) for p in paths]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_sample_matches_the_json_schema_and_imports_without_warnings(path: Path) -> None:
    schema = json.loads((ROOT / "docs" / "bank-format.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)
    document = service.parse_bank_file(path.read_bytes(), path.name)
    assert document.warnings == ()


@pytest.mark.parametrize(("folder", "minimums"), [
    ("low_voltage_electrician", {"true_false": 150, "single_choice": 60}),
    ("fusion_welding", {"all": 120}),
    ("hazchem_principal", {"all": 120, "multiple_choice": 1}),
    ("general_safety_manager", {"all": 120, "multiple_choice": 1}),
])
def test_samples_have_a_national_and_a_provincial_part_and_enough_questions(folder: str,
                                                                              minimums: dict[str, int]) -> None:
    documents = _documents(folder)
    assert sorted(d.meta.part for d in documents) == ["national", "provincial"]
    assert len({d.meta.code for d in documents}) == 1
    counts = Counter(str(q.type) for d in documents for q in d.questions)
    counts["all"] = sum(counts.values())
    for kind, minimum in minimums.items():
        assert counts[kind] >= minimum, (kind, counts)
    keys = [q.key for d in documents for q in d.questions]
    assert len(keys) == len(set(keys)), "keys must be unique across the parts of a bank"


def test_serve_loads_and_publishes_the_samples_once(db_session: Session) -> None:
    loaded = files.load_samples_if_empty(db_session=db_session)
    assert len(loaded) == len(SAMPLES)
    assert {r.version.status for r in loaded} == {"published"}
    assert files.load_samples_if_empty(db_session=db_session) == []


# 应知应会 banks (issue 22): a national part only, format 2; each question cites its source.
AWARENESS = {
    "awareness_hazchem_principal": ("SX-YZYH-HC-PRINCIPAL", ["principal"], "hazardous_chemicals"),
    "awareness_coal_team_leader": ("SX-YZYH-COAL-TEAM", ["workshop_director", "team_leader"], "coal_mine"),
    "awareness_general_worker": ("SX-YZYH-GEN-WORKER", ["special_operations", "other"], "general"),
}
SPOT_RULE_BANKS = {"SX-SPOT-HC-PRINCIPAL": "awareness_hazchem_principal",
                   "SX-SPOT-COAL-TEAM": "awareness_coal_team_leader",
                   "SX-SPOT-GEN-WORKER": "awareness_general_worker"}


def documented_spot_rules() -> list[dict[str, Any]]:
    """The sample spot rules of docs/rules.md §4, as request bodies."""
    page = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    return [json.loads(block) for block in re.findall(r"```json spot-rule\n(.*?)```", page, re.DOTALL)]


@pytest.mark.parametrize("folder", sorted(AWARENESS))
def test_each_awareness_sample_is_a_national_format_2_bank_of_60_sourced_questions(folder: str) -> None:
    code, kinds, industry = AWARENESS[folder]
    [document] = _documents(folder)
    meta = document.meta
    assert (meta.code, meta.part, meta.purpose, meta.industry) == (code, "national", "awareness", industry)
    assert [str(k) for k in meta.person_kinds] == kinds and meta.personnel_category is None
    assert document.canonical()["format"] == "examsvc-bank/2"
    assert len(document.questions) >= 60
    assert [q.key for q in document.questions if not (q.legal_basis or "").strip()] == []
    counts = Counter(str(q.type) for q in document.questions)
    assert counts["true_false"] >= 10 and counts["single_choice"] >= 5, counts  # the sample spot rule's draw


def test_the_documented_sample_spot_rules_can_be_drawn_from_their_sample_banks() -> None:
    rules = documented_spot_rules()
    assert sorted(r["code"] for r in rules) == sorted(SPOT_RULE_BANKS)
    for body in rules:
        folder = SPOT_RULE_BANKS[body["code"]]
        [document] = _documents(folder)
        rule = Blueprint(
            code=body["code"], version=body["version"], title=body["title"], personnel_category=None,
            bank_code=document.meta.code, purpose=RulePurpose.SPOT,
            person_kinds=tuple(PersonKind(k) for k in body["person_kinds"]),
            sections=tuple(Section(QuestionType(s["type"]), s["count"], s["points"]) for s in body["sections"]),
            duration_minutes=body["duration_minutes"], total_points=body["total_points"], pass_mark=body["pass_mark"])
        validate(rule)
        assert set(rule.person_kinds) <= set(document.meta.person_kinds), body["code"]
        pool = [PoolQuestion(q.key, 1, "national", q.type, q.knowledge_point, q.level, q.difficulty,
                             "".join(label for label, _ in q.options)) for q in document.questions]
        report = check(rule, pool)
        assert report.feasible and report.failed_draws == 0, (body["code"], report)
        assert (rule.question_count, rule.duration_minutes, rule.pass_mark) == (15, 15, 800)


def test_the_sample_spot_rules_are_accepted_over_http_against_the_loaded_samples(actors: Actors,
                                                                                 db_session: Session) -> None:
    loaded = {r.version.bank_code: r.version.id for r in files.load_samples_if_empty(db_session=db_session)}
    db_session.commit()
    admin = actors.user_with(Role.EXAM_ADMIN)
    for body in documented_spot_rules():
        bank_code = AWARENESS[SPOT_RULE_BANKS[body["code"]]][0]
        created = actors.client.post("/blueprints", headers=admin,
                                     json={**body, "national_bank_version_id": loaded[bank_code]})
        assert created.status_code == 201, created.text
        feasible = actors.client.get(f"/blueprints/{created.json()['id']}/feasibility", headers=admin).json()
        assert feasible["feasible"] is True, (body["code"], feasible)
