"""Fixtures of the bank tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from examsvc.cli import main


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI on a fresh embedded database of its own (the data folder under ``tmp_path``)."""
    monkeypatch.setenv("EXAMSVC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("EXAMSVC_DATABASE_URL", raising=False)
    assert main(["db", "upgrade"]) == 0
    return tmp_path
