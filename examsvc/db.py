"""Engine, session factory and the one place a request's transaction is committed or rolled back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import QueuePool
from sqlalchemy.types import TypeDecorator

from examsvc.config import Settings
from examsvc.crypto import save_chain
from examsvc.errors import ExamServiceError
from examsvc.requestlog import confirm_audit_entries, discard_audit_entries

if TYPE_CHECKING:
    from fastapi import Request

# Deterministic constraint names, so that migrations can name what they alter on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite stores no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC time is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    # Take transaction control away from the pysqlite driver so that SQLAlchemy's BEGIN (below),
    # savepoints and DDL inside transactions behave as documented.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
    # The answer save's upsert advances the save chain in SQL (PostgreSQL has it from the migration).
    dbapi_connection.create_function(save_chain.SQL_FUNCTION, 2, save_chain.advance, deterministic=True)


def _sqlite_begin_immediate(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes
    # fails at once with "database is locked" when another writer got there first, without waiting.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """The pool holds ``pool_size`` connections and as many again under load (see ``pool_capacity``)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=QueuePool,
                               pool_size=pool_size, max_overflow=pool_size)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def pool_capacity(engine: Engine) -> int:
    """How many connections the engine's pool hands out at once (``make_engine`` doubles ``pool_size``)."""
    pool = engine.pool
    return 2 * pool.size() if isinstance(pool, QueuePool) else 1_000


def engine_from_settings(settings: Settings) -> Engine:
    # Every table in the metadata: a command imports only its own domain's modules, and a row whose foreign
    # key names another domain's table (site.created_by → user_account) cannot be flushed without it.
    import examsvc.models  # noqa: F401
    return make_engine(settings.effective_database_url, pool_size=settings.db_pool_size)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


T = TypeVar("T")


@contextmanager
def request_transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction per request: committed when the work returns, rolled back if it raises."""
    db_session = factory()
    try:
        yield db_session
        db_session.commit()
        confirm_audit_entries()
    except ExamServiceError as exc:
        # A refusal that must leave a trace (a failed login's counter) asks to keep its changes.
        if exc.keep_changes:
            db_session.commit()
            confirm_audit_entries()
        else:
            db_session.rollback()
            discard_audit_entries()
            _after_rollback(factory, exc)
        raise
    except BaseException:
        db_session.rollback()
        discard_audit_entries()
        raise
    finally:
        db_session.close()


def _after_rollback(factory: sessionmaker[Session], exc: ExamServiceError) -> None:
    """A refusal whose trace must outlive the rolled-back work (a wrong examiner passphrase is counted
    toward its back-off) writes it in a transaction of its own, once the request's is gone."""
    trace = getattr(exc, "after_rollback", None)
    if trace is None:
        return
    with factory() as db_session:
        trace(db_session)
        db_session.commit()
        confirm_audit_entries()


def get_db_session(request: Request) -> Iterator[Session]:
    """The request's transaction as a dependency.

    Declared with ``scope="function"`` below so that the commit happens *before* the response is
    sent: a client never sees success for work that was not durably committed.
    """
    with request_transaction(request.app.state.session_factory) as db_session:
        yield db_session


async def in_request_transaction(request: Request, work: Callable[[Session], T]) -> T:
    """Runs ``work`` and the commit in one worker thread, in the request's transaction, before the
    response, like ``DbSession``. For the hot candidate routes: a dependency-built session costs a
    thread hop for the session, one per dependency, one for the endpoint and one for the commit."""
    from fastapi.concurrency import run_in_threadpool

    factory: sessionmaker[Session] = request.app.state.session_factory

    def run() -> T:
        with request_transaction(factory) as db_session:
            return work(db_session)

    return await run_in_threadpool(run)


if TYPE_CHECKING:
    from fastapi import Depends

    DbSession = Annotated[Session, Depends(get_db_session, scope="function")]


def __getattr__(name: str) -> Any:
    # ``DbSession`` is made when an endpoint module first imports it: FastAPI is not imported by the
    # CLI, which uses this module for its engine and sessions (startup time, issue 16 item 21).
    if name == "DbSession":
        from fastapi import Depends, Request

        globals()["Request"] = Request  # FastAPI resolves get_db_session's annotation in this module
        value = Annotated[Session, Depends(get_db_session, scope="function")]
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
