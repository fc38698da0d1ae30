"""What a chief examiner signs can be read over HTTP (issue 16 item 6): the whole rule in the read, and
its exact canonical bytes, whose SHA-256 is the digest in the approval note."""

from __future__ import annotations

import base64
import hashlib
import json

from sqlalchemy.orm import Session

from examsvc.audit.actors import Actor
from examsvc.identity.roles import Role
from examsvc.practical import rules
from examsvc.practical import service as practical_banks
from examsvc.practical.rule import PracticalRule
from tests.builders import TEST_ACTOR, Actors, make_user
from tests.papers.builders import ROOT
from tests.papers.test_flow import World


def _check_canonical(response_body: bytes, headers: dict[str, str], digest: str) -> dict[str, object]:
    assert hashlib.sha256(response_body).hexdigest() == digest
    assert headers["x-document-digest"] == digest
    assert headers["repr-digest"] == f"sha-256=:{base64.b64encode(bytes.fromhex(digest)).decode()}:"
    assert headers["content-type"] == "application/json"
    parsed: dict[str, object] = json.loads(response_body)
    # RFC 8785 bytes: no white space, keys sorted, non-ASCII as is
    assert response_body == json.dumps(parsed, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    return parsed


def test_a_rule_read_gives_every_field_a_chief_examiner_signs(actors: Actors, db_session: Session) -> None:
    world = World(actors, db_session)
    rule_id = world.submitted_rule(duration_minutes=90, pass_mark=700, multiple_choice_rule="partial",
                                   knowledge_point_quotas=[{"prefix": "1.1", "minimum": 1}], show_score=False)
    for who in (world.chief, world.auditor, world.admin):
        read = world.client.get(f"/blueprints/{rule_id}", headers=who)
        assert read.status_code == 200, read.text
        rule = read.json()["rule"]
        assert rule["sections"] == [{"type": "true_false", "count": 70, "points": 10},
                                    {"type": "single_choice", "count": 30, "points": 10}]
        assert (rule["duration_minutes"], rule["pass_mark"], rule["total_points"]) == (90, 700, 1000)
        assert rule["level_shares"] == {"了解": 20, "掌握": 30, "熟练掌握": 50} and rule["level_tolerance"] == 5
        assert rule["provincial_min_share"] == 15 and rule["multiple_choice_rule"] == "partial"
        assert rule["knowledge_point_quotas"] == [{"prefix": "1.1", "minimum": 1, "maximum": None}]
        assert rule["show_score"] is False and rule["avoid_seen_questions"] is True
        assert rule["format"] == "examsvc-blueprint/1" and rule["bank_code"] == "SX-ELEC-LV"
    listed = world.client.get("/blueprints", headers=world.chief).json()
    assert next(r for r in listed if r["id"] == rule_id)["rule"]["pass_mark"] == 700


def test_a_rules_canonical_bytes_hash_to_its_digest_and_to_the_approval_notes(actors: Actors,
                                                                             db_session: Session) -> None:
    world = World(actors, db_session)
    rule_id = world.approved_rule()
    read = world.client.get(f"/blueprints/{rule_id}", headers=world.auditor).json()
    response = world.client.get(f"/blueprints/{rule_id}/canonical", headers=world.auditor)
    assert response.status_code == 200
    canonical = _check_canonical(response.content, dict(response.headers), read["digest"])
    assert f"blueprint {read['digest']}" in read["approval_note"]
    assert "show_score" not in canonical  # the default is left out of the canonical form (docs/rules.md)
    assert "purpose" not in canonical and "person_kinds" not in canonical  # likewise for a qualification rule
    assert read["rule"] == {**canonical, "show_score": True, "purpose": "qualification", "person_kinds": []}
    assert world.client.get(f"/blueprints/{rule_id}/canonical", headers=actors.user_with(Role.PROCTOR)
                            ).status_code == 403
    assert world.client.get("/blueprints/999999/canonical", headers=world.auditor).status_code == 404


def test_a_practical_rule_read_gives_its_content_and_its_canonical_bytes(actors: Actors,
                                                                        db_session: Session) -> None:
    [imported] = practical_banks.import_files(
        db_session=db_session, files=[(p.name, p.read_bytes()) for p in
                                      [ROOT / "question_banks" / "practical" / "low_voltage_electrician.yaml"]],
        actor=TEST_ACTOR, publish=True)
    author = make_user(db_session, Role.EXAM_ADMIN)
    rule = PracticalRule(code="SX-LV-PRAC", version="9", title="低压电工作业实际操作考试", operation_item="1.2",
                         bank_code=imported.version.code, pass_mark=85, evaluators=1)
    row = rules.create(db_session=db_session, rule=rule, bank_version_id=imported.version.id,
                       actor=Actor.user(author.id, author.username, ("exam_admin",)))
    db_session.commit()
    auditor = actors.user_with(Role.AUDITOR)
    read = actors.client.get(f"/practical-rules/{row.id}", headers=auditor)
    assert read.status_code == 200, read.text
    body = read.json()
    assert body["rule"]["weights"] == {"K1": 20, "K2": 40, "K3": 20, "K4": 20}
    assert (body["rule"]["pass_mark"], body["rule"]["evaluators"], body["rule"]["draw_by"]) == (85, 1, "system")
    response = actors.client.get(f"/practical-rules/{row.id}/canonical", headers=auditor)
    assert response.status_code == 200
    assert _check_canonical(response.content, dict(response.headers), body["digest"]) == body["rule"]
