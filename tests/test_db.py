from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from examsvc.db import DbSession
from examsvc.identity.access import CurrentUser, require_roles
from examsvc.identity.roles import Role
from examsvc.sites import service as sites_service
from examsvc.sites.models import Site
from tests.builders import TEST_ACTOR, Actors


def test_sqlite_runs_in_wal_mode_with_foreign_keys(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas only")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_a_request_that_fails_after_writing_leaves_nothing(app: FastAPI, actors: Actors, db_session: Session) -> None:
    @app.post("/half-done")
    def half_done(_: Annotated[CurrentUser, Depends(require_roles(Role.SYSTEM_ADMIN))], session: DbSession) -> None:
        sites_service.create_site(db_session=session, code="HALF", name="写了一半", address="", actor=TEST_ACTOR)
        raise RuntimeError("fails after the write")

    response = actors.client.post("/half-done", headers=actors.user_with(Role.SYSTEM_ADMIN))
    assert response.status_code == 500
    db_session.expire_all()
    assert db_session.scalars(select(Site).where(Site.code == "HALF")).all() == []


def test_a_request_that_succeeds_is_committed_before_it_answers(app: FastAPI, actors: Actors,
                                                                db_session: Session) -> None:
    response = actors.client.post("/sites", headers=actors.user_with(Role.SYSTEM_ADMIN),
                                  json={"code": "DONE", "name": "已提交"})
    assert response.status_code == 201
    db_session.expire_all()
    assert db_session.scalars(select(Site.name).where(Site.code == "DONE")).one() == "已提交"
