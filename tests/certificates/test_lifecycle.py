"""Issuing and the lifecycle through the API, each event in the log with the form's digest, and what the
online check answers after each: valid, revoked, reinstated, replaced (the old card void)."""

from __future__ import annotations

import json
from typing import Any

from examsvc.audit import repository
from examsvc.certificates import consistency
from examsvc.certificates.models import Certificate
from examsvc.identity import service as identity_service
from examsvc.identity.roles import Role
from tests.builders import TEST_ACTOR, auth_header, login, make_user
from tests.certificates.world import SUBJECT, World


def _log(world: World) -> list[dict[str, Any]]:
    db = world.day.db_session
    return [json.loads(r) for r in repository.entries(db, 0, repository.committed_size(db))]


def _check(world: World, text: str, id_number: str | None = None) -> dict[str, Any]:
    answer = world.client.post("/certificates/verify", json={"text": text, "id_number": id_number})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_issue_only_what_was_earned_once_by_the_right_role(world: World) -> None:
    client = world.client
    proctor = auth_header(login(client, make_user(world.day.db_session, Role.PROCTOR).username))
    assert world.issue(world.ids[0], headers=proctor).status_code == 403
    assert world.issue(world.ids[0], headers=world.day.admin).status_code == 403
    refused = world.issue(world.ids[World.FAILED])
    assert refused.status_code == 409 and refused.json()["error"] == "not_qualified"
    made = world.issue(world.ids[0])
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["number"].startswith("T2") and body["kind_label"] == "特种作业操作证"
    assert body["item_name"] == "低压电工作业" and body["standing"] == "valid"
    assert {b["kind"] for b in json.loads(body["basis"])} == {"theory", "practical"}
    again = world.issue(world.ids[0])
    assert again.status_code == 409 and again.json()["error"] == "already_certified"
    unknown = client.post("/certificates", headers=world.officer, json={"id_number": "11010519491231002X",
                                                                        "subject": SUBJECT})
    assert unknown.status_code == 404
    # The issue entry carries the digests, and nothing of the person.
    [entry] = [e for e in _log(world) if e["action"] == "certificate.issued"]
    assert entry["details"]["form_digest"] == body["form_digest"] and entry["subject"]["id"] == body["number"]
    assert world.ids[0] not in json.dumps(entry, ensure_ascii=False)
    assert body["holder_name"] not in json.dumps(entry, ensure_ascii=False)
    # 考发分离: the sitting's chief examiner, made an officer too, may not certify its candidates.
    chief = world.practical.chief_user
    identity_service.grant_role(db_session=world.day.db_session, user_id=chief.id, role=Role.CERTIFICATE_OFFICER,
                                actor=TEST_ACTOR)
    world.day.db_session.commit()
    own = world.issue(world.ids[2], headers=auth_header(login(client, chief.username)))
    assert own.status_code == 403 and own.json()["error"] == "own_examinees"


