"""What a serving process knows of its own downtime, so that only real downtime is credited (停机补时).

The service clock in the database (``ServiceClock``) says when some process last marked the service
alive; a gap longer than the outage threshold used to be credited in full to every running candidate.
But a gap also opens when the marking sweep is merely late: its thread waits for the pool or, on
SQLite, for the write lock (a login flood once made it ~28 s late and every candidate got 28 s).
Saves were slow then, not impossible, so that is no outage (issue 14 item 8).

A gap is real downtime when, during it, (1) this process was not running (it started after the gap
began: a crash and restart), (2) its event loop stood still for longer than the threshold (the
process was frozen: nothing could be served), or (3) the database could not be reached (a failed
call whose error says the connection failed, not that a lock wait or the pool ran out of time). The
loop's heartbeat runs on the event loop itself and touches no database, so a busy database never
looks like a frozen process, and a frozen process is seen even when the database is idle.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from examsvc.db import utcnow

# PostgreSQL SQLSTATE classes that mean the server or the link is gone: 08 connection exception,
# 57 operator intervention (admin shutdown, crash shutdown, cannot connect now), except 57014
# (query_canceled: a statement timeout, i.e. busy).
_DOWN_CLASSES = ("08", "57")
_BUSY_STATES = frozenset({"57014"})


def database_unreachable(exc: BaseException) -> bool:
    """Whether a failed database call means the database could not be reached (down, restarting, no
    route), as opposed to busy (a lock wait, the pool's timeout)."""
    if isinstance(exc, PoolTimeout):
        return False
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    original = getattr(exc, "orig", None) or exc
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate:
        return sqlstate[:2] in _DOWN_CLASSES and sqlstate not in _BUSY_STATES
    text = str(original).lower()
    if "locked" in text or "busy" in text:
        return False  # SQLite's busy_timeout ran out: another writer held the lock
    return isinstance(exc, OperationalError | InterfaceError)


@dataclass
class Liveness:
    """One process's record of its own downtime (spans of [start, end])."""

    started_at: datetime = field(default_factory=utcnow)
    stall: timedelta = timedelta(seconds=5)
    last_beat: datetime | None = None
    unreachable_since: datetime | None = None
    spans: list[tuple[datetime, datetime]] = field(default_factory=list)

    def beat(self, now: datetime) -> None:
        """Called from the event loop every ``stall / 4`` or so: a longer gap means the loop stood still."""
        if self.last_beat is not None and now - self.last_beat > self.stall:
            self.spans.append((self.last_beat, now))
        self.last_beat = now

    def database_failed(self, exc: BaseException, now: datetime) -> None:
        if database_unreachable(exc) and self.unreachable_since is None:
            self.unreachable_since = now

    def database_reached(self, now: datetime) -> None:
        if self.unreachable_since is not None:
            self.spans.append((self.unreachable_since, now))
            self.unreachable_since = None

    def was_down(self, since: datetime, until: datetime) -> bool:
        """Whether the service was really down at some moment between ``since`` and ``until``."""
        self.spans = [(start, end) for start, end in self.spans if end >= since]  # older ones can't matter
        if since < self.started_at:
            return True  # this process was not running when the gap began
        if self.unreachable_since is not None and self.unreachable_since <= until:
            return True
        return any(start <= until and end >= since for start, end in self.spans)


async def heartbeat(liveness: Liveness) -> None:
    """Marks the event loop alive, independent of the database, until cancelled."""
    interval = max(0.05, liveness.stall.total_seconds() / 4)
    while True:
        liveness.beat(utcnow())
        await asyncio.sleep(interval)
