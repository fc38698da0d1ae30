"""``examsvc papers verify|rederive SITTING`` on a real embedded database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from examsvc.audit.actors import Actor
from examsvc.audit.keys import load_signer
from examsvc.banks import files
from examsvc.blueprints import service as blueprints
from examsvc.bootstrap import transaction
from examsvc.cli import main
from examsvc.config import Settings
from examsvc.db import engine_from_settings
from examsvc.examiners import service as examiners
from examsvc.identity.roles import Role
from examsvc.papers import service as papers
from examsvc.papers.keys import paper_key_provider
from tests.builders import make_user
from tests.papers.builders import ROOT, electrician_rule


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
        made = papers.generate(db_session=db_session, blueprint_id=rule.id, sitting_code="S-CLI",
                               candidates=["14010001", "14010002", "14010003"], signer=signer, keys=keys,
                               actor=as_author)
        set_id = made.id
    capsys.readouterr()
    assert main(["papers", "verify", "S-CLI"]) == 0
    assert "3 papers match the manifest; signatures: service only" in capsys.readouterr().out
    assert main(["papers", "rederive", "S-CLI"]) == 1
    assert "not revealed yet" in capsys.readouterr().err
    with transaction(engine) as db_session:
        chief_actor = Actor.user(chief.id, chief.username, ("chief_examiner",))
        papers.approve(db_session=db_session, paper_set_id=set_id, passphrase="a long examiner passphrase",
                       actor=chief_actor)
        papers.open_set(db_session=db_session, paper_set_id=set_id, keys=keys, actor=chief_actor)
        papers.close_set(db_session=db_session, paper_set_id=set_id, keys=keys, actor=chief_actor)
    assert main(["papers", "rederive", "S-CLI"]) == 0
    assert "re-derived" in capsys.readouterr().out
    with sqlite3.connect(tmp_path / "data" / "examsvc.sqlite3") as connection:
        connection.execute("DROP TRIGGER paper_no_update")
        connection.execute("UPDATE paper SET digest = 'ff' || substr(digest, 3) WHERE candidate = '14010002'")
    assert main(["papers", "verify", "S-CLI"]) == 1
    assert "14010002" in capsys.readouterr().err
