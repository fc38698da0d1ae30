"""Fixtures for the bank tests: the CLI on a fresh embedded database, and the upload route."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from examsvc.banks.models import BankVersion, Question
from examsvc.cli import main
from examsvc.identity.roles import Role
from tests.builders import Actors


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI on a fresh embedded database of its own (the data folder under ``tmp_path``)."""
    monkeypatch.setenv("EXAMSVC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("EXAMSVC_DATABASE_URL", raising=False)
    assert main(["db", "upgrade"]) == 0
    return tmp_path


def stored(db_session: Session) -> tuple[int, int]:
    """(bank versions, questions) stored: the same before and after a refusal."""
    return (db_session.scalar(select(func.count()).select_from(BankVersion)) or 0,
            db_session.scalar(select(func.count()).select_from(Question)) or 0)


def upload(actors: Actors, data: bytes, filename: str) -> Any:
    return actors.client.post("/banks/import", params={"filename": filename}, content=data,
                              headers=actors.user_with(Role.BANK_ADMIN))


def refused_upload(actors: Actors, db_session: Session, data: bytes, filename: str) -> list[dict[str, Any]]:
    """The problems of an upload that must be refused (422, nothing stored)."""
    before = stored(db_session)
    response = upload(actors, data, filename)
    assert response.status_code in (409, 422), response.text
    assert "Traceback" not in response.text
    assert stored(db_session) == before, "a refused upload stored something"
    problems: list[dict[str, Any]] = response.json()["detail"]["problems"]
    return problems


def line_of(data: bytes, needle: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(needle)
