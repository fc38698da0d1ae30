"""``examsvc analytics collect`` on an embedded database of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from examsvc.cli import main


def test_collect_names_an_unknown_sitting_and_collects_nothing_unpublished(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("EXAMSVC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("EXAMSVC_DATABASE_URL", raising=False)
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["analytics", "collect"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "0 published sitting(s) collected"
    assert main(["analytics", "collect", "--sitting", "NO-SUCH"]) == 1
    assert "sitting_not_found" in capsys.readouterr().err
    assert main(["analytics", "check"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("attempt_items matches")
