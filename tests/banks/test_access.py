"""Only bank administrators read question content; the others see metadata and counts."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.orm import Session

from examsvc.banks import service
from examsvc.identity.roles import Role
from examsvc.requestlog import JsonFormatter
from tests.banks.builders import bank, sc, tf, to_yaml
from tests.builders import TEST_ACTOR, Actors

SECRET = "只有题库管理员可见的题干"


def _version(db_session: Session) -> int:
    data = to_yaml(bank(tf("A-1", stem=SECRET), sc("A-2")))
    version_id = service.import_file(db_session=db_session, data=data, filename="b.yaml", actor=TEST_ACTOR).version.id
    db_session.commit()
    return version_id


CONTENT_ROUTES = ["/bank-versions/{v}/questions", "/bank-versions/{v}/export"]


@pytest.mark.parametrize("role", [r for r in Role if r != Role.BANK_ADMIN])
def test_other_roles_never_receive_question_content(actors: Actors, db_session: Session, role: Role) -> None:
    version_id = _version(db_session)
    headers = actors.user_with(role)
    for route in CONTENT_ROUTES:
        response = actors.client.get(route.format(v=version_id), headers=headers)
        assert response.status_code == 403
        assert SECRET not in response.text
    for route in ("/banks", f"/bank-versions/{version_id}", f"/bank-versions/{version_id}/counts"):
        response = actors.client.get(route, headers=headers)
        assert SECRET not in response.text
        expected = 200 if role in (Role.EXAM_ADMIN, Role.CHIEF_EXAMINER, Role.AUDITOR, Role.SYSTEM_ADMIN) else 403
        assert response.status_code == expected, (role, route)
    upload = actors.client.post("/banks/import", params={"filename": "b.yaml"}, content=to_yaml(bank()),
                                headers=headers)
    assert upload.status_code == 403


def test_metadata_readers_get_counts_for_composition_rules(actors: Actors, db_session: Session) -> None:
    version_id = _version(db_session)
    rows = actors.client.get(f"/bank-versions/{version_id}/counts", headers=actors.user_with(Role.CHIEF_EXAMINER))
    assert rows.json() == [
        {"knowledge_point": "1.1", "type": "true_false", "level": "掌握", "difficulty": 1, "count": 1},
        {"knowledge_point": "1.2", "type": "single_choice", "level": "熟练掌握", "difficulty": 2, "count": 1},
    ]


def test_the_bank_admin_reads_content(actors: Actors, db_session: Session) -> None:
    version_id = _version(db_session)
    response = actors.client.get(f"/bank-versions/{version_id}/questions", headers=actors.user_with(Role.BANK_ADMIN))
    assert SECRET in response.text


def test_no_question_text_reaches_the_log(actors: Actors, caplog: pytest.LogCaptureFixture) -> None:
    admin = actors.user_with(Role.BANK_ADMIN)
    bad = to_yaml(bank(tf("A-1", stem=SECRET, knowledge_point="7.7")))
    with caplog.at_level(logging.DEBUG):
        good = actors.client.post("/banks/import", params={"filename": "b.yaml"}, headers=admin,
                                  content=to_yaml(bank(tf("A-1", stem=SECRET))))
        version_id = good.json()["version"]["id"]
        actors.client.get(f"/bank-versions/{version_id}/questions", headers=admin)
        rejected = actors.client.post("/banks/import", params={"filename": "c.yaml"}, content=bad, headers=admin)
    assert rejected.status_code == 422 and SECRET not in rejected.text
    lines = [JsonFormatter().format(r) for r in caplog.records if not r.name.startswith("httpx")]
    assert lines and not any(SECRET in line for line in lines)


def test_a_rejected_upload_lists_every_problem(actors: Actors) -> None:
    admin = actors.user_with(Role.BANK_ADMIN)
    bad = to_yaml(bank(tf("A-1", knowledge_point="7.7"), sc("A-2", answer="Q")))
    response = actors.client.post("/banks/import", params={"filename": "bad.yaml"}, content=bad, headers=admin)
    body = response.json()
    assert (response.status_code, body["error"]) == (422, "bank_import_rejected")
    assert {(p["key"], p["field"]) for p in body["detail"]["problems"]} == {("A-1", "knowledge_point"),
                                                                            ("A-2", "answer")}
    assert all(p["file"] == "bad.yaml" and p["line"] > 0 for p in body["detail"]["problems"])


def test_an_upload_past_the_size_limit_is_refused(actors: Actors, monkeypatch: pytest.MonkeyPatch) -> None:
    from examsvc import uploads

    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 10)
    response = actors.client.post("/banks/import", params={"filename": "b.yaml"}, content=to_yaml(bank()),
                                  headers=actors.user_with(Role.BANK_ADMIN))
    assert (response.status_code, response.json()["error"]) == (413, "too_large")
