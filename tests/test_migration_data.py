"""SQLite rebuilds a table to change it (batch mode). A rebuild of ``sitting`` while registrations and
check-ins point at it must keep every row and every foreign key: migrations run with enforcement off
and end with ``PRAGMA foreign_key_check`` (SQLite's documented procedure)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from examsvc import migrate
from examsvc.app import create_app
from examsvc.config import Settings
from examsvc.db import make_engine
from tests.builders import Actors
from tests.sittings.conftest import Day
from tests.sittings.test_candidates import csv_of, ident


def test_rebuilding_the_sitting_table_keeps_rows_and_foreign_keys(settings: Settings, tmp_path: Path) -> None:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL alters tables in place")
    url = f"sqlite:///{tmp_path / 'upgrade.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with TestClient(create_app(settings.model_copy(update={"database_url": url}), engine=engine)) as client, \
            Session(engine, expire_on_commit=False) as db_session:
        day = Day(Actors(client=client, db_session=db_session), db_session)
        day.sitting("KEEP-1")
        registered = client.post("/sittings/KEEP-1/candidates", params={"filename": "名单.csv"}, headers=day.admin,
                                 content=csv_of(("张三", ident("19900101", 31), "某校")))
        assert registered.status_code == 201, registered.text

    def counts() -> tuple[int, int, list[object]]:
        with engine.connect() as connection:
            sittings = connection.execute(text("SELECT count(*) FROM sitting")).scalar_one()
            registrations = connection.execute(text("SELECT count(*) FROM registration")).scalar_one()
            broken = list(connection.execute(text("PRAGMA foreign_key_check")))
            connection.rollback()
        return sittings, registrations, broken

    assert counts() == (1, 1, [])
    migrate.downgrade(engine, "20261128_practical_banks")  # sitting rebuilt without practical_rule_id
    assert counts() == (1, 1, [])
    migrate.upgrade(engine)  # and rebuilt again with it
    assert counts() == (1, 1, [])
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    engine.dispose()
