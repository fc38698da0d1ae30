"""``examsvc papers verify|rederive SITTING`` on a real embedded database."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from examsvc.audit.actors import Actor
from examsvc.audit.keys import load_signer
from examsvc.banks import files
from examsvc.blueprints import service as blueprints
from examsvc.bootstrap import transaction
from examsvc.candidates import service as candidates
from examsvc.candidates.sheets import read_sheet
from examsvc.cli import main
from examsvc.config import Settings
from examsvc.db import engine_from_settings, utcnow
from examsvc.examiners import service as examiners
from examsvc.identity.roles import Role
from examsvc.papers import service as papers
from examsvc.papers.keys import paper_key_provider
from examsvc.sites import rooms
from examsvc.sites import service as sites
from examsvc.sittings import flows
from examsvc.sittings import service as sittings
from examsvc.sittings.models import StaffRole
from tests.builders import make_user, release_without_opening
from tests.papers.builders import ROOT, electrician_rule
from tests.sittings.test_candidates import ident


def test_verify_and_rederive_from_the_shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("EXAMSVC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("EXAMSVC_DATABASE_URL", raising=False)
    assert main(["db", "upgrade"]) == 0
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    engine = engine_from_settings(settings)
    signer, keys = load_signer(settings), paper_key_provider(settings)
    with transaction(engine) as db_session:
        banks = {r.version.part: r.version.id for r in files.import_paths(
            db_session=db_session, paths=[ROOT / "question_banks" / "low_voltage_electrician"], actor=Actor.cli(),
            publish=True)}
        author, chief = make_user(db_session, Role.EXAM_ADMIN), make_user(db_session, Role.CHIEF_EXAMINER)
        site = "TY-CLI"
        sites.create_site(db_session=db_session, code=site, name="测试考点", address="", actor=Actor.cli())
        rooms.create_room(db_session=db_session, site_code=site, code="01", name="第01考场", seats=30,
                          actor=Actor.cli())
        as_author = Actor.user(author.id, author.username, ("exam_admin",))
        as_chief = Actor.user(chief.id, chief.username, ("chief_examiner",))
        rule = blueprints.create(db_session=db_session, blueprint=electrician_rule(),
                                 national_bank_version_id=banks["national"],
                                 provincial_bank_version_id=banks["provincial"], actor=as_author)
        blueprints.submit(db_session=db_session, blueprint_id=rule.id, actor=as_author)
        examiners.create_key(db_session=db_session, user=chief, passphrase="a long examiner passphrase",
                             origin=settings.log_origin, cost_log2=10, actor=as_chief)
        blueprints.approve(db_session=db_session, blueprint_id=rule.id, passphrase="a long examiner passphrase",
                           actor=as_chief)
        sittings.create(db_session=db_session, code="S-CLI", title="低压电工作业理论考试", blueprint_id=rule.id,
                        site_code=site, room_codes=["01"], scheduled_start=utcnow() + timedelta(days=3),
                        late_entry_minutes=15, proctors_per_room=1, actor=Actor.cli(), now=utcnow())
        flows.assign_staff(db_session=db_session, code="S-CLI", user_id=chief.id, role=StaffRole.CHIEF_EXAMINER,
                           room_code=None, actor=Actor.cli())
        sheet = "姓名,身份证号,培训机构,工作单位\n" + "".join(f"考生{n},{ident('19900101', n)},,\n" for n in range(3))
        registered = candidates.register(db_session=db_session, code="S-CLI", min_age=18, max_age=70,
                                         sheet=read_sheet(sheet.encode(), "名单.csv"), actor=Actor.cli())
        made = papers.generate(db_session=db_session, sitting_code="S-CLI", signer=signer, keys=keys, actor=as_author)
        set_id = made.id
        second = registered[1].admission_number
    capsys.readouterr()
    assert main(["papers", "verify", "S-CLI"]) == 0
    out = capsys.readouterr().out
    assert "3 papers match the manifest; signatures: service only" in out
    assert "content not checked" in out and "checked after opening" in out
    assert main(["papers", "rederive", "S-CLI"]) == 1
    assert "not revealed yet" in capsys.readouterr().err
    with transaction(engine) as db_session:
        chief_actor = Actor.user(chief.id, chief.username, ("chief_examiner",))
        papers.approve(db_session=db_session, paper_set_id=set_id, passphrase="a long examiner passphrase",
                       keys=keys, actor=chief_actor)
    with Session(engine) as db_session:
        release_without_opening(db_session, set_id, chief, keys, "a long examiner passphrase")
    with transaction(engine) as db_session:
        papers.close_set(db_session=db_session, paper_set_id=set_id, keys=keys, actor=chief_actor)
    assert main(["papers", "rederive", "S-CLI"]) == 0
    assert "re-derived" in capsys.readouterr().out
    with sqlite3.connect(tmp_path / "data" / "examsvc.sqlite3") as connection:
        connection.execute("DROP TRIGGER paper_no_update")
        connection.execute("UPDATE paper SET digest = 'ff' || substr(digest, 3) WHERE candidate = ?", (second,))
    assert main(["papers", "verify", "S-CLI"]) == 1
    assert second in capsys.readouterr().err
