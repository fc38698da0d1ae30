"""A database of its own and a real ``examsvc serve`` on it: what every browser test's world stands on
(the exam morning of tests/web/conftest.py, the certificate world of tests/web/certificate_world.py)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

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
from tests.sittings.conftest import Day

T = TypeVar("T")

# Fast password hashing and no background checkpoint signer: the tests sign checkpoints when they need one.
SERVER_ENV = {"EXAMSVC_PASSWORD_COST_LOG2": "10", "EXAMSVC_CHECKPOINT_INTERVAL_SECONDS": "0"}


def own_database(tmp: Path, name: str) -> Iterator[Engine]:
    """A scratch PostgreSQL database ``<test database>_<name>`` when the tests run on one, else SQLite in
    ``tmp``; migrated. The server commits, so the shared test database (rolled back) is not used."""
    url = os.environ.get("EXAMSVC_TEST_DATABASE_URL", "")
    if url.startswith("postgresql"):
        with scratch_postgres(url, f"{make_url(url).database}_{name}") as engine:
            yield engine
        return
    engine = make_engine(f"sqlite:///{tmp / f'{name}.sqlite3'}")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def server_settings(engine: Engine, data_dir: Path, **overrides: Any) -> Settings:
    """The settings the server will read from the same data folder (its keys) and database."""
    settings = Settings(_env_file=None, data_dir=data_dir,  # type: ignore[call-arg]
                        database_url=engine.url.render_as_string(hide_password=False), password_cost_log2=10,
                        **overrides)
    settings.ensure_data_dir()
    return settings


@contextmanager
def live_server(settings: Settings, env: dict[str, str] | None = None) -> Iterator[Server]:
    """``examsvc serve`` on ``settings``' database and data folder, on a free port; stopped on the way out."""
    server = Server(settings.database_url, settings.data_dir, log=settings.data_dir / "serve.log",
                    env={**SERVER_ENV, **(env or {})})
    server.start()
    try:
        yield server
    finally:
        server.stop()


def committed(engine: Engine, settings: Settings, then: Callable[[Day, TestClient, Session], T]) -> T:
    """Builds a world as the API tests build it (one connection, the app's commits savepoints inside it): ``then``
    gets the exam morning's ``Day``, the client and the session; all of it is then committed for the server."""
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    app = create_app(settings, engine=engine)
    app.state.session_factory = factory
    db_session: Session = factory()
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            made = then(Day(Actors(client=client, db_session=db_session), db_session), client, db_session)
        outer.commit()
        return made
    finally:
        db_session.close()
        connection.close()
