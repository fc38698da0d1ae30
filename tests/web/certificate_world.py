"""A certificate world (tests/certificates/world.py: candidates who passed theory and practical) committed to a
database of its own and served by a real ``examsvc serve`` with the same data folder (so the same certificate
and log keys): for the browser tests of the public check page and of the certificate officer's console."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bench.faults import Server
from examsvc import migrate
from examsvc.app import create_app
from examsvc.config import Settings
from examsvc.db import make_engine
from examsvc.scratch_db import scratch_postgres
from tests.builders import Actors
from tests.certificates.world import World
from tests.sittings.conftest import Day

T = TypeVar("T")


def database(tmp: Path, name: str) -> Iterator[Engine]:
    """A scratch PostgreSQL database when the tests run on one, else SQLite in ``tmp``; migrated."""
    url = os.environ.get("EXAMSVC_TEST_DATABASE_URL", "")
    if url.startswith("postgresql"):
        with scratch_postgres(url, f"{make_url(url).database}_{name}") as engine:
            yield engine
        return
    engine = make_engine(f"sqlite:///{tmp / f'{name}.sqlite3'}")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def committed_world(engine: Engine, settings: Settings, then: Callable[[World, TestClient, Session], T]) -> T:
    """Builds the world as tests/certificates build it (one connection, the app's commits savepoints inside
    it), runs ``then`` on it (issue, revoke, …), then commits it all for the server."""
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    app = create_app(settings, engine=engine)
    app.state.session_factory = factory
    db_session: Session = factory()
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            world = World(Day(Actors(client=client, db_session=db_session), db_session))
            made = then(world, client, db_session)
        outer.commit()
        return made
    finally:
        db_session.close()
        connection.close()


@dataclass(frozen=True)
class Served:
    base: str
    settings: Settings


@contextmanager
def served_world(tmp_path_factory: pytest.TempPathFactory, name: str, then: Callable[[World, TestClient, Session], T],
                 env: dict[str, str] | None = None) -> Iterator[tuple[Served, T]]:
    """The committed world behind ``examsvc serve``: (the server, what ``then`` answered)."""
    data_dir = tmp_path_factory.mktemp(f"{name}-data")
    for engine in database(tmp_path_factory.mktemp(f"{name}-db"), name):
        url = engine.url.render_as_string(hide_password=False)
        settings = Settings(_env_file=None, data_dir=data_dir, database_url=url,  # type: ignore[call-arg]
                            password_cost_log2=10, checkpoint_interval_seconds=0, sweep_interval_seconds=0)
        settings.ensure_data_dir()
        made = committed_world(engine, settings, then)
        server = Server(url, data_dir, log=data_dir / "serve.log", env={
            "EXAMSVC_CHECKPOINT_INTERVAL_SECONDS": "0", "EXAMSVC_PASSWORD_COST_LOG2": "10", **(env or {})})
        server.start()
        try:
            yield Served(server.base, settings), made
        finally:
            server.stop()
