"""``examsvc sittings …`` on a real embedded database."""

from __future__ import annotations

from pathlib import Path

import pytest

from examsvc.bootstrap import transaction
from examsvc.cli import main
from examsvc.config import Settings
from examsvc.db import engine_from_settings
from examsvc.identity.roles import Role
from tests.builders import make_user
from tests.papers.builders import approved_rule
from tests.sittings.conftest import days_ahead
from tests.sittings.test_candidates import csv_of, ident


def test_schedule_staff_and_register_from_the_shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("EXAMSVC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("EXAMSVC_DATABASE_URL", raising=False)
    assert main(["db", "upgrade"]) == 0
    assert main(["sites", "create", "JZ-01", "--name", "晋中考点"]) == 0
    assert main(["sites", "add-room", "JZ-01", "01", "--name", "第一考场", "--seats", "30"]) == 0
    with transaction(engine_from_settings(Settings(_env_file=None))) as db_session:  # type: ignore[call-arg]
        rule_id = approved_rule(db_session).id
        proctor_id = make_user(db_session, Role.PROCTOR).id
    day = days_ahead(30)[:10]
    capsys.readouterr()
    assert main(["sittings", "create", "JZ-AM", "--title", "低压电工理论", "--blueprint", str(rule_id),
                 "--site", "JZ-01", "--room", "01", "--start", f"{day}T09:00+08:00"]) == 0
    # Printed times are the site's local time (EXAMSVC_TIMEZONE, Asia/Shanghai), to the second.
    assert f"scheduled at {day} 09:00:00 (Asia/Shanghai)" in capsys.readouterr().out
    assert main(["sittings", "assign", "JZ-AM", str(proctor_id), "proctor", "--room", "01"]) == 0
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(csv_of(("冯一", ident("19870707", 31), "某校")))
    bad.write_bytes(csv_of(("陈二", "123", "某校")))
    capsys.readouterr()
    assert main(["sittings", "register", "JZ-AM", str(bad)]) == 1
    assert "第2行" in capsys.readouterr().err
    assert main(["sittings", "register", "JZ-AM", str(good)]) == 0
    assert "冯一" in capsys.readouterr().out
    assert main(["sittings", "list"]) == 0
    assert f"JZ-AM\t{day} 09:00:00\tscheduled\tJZ-01\t1 staff" in capsys.readouterr().out
