"""Spot-exam rules (逢查必考, issue 22): short composition rules over 应知应会 banks, approved like any rule
(submitted by an exam admin, signed by a chief examiner who is not the author)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from examsvc.banks import service as banks_service
from examsvc.banks.document import PersonKind, QuestionType
from examsvc.blueprints.document import Blueprint, RulePurpose, Section, from_canonical, validate
from examsvc.crypto.canonical_json import canonical_json
from examsvc.crypto.signed_note import open_note, parse_vkey
from examsvc.errors import InvalidInput
from examsvc.identity.roles import Role
from tests.banks.builders import document, sc, tf
from tests.banks.test_awareness_banks import awareness
from tests.builders import TEST_ACTOR, Actors, auth_header, login, make_user

PASSPHRASE = "主考官本人的签名口令-2027"


def _awareness_bank(db_session: Session, *, kinds: list[str] | None = None, code: str = "T-AWARE") -> int:
    data = awareness(kinds=kinds)
    data["bank"]["code"] = code
    data["questions"] = [tf(f"TF-{i}") for i in range(20)] + [sc(f"SC-{i}") for i in range(10)]
    result = banks_service.import_document(db_session=db_session, document=document(data), actor=TEST_ACTOR)
    banks_service.publish(db_session=db_session, version_id=result.version.id, actor=TEST_ACTOR)
    db_session.commit()
    return result.version.id


def _qualification_bank(db_session: Session) -> int:
    from tests.banks.builders import bank

    data = bank(*[tf(f"TF-{i}") for i in range(20)], *[sc(f"SC-{i}") for i in range(10)], code="T-QUAL")
    result = banks_service.import_document(db_session=db_session, document=document(data), actor=TEST_ACTOR)
    banks_service.publish(db_session=db_session, version_id=result.version.id, actor=TEST_ACTOR)
    db_session.commit()
    return result.version.id


def spot_body(bank_version_id: int, **changes: Any) -> dict[str, Any]:
    """The sample spot rule of docs/rules.md §5: 10 判断题 × 5 分 + 5 单选题 × 10 分, 15 minutes, pass 80."""
    body: dict[str, Any] = {
        "code": "SX-SPOT-TEST", "version": "2027.1", "title": "逢查必考（测试）", "purpose": "spot",
        "person_kinds": ["team_leader"], "national_bank_version_id": bank_version_id,
        "sections": [{"type": "true_false", "count": 10, "points": 50},
                     {"type": "single_choice", "count": 5, "points": 100}],
        "duration_minutes": 15, "total_points": 1000, "pass_mark": 800,
    }
    body.update(changes)
    return body


class SpotWorld:
    def __init__(self, actors: Actors, db_session: Session) -> None:
        self.client = actors.client
        self.db_session = db_session
        self.bank_version_id = _awareness_bank(db_session)
        self.admin = actors.user_with(Role.EXAM_ADMIN)
        self.chief_user = make_user(db_session, Role.CHIEF_EXAMINER)
        self.chief = auth_header(login(self.client, self.chief_user.username))
        created = self.client.post("/examiners/me/key", headers=self.chief, json={"passphrase": PASSPHRASE})
        assert created.status_code == 201, created.text
        self.chief_vkey = created.text

    def create(self, **changes: Any) -> Any:
        return self.client.post("/blueprints", headers=self.admin, json=spot_body(self.bank_version_id, **changes))


@pytest.fixture
def world(actors: Actors, db_session: Session) -> SpotWorld:
    return SpotWorld(actors, db_session)


def test_a_spot_rule_is_submitted_and_approved_with_the_chief_examiners_signature(world: SpotWorld) -> None:
    created = world.create()
    assert created.status_code == 201, created.text
    rule_id = created.json()["id"]
    rule = created.json()["rule"]
    assert (rule["purpose"], rule["person_kinds"], rule["personnel_category"]) == ("spot", ["team_leader"], None)
    assert world.client.post(f"/blueprints/{rule_id}/submit", headers=world.admin).json()["status"] == "submitted"
    feasible = world.client.get(f"/blueprints/{rule_id}/feasibility", headers=world.chief).json()
    assert feasible["feasible"] is True and feasible["failed_draws"] == 0
    approved = world.client.post(f"/blueprints/{rule_id}/approve", headers=world.chief,
                                 json={"passphrase": PASSPHRASE})
    assert approved.status_code == 200, approved.text
    read = approved.json()
    assert read["status"] == "approved" and read["decided_by"] == world.chief_user.id
    signed = open_note(read["approval_note"], parse_vkey(world.chief_vkey))
    assert f"blueprint {read['digest']}" in signed and "bank national T-AWARE 2026.1" in signed
    canonical = json.loads(world.client.get(f"/blueprints/{rule_id}/canonical", headers=world.chief).content)
    assert (canonical["purpose"], canonical["person_kinds"]) == ("spot", ["team_leader"])


def test_the_author_of_a_spot_rule_cannot_approve_it(actors: Actors, world: SpotWorld) -> None:
    both = actors.user_with(Role.EXAM_ADMIN, Role.CHIEF_EXAMINER)
    world.client.post("/examiners/me/key", headers=both, json={"passphrase": PASSPHRASE})
    rule_id = world.client.post("/blueprints", headers=both, json=spot_body(world.bank_version_id)).json()["id"]
    world.client.post(f"/blueprints/{rule_id}/submit", headers=both)
    refused = world.client.post(f"/blueprints/{rule_id}/approve", headers=both, json={"passphrase": PASSPHRASE})
    assert (refused.status_code, refused.json()["error"]) == (403, "self_approval")


def test_a_spot_rule_cannot_be_approved_unsubmitted(world: SpotWorld) -> None:
    rule_id = world.create().json()["id"]
    refused = world.client.post(f"/blueprints/{rule_id}/approve", headers=world.chief, json={"passphrase": PASSPHRASE})
    assert (refused.status_code, refused.json()["error"]) == (409, "blueprint_wrong_status")


def _problems(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "blueprint_invalid"
    return {p["field"]: p["message"] for p in body["detail"]["problems"]}


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"sections": [{"type": "true_false", "count": 4, "points": 250}]}, "sections", "应为 5–30 题"),
    ({"sections": [{"type": "true_false", "count": 20, "points": 25}, {"type": "single_choice", "count": 11,
                                                                        "points": 45}], "total_points": 995},
     "sections", "共 31 题"),
    ({"duration_minutes": 61}, "duration_minutes", "5–60 分钟"),
    ({"duration_minutes": 4}, "duration_minutes", "5–60 分钟"),
    ({"person_kinds": []}, "person_kinds", "必须填写受检人员类型"),
    ({"person_kinds": ["team_leader", "team_leader"]}, "person_kinds", "重复"),
    ({"personnel_category": "principal"}, "personnel_category", "不填人员类别"),
])
def test_a_spot_rule_out_of_bounds_is_refused_naming_the_field(world: SpotWorld, changes: dict[str, Any],
                                                              field: str, words: str) -> None:
    problems = _problems(world.create(**changes))
    assert words in problems[field], problems


def test_a_spot_rule_of_5_and_of_30_questions_and_5_and_60_minutes_is_accepted() -> None:
    for count, minutes in ((5, 5), (30, 60)):
        validate(Blueprint(code="S", version="1", title="t", personnel_category=None, bank_code="B",
                           sections=(Section(QuestionType.TRUE_FALSE, count, 1000 // count // 10 * 10),),
                           total_points=count * (1000 // count // 10 * 10), pass_mark=count * 10,
                           duration_minutes=minutes, purpose=RulePurpose.SPOT,
                           person_kinds=(PersonKind.OTHER,)))


def test_a_qualification_rule_still_needs_its_personnel_category_and_names_no_kinds() -> None:
    rule = Blueprint(code="Q", version="1", title="t", personnel_category=None, bank_code="B",
                     sections=(Section(QuestionType.TRUE_FALSE, 100, 10),), person_kinds=(PersonKind.OTHER,))
    with pytest.raises(InvalidInput) as refused:
        validate(rule)
    fields = {p["field"] for p in refused.value.detail["problems"]}
    assert fields == {"personnel_category", "person_kinds"}


def test_a_spot_rule_may_only_draw_from_an_awareness_bank(world: SpotWorld, db_session: Session) -> None:
    qualification = _qualification_bank(db_session)
    refused = world.create(national_bank_version_id=qualification)
    assert (refused.status_code, refused.json()["error"]) == (422, "bank_purpose_mismatch")
    assert "只能使用应知应会题库" in refused.json()["message"]


def test_a_qualification_rule_may_not_draw_from_an_awareness_bank(world: SpotWorld) -> None:
    body = spot_body(world.bank_version_id, purpose="qualification", person_kinds=[],
                     personnel_category="principal", duration_minutes=120)
    refused = world.client.post("/blueprints", headers=world.admin, json=body)
    assert (refused.status_code, refused.json()["error"]) == (422, "bank_purpose_mismatch")
    assert "不能使用应知应会题库" in refused.json()["message"]


def test_a_spot_rule_examines_only_kinds_its_bank_serves(world: SpotWorld) -> None:
    refused = world.create(person_kinds=["team_leader", "safety_manager"])
    assert (refused.status_code, refused.json()["error"]) == (422, "person_kinds_not_served")
    body = refused.json()
    assert "安全生产管理人员" in body["message"] and body["detail"]["not_served"] == ["safety_manager"]


def test_a_qualification_rules_canonical_form_has_no_purpose_and_a_spot_rules_reads_back() -> None:
    sections = (Section(QuestionType.TRUE_FALSE, 10, 50), Section(QuestionType.SINGLE_CHOICE, 5, 100))
    spot = Blueprint(code="S", version="1", title="t", personnel_category=None, bank_code="B", sections=sections,
                     duration_minutes=15, purpose=RulePurpose.SPOT,
                     person_kinds=(PersonKind.PRINCIPAL, PersonKind.OTHER))
    assert from_canonical(spot.canonical()) == spot
    assert spot.canonical()["personnel_category"] is None
    plain = Blueprint(code="S", version="1", title="t", personnel_category=None, bank_code="B", sections=sections)
    assert "purpose" not in plain.canonical() and "person_kinds" not in plain.canonical()


def test_vector_r3_of_docs_rules_md_is_what_the_code_makes() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text(encoding="utf-8")
    section = page[page.index("### Vector R3"):]
    written = re.search(r"```json\n(.*?)\n```", section, re.DOTALL)
    digest = re.search(r"Rule digest R3: `([0-9a-f]{64})`", section)
    assert written is not None and digest is not None
    rule = from_canonical(json.loads(written.group(1)))
    assert canonical_json(rule.canonical()).decode() == written.group(1)
    assert rule.digest() == digest.group(1) and rule.purpose == RulePurpose.SPOT
    validate(rule)


def test_person_kinds_given_in_another_order_make_the_same_rule(world: SpotWorld) -> None:
    kinds = ["team_leader", "principal"]
    bank_version_id = _awareness_bank(world.db_session, kinds=kinds, code="T-AWARE-2")
    one = world.client.post("/blueprints", headers=world.admin, json=spot_body(bank_version_id, person_kinds=kinds))
    other = world.client.post("/blueprints", headers=world.admin,
                              json=spot_body(bank_version_id, person_kinds=kinds[::-1], version="2027.2"))
    assert one.status_code == other.status_code == 201, (one.text, other.text)
    assert one.json()["rule"]["person_kinds"] == other.json()["rule"]["person_kinds"] == ["principal", "team_leader"]


def test_the_chief_examiners_rule_page_names_the_kinds_a_spot_rule_examines(world: SpotWorld) -> None:
    from examsvc.blueprints import service as blueprints
    from examsvc.web import chief_views

    rule_id = world.create(person_kinds=["principal", "team_leader"]).json()["id"]
    row = blueprints.get(db_session=world.db_session, blueprint_id=rule_id)
    facts = {d.what: d.new for d in chief_views.difference(world.db_session, row, None)}
    assert facts["受检人员类型（逢查必考）"] == "主要负责人、班组长" and "人员类别" not in facts
