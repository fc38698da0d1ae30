"""Names with control characters: refused at the API, escaped in CLI tables; bank exports are private."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from examsvc.audit.actors import Actor
from examsvc.bootstrap import transaction
from examsvc.cli import main
from examsvc.config import Settings
from examsvc.db import engine_from_settings
from examsvc.identity.roles import Role
from examsvc.private_files import write_private
from examsvc.sites import service as sites
from examsvc.text import shown
from tests.builders import Actors

FORGED = "01号机\n999\tTY-01\t假机器\tactive\x1b[32m\u202e"


def test_shown_escapes_every_control_character() -> None:
    assert shown(FORGED) == "01号机\\n999\\tTY-01\\t假机器\\tactive\\x1b[32m\\u202e"
    assert shown("第1考场-01号机") == "第1考场-01号机"


def test_enrolment_refuses_a_name_with_control_characters(actors: Actors) -> None:
    admin = actors.user_with(Role.SYSTEM_ADMIN)
    site = actors.client.post("/sites", headers=admin, json={"code": "TY-09", "name": "太原考点", "address": ""})
    code = site.json()["enrolment_code"]
    for name in (FORGED, "01号机\r", "\u202e机号10"):
        refused = actors.client.post("/workstations/enrol", json={"site_code": "TY-09", "enrolment_code": code,
                                                                  "name": name})
        assert refused.status_code == 422, name
        assert refused.json()["detail"]["fields"][0]["location"] == ["body", "name"]
    assert actors.client.post("/sites", headers=admin, json={"code": "TY-10", "name": "考点\n",
                                                             "address": ""}).status_code == 422
    ok = actors.client.post("/workstations/enrol", json={"site_code": "TY-09", "enrolment_code": code,
                                                         "name": "第1考场-01号机"})
    assert ok.status_code == 201


def test_workstations_list_prints_a_forged_name_on_one_escaped_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("EXAMSVC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("EXAMSVC_DATABASE_URL", raising=False)
    assert main(["db", "upgrade"]) == 0
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]
    # Stored as a name enrolled before the API refused them would be.
    with transaction(engine_from_settings(settings)) as db_session:
        created = sites.create_site(db_session=db_session, code="TY-01", name="太原考点", address="",
                                    actor=Actor.cli())
        sites.enrol_workstation(db_session=db_session, site_code="TY-01", enrolment_code=created.enrolment_code,
                                name=FORGED)
    capsys.readouterr()
    assert main(["workstations", "list"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "\x1b" not in out and "\u202e" not in out
    assert "01号机\\n999\\tTY-01" in out


def test_private_files_are_owner_only_even_if_they_existed(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_bytes(b"old")
    path.chmod(0o644)
    write_private(path, b"key")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_bytes() == b"key"


def test_a_login_name_with_control_characters_is_refused_not_stored(actors: Actors) -> None:
    """PostgreSQL cannot store a NUL: a name with one used to reach the throttle table and answer 500."""
    for name in ("root\x00", "ro\not", "\x1b[31madmin"):
        refused = actors.client.post("/auth/login", json={"username": name, "password": "x"})
        assert refused.status_code == 422, (name, refused.text)


def test_the_login_service_refuses_control_characters_for_every_caller(actors: Actors) -> None:
    from examsvc.errors import InvalidInput
    from examsvc.identity import service
    from examsvc.identity.endpoints import login_policy

    settings = actors.client.app.state.settings  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput, match="控制字符"):
        service.login(db_session=actors.db_session, username="root\x00", password="x", source="127.0.0.1",
                      policy=login_policy(settings))
