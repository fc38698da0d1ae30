"""The examsvc command, run as an administrator would, on an embedded database of its own."""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from examsvc import bootstrap, migrate
from examsvc.cli import main
from examsvc.config import Settings
from examsvc.db import make_engine


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EXAMSVC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("EXAMSVC_PASSWORD_COST_LOG2", "10")
    monkeypatch.delenv("EXAMSVC_DATABASE_URL", raising=False)
    return tmp_path / "data"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str], stdin: str = "",
         monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    if monkeypatch is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_admin_workflow_from_the_shell(embedded: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(["db", "upgrade"], capsys)[0] == 0
    code, out, _ = _run(["users", "create-admin", "root"], capsys, "", monkeypatch)
    assert code == 0
    assert re.search(r"generated password \(shown once\): \S{20,}", out)
    code, out, _ = _run(["users", "create", "zhao", "--name", "赵六", "--role", "proctor",
                         "--training-institution", "某培训中心", "--password-stdin"], capsys,
                        "a long passphrase\n", monkeypatch)
    assert code == 0 and "generated" not in out
    assert _run(["users", "grant", "zhao", "evaluator"], capsys)[1].strip() == "zhao: evaluator, proctor"
    listing = _run(["users", "list"], capsys)[1]
    assert "zhao\t赵六\tactive\tevaluator,proctor\ttraining_institution=某培训中心" in listing
    assert _run(["users", "disable", "zhao"], capsys)[1].strip() == "zhao: disabled"
    code, _, err = _run(["users", "revoke", "root", "system_admin"], capsys)
    assert code == 1 and "last_system_admin" in err

    code, out, _ = _run(["sites", "create", "DT-01", "--name", "大同考点"], capsys)
    enrolment_code = re.search(r"enrolment code \(shown once\): (\S+)", out)
    assert code == 0 and enrolment_code
    assert "DT-01\t大同考点" in _run(["sites", "list"], capsys)[1]


def test_workstation_approval_from_the_shell(embedded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run(["db", "upgrade"], capsys)
    out = _run(["sites", "create", "JZ-01", "--name", "晋中考点"], capsys)[1]
    code = re.search(r"enrolment code \(shown once\): (\S+)", out)
    assert code
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    from examsvc.sites import service

    with bootstrap.transaction(make_engine(settings.effective_database_url)) as db_session:
        ws_id = service.enrol_workstation(db_session=db_session, site_code="JZ-01", enrolment_code=code.group(1),
                                          name="01").workstation.id
    assert f"{ws_id}\tJZ-01\t01\tpending" in _run(["workstations", "list", "--status", "pending"], capsys)[1]
    assert _run(["workstations", "approve", str(ws_id)], capsys)[1].endswith("active\n")
    assert _run(["workstations", "revoke", str(ws_id), "--reason", "更换"], capsys)[1].endswith("revoked\n")
    assert _run(["workstations", "approve", str(ws_id)], capsys)[0] == 1


def test_serve_refuses_an_unmigrated_shared_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url=url)  # type: ignore[call-arg]
    engine = make_engine(url)
    with pytest.raises(bootstrap.NotMigrated, match="examsvc db upgrade"):
        bootstrap.prepare_schema(settings, engine, migrate_requested=False)
    assert migrate.current_revision(engine) is None
    bootstrap.prepare_schema(settings, engine, migrate_requested=True)
    assert migrate.is_up_to_date(engine)


def test_serve_starts_on_the_embedded_default_and_prints_the_first_admin(tmp_path: Path) -> None:
    env = {**os.environ, "EXAMSVC_DATA_DIR": str(tmp_path / "data"), "EXAMSVC_PASSWORD_COST_LOG2": "10"}
    env.pop("EXAMSVC_DATABASE_URL", None)
    port = 18000 + os.getpid() % 1000
    process = subprocess.Popen([sys.executable, "-m", "examsvc", "serve", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/docs").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").json() == {"status": "ok", "database": "ok"}
    finally:
        process.terminate()
        out, err = process.communicate(timeout=20)
    # The banner is on the terminal (stdout) only; stderr is the log, every line of it JSON (issue 16 item 20).
    password = re.search(r"password \(shown once, change it\): (\S+)", out)
    assert password, (out[-2000:], err[-2000:])
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and all(isinstance(json.loads(line), dict) for line in lines), err[-2000:]
    assert password.group(1) not in err
    database = tmp_path / "data" / "examsvc.sqlite3"
    with sqlite3.connect(database) as connection:
        published = connection.execute("SELECT count(*) FROM bank_version WHERE status = 'published'").fetchone()[0]
    assert published == len([p for p in (Path(__file__).parent.parent / "question_banks").rglob("*.yaml")
                             if "practical" not in p.parts])
    # The generated password is printed once, and not inside any log line.
    assert sum(password.group(1) in line for line in out.splitlines()) == 1


def test_a_refusal_prints_its_detail_as_lines_never_a_python_dict(embedded: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    _run(["db", "upgrade"], capsys)
    assert _run(["sites", "create", "DT-01", "--name", "大同考点"], capsys)[0] == 0
    code, _, err = _run(["sites", "create", "DT-01", "--name", "大同\x1b[31m考点"], capsys)
    assert code == 1
    first, *rest = err.strip().splitlines()
    assert first.startswith("examsvc: ") and first.endswith(")"), err
    assert rest and all(line.startswith("  ") and ": " in line for line in rest), err
    assert "{" not in err and "\x1b" not in err, err