def test_each_event_changes_what_the_check_answers(world: World) -> None:
    client, officer = world.client, world.officer
    made = world.issue(world.ids[0]).json()
    number, first = made["number"], made["qr_text"]
    valid = _check(world, first, world.ids[0])
    assert valid["standing"] == "valid" and valid["id_number_matches"] is True
    assert valid["card"]["holder"].startswith(made["holder_name"][0]) and "＊" in valid["card"]["holder"]
    assert _check(world, first, world.ids[2])["id_number_matches"] is False

    early = client.post(f"/certificates/{number}/review", headers=officer, json={"reason": "按期复审"})
    assert early.status_code == 409 and early.json()["error"] == "review_too_early"
    not_renewable = client.post(f"/certificates/{number}/renew", headers=officer, json={"reason": "再培训"})
    assert not_renewable.json()["error"] == "not_renewable"
    assert client.post(f"/certificates/{number}/revoke", headers=officer, json={"reason": " "}).status_code == 422

    revoked = client.post(f"/certificates/{number}/revoke", headers=officer,
                          json={"reason": "考试中冒名顶替，经查属实", "mode": "cancel"})
    assert revoked.status_code == 200, revoked.text
    answer = _check(world, first)
    assert answer["standing"] == "revoked" and answer["label"] == "已撤销"
    twice = client.post(f"/certificates/{number}/revoke", headers=officer, json={"reason": "再次"})
    assert twice.json()["error"] == "certificate_revoked"
    assert client.post(f"/certificates/{number}/replace", headers=officer,
                       json={"reason": "遗失"}).json()["error"] == "certificate_revoked"
    reinstated = client.post(f"/certificates/{number}/reinstate", headers=officer,
                             json={"reason": "复查认定冒名举报不实"})
    assert reinstated.status_code == 200
    assert _check(world, first)["standing"] == "valid"

    replaced = client.post(f"/certificates/{number}/replace", headers=officer,
                           json={"reason": "证件遗失，本人申请补证"})
    assert replaced.status_code == 200, replaced.text
    second = replaced.json()
    assert second["number"] == number and second["sequence"] == 2 and second["qr_text"] != first
    old = _check(world, first)
    assert old["standing"] == "revoked" and "补发" in old["reason"]
    new = _check(world, second["qr_text"])
    assert new["standing"] == "valid" and new["card"]["sequence"] == 2

    events = [e for e in _log(world) if e["action"].startswith("certificate.")]
    assert [e["action"].split(".")[1] for e in events] == ["issued", "revoked", "reinstated", "replaced"]
    assert events[-1]["details"]["form_digest"] == second["form_digest"]
    assert [e["event"] for e in second["events"]] == ["issued", "revoked", "reinstated", "replaced"]
    assert [e["log_index"] for e in second["events"]] == [_index(world, e) for e in events]
    assert not consistency.check(world.day.db_session).problems

    listed = client.get("/certificates", headers=world.day.admin, params={"standing": "valid"}).json()
    assert [c["number"] for c in listed["certificates"]] == [number]
    assert client.get("/certificates", headers=world.day.admin, params={"standing": "revoked"}).json()["total"] == 0
    assert client.get(f"/certificates/{number}", headers=officer).json()["sequence"] == 2
    proctor = auth_header(login(client, make_user(world.day.db_session, Role.PROCTOR).username))
    assert client.get("/certificates", headers=proctor).status_code == 403


def _index(world: World, entry: dict[str, Any]) -> int:
    return int(entry["index"])


def test_a_sitting_in_one_action_with_progress_and_no_second_time(world: World) -> None:
    client, officer = world.client, world.officer
    assert world.issue(world.ids[0]).status_code == 201  # one already certified: skipped by the batch
    started = client.post("/certificates/batches", headers=officer, json={"sitting": world.sitting})
    assert started.status_code == 201, started.text
    batch = started.json()
    assert (batch["total"], batch["issued"], batch["status"]) == (1, 0, "running")
    other = auth_header(login(client, make_user(world.day.db_session, Role.CERTIFICATE_OFFICER).username))
    assert client.post(f"/certificates/batches/{batch['id']}/continue", headers=other).json()["error"] == \
        "not_your_batch"
    done = client.post(f"/certificates/batches/{batch['id']}/continue", headers=officer).json()
    assert (done["issued"], done["status"]) == (1, "done")
    assert client.get(f"/certificates/batches/{batch['id']}", headers=officer).json()["status"] == "done"
    holders = {c.candidate_id for c in world.day.db_session.query(Certificate)}
    assert len(holders) == len(world.qualified) == 2
    again = client.post("/certificates/batches", headers=officer, json={"sitting": world.sitting}).json()
    assert (again["total"], again["status"]) == (0, "done")
    theory = client.post("/certificates/batches", headers=officer, json={"sitting": world.exam.code}).json()
    assert theory["total"] == 0  # a theory sitting alone earns no 特种作业操作证
