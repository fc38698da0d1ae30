"""Only real downtime is credited (issue 14 item 8): a process that was not running, a frozen event
loop or an unreachable database; a sweep that ran late because the service was busy is no outage."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from examsvc.attempts.liveness import Liveness, database_unreachable
from examsvc.attempts.models import ServiceClock
from examsvc.attempts.outage import credit_outage
from examsvc.db import utcnow


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__("server said no")
        self.sqlstate = sqlstate


def test_a_locked_or_busy_database_is_not_down_but_a_refused_connection_is() -> None:
    assert not database_unreachable(OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked")))
    assert not database_unreachable(PoolTimeout("QueuePool limit of size 10 overflow 10 reached"))
    assert not database_unreachable(OperationalError("SELECT 1", {}, _PgError("57014")))  # statement timeout
    assert database_unreachable(OperationalError("SELECT 1", {}, Exception("connection refused")))
    assert database_unreachable(OperationalError("SELECT 1", {}, _PgError("57P01")))  # admin shutdown
    assert database_unreachable(OperationalError("SELECT 1", {}, _PgError("08006")))


def test_a_late_mark_in_a_live_process_is_no_downtime() -> None:
    now = utcnow()
    liveness = Liveness(started_at=now - timedelta(minutes=5), stall=timedelta(seconds=5))
    for second in range(0, 300, 1):
        liveness.beat(now - timedelta(seconds=300 - second))
    assert not liveness.was_down(now - timedelta(seconds=30), now)


def test_a_gap_that_began_before_the_process_started_is_downtime() -> None:
    now = utcnow()
    liveness = Liveness(started_at=now - timedelta(seconds=2))
    assert liveness.was_down(now - timedelta(seconds=30), now)


def test_a_frozen_event_loop_is_downtime() -> None:
    now = utcnow()
    liveness = Liveness(started_at=now - timedelta(minutes=5), stall=timedelta(seconds=5))
    liveness.beat(now - timedelta(seconds=40))
    liveness.beat(now - timedelta(seconds=10))  # 30 s without a beat
    assert liveness.was_down(now - timedelta(seconds=45), now)
    assert not liveness.was_down(now - timedelta(seconds=9), now)


def test_an_unreachable_database_is_downtime_until_it_is_reached_again() -> None:
    now = utcnow()
    liveness = Liveness(started_at=now - timedelta(minutes=5))
    liveness.database_failed(OperationalError("SELECT 1", {}, Exception("database is locked")), now)
    assert liveness.unreachable_since is None
    liveness.database_failed(OperationalError("SELECT 1", {}, Exception("connection refused")),
                             now - timedelta(seconds=20))
    assert liveness.was_down(now - timedelta(seconds=25), now)
    liveness.database_reached(now)
    assert liveness.was_down(now - timedelta(seconds=25), now)
    assert not liveness.was_down(now + timedelta(seconds=1), now + timedelta(seconds=30))


def test_credit_outage_marks_a_late_sweep_alive_and_credits_nothing(db_session: Session) -> None:
    db_session.execute(delete(ServiceClock))
    db_session.add(ServiceClock(id=1, alive_at=utcnow() - timedelta(seconds=28)))
    db_session.commit()
    live = Liveness(started_at=utcnow() - timedelta(minutes=5))
    assert credit_outage(db_session, now=utcnow(), sweep_interval_seconds=0.5, was_down=live.was_down) == 0
    db_session.commit()
    assert utcnow() - db_session.scalars(select(ServiceClock.alive_at)).one() < timedelta(seconds=2)
