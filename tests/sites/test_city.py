"""A site's city (设区的市), for the statistics by city: set at creation or later, by API and by CLI, logged,
shown where sites are listed; a bad city is refused naming the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from examsvc.audit import repository
from examsvc.identity.roles import Role
from tests.builders import Actors
from tests.test_cli import _run, embedded  # noqa: F401  (the embedded-database fixture)


def test_a_site_is_created_with_a_city_and_its_city_is_changed_and_logged(actors: Actors, db_session: Session) -> None:
    client, admin = actors.client, actors.user_with(Role.SYSTEM_ADMIN)
    start = repository.committed_size(db_session)
    made = client.post("/sites", headers=admin, json={"code": "JC-01", "name": "晋城考点", "city": "晋城市"})
    assert made.status_code == 201 and made.json()["city"] == "晋城市"
    plain = client.post("/sites", headers=admin, json={"code": "JC-02", "name": "晋城第二考点"})
    assert plain.status_code == 201 and plain.json()["city"] is None
    changed = client.patch("/sites/JC-02", headers=admin, json={"city": " 长治市 "})
    assert changed.status_code == 200 and changed.json()["city"] == "长治市"
    listed = {s["code"]: s["city"] for s in client.get("/sites", headers=admin).json()}
    assert listed["JC-01"] == "晋城市" and listed["JC-02"] == "长治市"
    assert client.patch("/sites/JC-02", headers=admin, json={"city": None}).json()["city"] is None
    db_session.expire_all()
    entries = [json.loads(e) for e in repository.entries(db_session, start, repository.committed_size(db_session))]
    set_city = [e for e in entries if e["action"] == "site.city_set"]
    assert [e["details"]["city"] for e in set_city] == ["长治市", None]
    assert set_city[1]["details"]["previous"] == "长治市"


@pytest.mark.parametrize("city", ["", "太原\n市", "市" * 41])
def test_a_bad_city_is_refused_naming_the_field(actors: Actors, city: str) -> None:
    client, admin = actors.client, actors.user_with(Role.SYSTEM_ADMIN)
    assert client.post("/sites", headers=admin, json={"code": "JC-03", "name": "考点"}).status_code == 201
    refused = client.patch("/sites/JC-03", headers=admin, json={"city": city})
    assert refused.status_code == 422
    assert "city" in json.dumps(refused.json()["detail"])
    assert client.get("/sites", headers=admin).json()[-1]["city"] is None


def test_only_a_system_admin_sets_a_city(actors: Actors) -> None:
    client, admin = actors.client, actors.user_with(Role.SYSTEM_ADMIN)
    assert client.post("/sites", headers=admin, json={"code": "JC-04", "name": "考点"}).status_code == 201
    for role in (Role.EXAM_ADMIN, Role.INSPECTOR):
        assert client.patch("/sites/JC-04", headers=actors.user_with(role), json={"city": "晋城市"}).status_code == 403
    assert client.patch("/sites/JC-04", json={"city": "晋城市"}).status_code == 401


def test_the_city_from_the_shell(embedded: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    assert _run(["db", "upgrade"], capsys)[0] == 0
    assert _run(["sites", "create", "YQ-01", "--name", "阳泉考点", "--city", "阳泉市"], capsys)[0] == 0
    assert "YQ-01\t阳泉考点\t阳泉市" in _run(["sites", "list"], capsys)[1]
    code, out, _ = _run(["sites", "set-city", "YQ-01", "--city", "晋中市"], capsys)
    assert code == 0 and "city 晋中市" in out
    assert _run(["sites", "set-city", "YQ-01", "--city", ""], capsys)[0] == 0
    assert "YQ-01\t阳泉考点\t-" in _run(["sites", "list"], capsys)[1]
    assert _run(["sites", "set-city", "NO-SUCH", "--city", "x"], capsys)[0] == 1
