"""A whole theory sitting with 30 candidates through the HTTP API, from check-in to signed results,
on a database that really commits, then checked with ``examsvc audit verify`` and ``verify-results``
like an auditor would from the server's shell."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from examsvc.app import create_app
from examsvc.cli import main
from examsvc.config import Settings
from examsvc.db import utcnow
from examsvc.sittings import cli as sittings_cli
from tests.attempts.exam import PASSPHRASE, Exam
from tests.builders import Actors
from tests.sittings.conftest import Day

CANDIDATES = 30


def test_a_theory_sitting_with_thirty_candidates(fresh_engine: Engine, settings: Settings, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    url = fresh_engine.url.render_as_string(hide_password=False)
    live = settings.model_copy(update={"database_url": url})
    monkeypatch.setenv("EXAMSVC_DATABASE_URL", url)
    monkeypatch.setenv("EXAMSVC_DATA_DIR", str(live.data_dir))
    monkeypatch.setenv("EXAMSVC_PASSWORD_COST_LOG2", "10")
    with TestClient(create_app(live, engine=fresh_engine), raise_server_exceptions=False) as client, \
            Session(fresh_engine, expire_on_commit=False) as db_session:
        exam = Exam(Day(Actors(client=client, db_session=db_session), db_session), candidates=CANDIDATES)
        scores = {}
        for i in range(CANDIDATES):
            started = exam.start(i)
            assert started.status_code == 200, started.text
            wrong_ones = i % 7 * 4  # 0 … 24 wrong answers: some pass, some fail
            answers = [exam.wrong(response) if position < wrong_ones else response
                       for position, response in enumerate(exam.correct(i))]
            if i < 2:  # over HTTP, as the workstation saves; the others' answers through the save service
                for position, answer in enumerate(answers):
                    assert exam.save(i, position, answer, seq=1).status_code == 200
            else:
                exam.answer(i, answers)
            scores[exam.admissions[i]] = 1000 - wrong_ones * 10
        exam.act(3, "warning", "交头接耳")
        exam.act(4, "pause", "考试机蓝屏")
        moved = exam.act(4, "move", "更换考试机", seat=30)
        exam.sign_in(4, moved.json()["one_time_code"], exam.credentials[("01", 30)])
        exam.act(4, "resume", "换机完成")
        assert exam.act(5, "removal", "夹带资料").status_code == 200
        scores[exam.admissions[5]] = None  # void
        for i in range(CANDIDATES - 2):
            if i != 5:
                assert exam.submit(i).status_code == 200
        # 121 minutes later by the shell's clock (not by moving the attempts' starts: verify-sitting
        # would rightly name that edit); no outage is credited, as from a shell with the sweep off.
        later = utcnow() + timedelta(minutes=121)
        with monkeypatch.context() as shell:
            shell.setattr(sittings_cli, "utcnow", lambda: later)
            shell.setenv("EXAMSVC_SWEEP_INTERVAL_SECONDS", "0")
            capsys.readouterr()
            assert main(["sittings", "sweep"]) == 0  # the last two are submitted at their deadline from the shell
            assert "2 attempt(s) submitted" in capsys.readouterr().out
        closed = client.post(f"/sittings/{exam.code}/close", headers=exam.chief, json={"passphrase": PASSPHRASE})
        assert closed.status_code == 200, closed.text
        published = client.post(f"/sittings/{exam.code}/results/publish", headers=exam.chief,
                                json={"passphrase": PASSPHRASE})
        assert published.status_code == 201, published.text
        assert published.json()["result_count"] == CANDIDATES
        results = {r["admission_number"]: r for r in
                   client.get(f"/sittings/{exam.code}/results", headers=exam.day.admin).json()}
        for number, expected in scores.items():
            if expected is None:
                assert results[number]["void"] and not results[number]["passed"]
            else:
                assert results[number]["score"] == expected, number
                assert results[number]["passed"] is (expected >= 800)
        board = client.get(f"/sittings/{exam.code}/attempts", headers=exam.chief).json()
        assert len(board) == CANDIDATES and {b["status"] for b in board} == {"submitted", "removed"}

    capsys.readouterr()
    assert main(["audit", "export", str(tmp_path / "export")]) == 0
    assert main(["audit", "verify", str(tmp_path / "export")]) == 0
    assert main(["audit", "verify-results", exam.code]) == 0
    out = capsys.readouterr().out
    assert f"{CANDIDATES} answer sheets and {CANDIDATES} result versions recomputed" in out
    assert main(["papers", "rederive", exam.code]) == 0
    capsys.readouterr()
    assert main(["audit", "verify-sitting", exam.code]) == 0, capsys.readouterr().out
    assert f"OK: sitting {exam.code}: 0 mismatch(es)" in capsys.readouterr().out
