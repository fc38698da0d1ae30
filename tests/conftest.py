"""Test database and application fixtures.

The database is built once per run by the Alembic migrations (never by ``create_all``), on the
database named by ``EXAMSVC_TEST_DATABASE_URL`` (CI passes a fresh PostgreSQL database) or a SQLite
file in a temporary folder. Each test runs inside one outer transaction that is rolled back at the
end; the application's own commits become savepoints inside it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, create_engine, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from examsvc import migrate
from examsvc.app import create_app
from examsvc.config import Settings
from examsvc.db import make_engine
from examsvc.scratch_db import scratch_postgres
from tests.builders import Actors

TEST_PASSWORD_COST = 10  # scrypt N = 2**10: fast tests; production default is 2**17


def _reaches_test_database(item: pytest.Item) -> bool:
    """Outside tests/web (whose servers read EXAMSVC_TEST_DATABASE_URL themselves), a test reaches the test
    database only through the ``database_url`` fixture; one that does not would run the same on any."""
    if "database_url" in getattr(item, "fixturenames", ()):
        return True
    return "tests/web/" in item.nodeid.replace("\\", "/") or item.nodeid.startswith("web/")


# The longest modules, started first: pytest-xdist hands out whole files (--dist loadfile) in collection
# order, and a long file handed out last keeps one worker busy while the other idles.
HEAVY_FIRST = ("tests/test_fuzz.py", "tests/audit/test_tamper_campaign.py", "tests/test_access_matrix.py",
               "tests/web/test_clock.py", "tests/attempts/test_end_to_end.py", "tests/test_faults.py",
               "tests/practical/test_exam.py", "tests/certificates/test_lifecycle.py", "tests/web/staff/test_chief.py",
               "tests/banks/test_import_share.py", "tests/test_login_flood.py", "tests/test_sitting_scope.py")


def _heavy_first(items: list[pytest.Item]) -> None:
    rank = {path: n for n, path in enumerate(HEAVY_FIRST)}
    order = {id(item): n for n, item in enumerate(items)}
    items.sort(key=lambda item: (rank.get(item.nodeid.split("::")[0], len(rank)), order[id(item)]))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, tests that do not reach the test database (parsers, formats, the embedded CLI) and
    modules marked ``db_agnostic`` (transport, body limits, import times, refusals) run as in the SQLite
    pass: CI runs them there only, so the PostgreSQL pass (with the browser tests) stays within its time.
    ``EXAMSVC_TEST_ALL=1`` runs them on PostgreSQL too."""
    _heavy_first(items)
    url = os.environ.get("EXAMSVC_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql") or os.environ.get("EXAMSVC_TEST_ALL") == "1":
        return
    skip = pytest.mark.skip(reason="database-agnostic: runs in the SQLite pass (EXAMSVC_TEST_ALL=1 runs it here)")
    for item in items:
        if item.get_closest_marker("db_agnostic") or not _reaches_test_database(item):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("EXAMSVC_TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if url and worker:
        # pytest-xdist: each worker downgrades and upgrades a database of its own beside the one named.
        with _worker_database(url, worker) as own:
            yield own
        return
    if url:
        yield url
        return
    # SQLite: tmp_path_factory's folder is already per worker.
    yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@contextlib.contextmanager
def _worker_database(url: str, worker: str) -> Iterator[str]:
    named = make_url(url)
    name = f"{named.database}_{worker}"
    # pre-ping: the PostgreSQL fault test restarts the server in between (when run alone, -n 0)
    admin = create_engine(named.set(database="postgres"), isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield named.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    if migrate.current_revision(engine) is not None:
        migrate.downgrade(engine, "base")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    connection = engine.connect()
    outer = connection.begin()
    yield connection
    outer.rollback()
    connection.close()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def db_session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    db_session = session_factory()
    yield db_session
    db_session.close()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=database_url,
        password_cost_log2=TEST_PASSWORD_COST,
        login_max_failures=3,
        checkpoint_interval_seconds=0,  # the background signer would share the test connection
        sweep_interval_seconds=0,  # so would the deadline sweep; tests drive it directly
    )


@pytest.fixture
def app(settings: Settings, engine: Engine, session_factory: sessionmaker[Session]) -> FastAPI:
    app = create_app(settings, engine=engine)
    app.state.session_factory = session_factory
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def actors(client: TestClient, db_session: Session) -> Actors:
    return Actors(client=client, db_session=db_session)


@pytest.fixture
def fresh_engine(database_url: str, tmp_path: Path) -> Iterator[Engine]:
    """A database of its own, migrated, for tests that must really commit (concurrency, the CLI)."""
    if not database_url.startswith("postgresql"):
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
        migrate.upgrade(engine)
        yield engine
        engine.dispose()
        return
    with scratch_postgres(database_url, f"{make_url(database_url).database}_fresh") as engine:
        yield engine
