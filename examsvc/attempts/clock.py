"""The server's clock for an attempt: deadline, remaining time, pauses. Pure functions of the row.

deadline = started_at + duration + credited pauses + granted extra time. While an attempt is paused
its remaining time is frozen at the moment of the pause; resuming credits the paused span exactly.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from examsvc.attempts.models import Attempt


class Timed(Protocol):
    """What the clock reads: an attempt, or a spot exam (examsvc.spot), which has no pauses."""

    @property
    def started_at(self) -> datetime: ...
    @property
    def duration_seconds(self) -> int: ...
    @property
    def extra_seconds(self) -> int: ...
    @property
    def pause_credit_ms(self) -> int: ...
    @property
    def paused_at(self) -> datetime | None: ...


def deadline(attempt: Timed) -> datetime:
    return attempt.started_at + timedelta(seconds=attempt.duration_seconds + attempt.extra_seconds,
                                          milliseconds=attempt.pause_credit_ms)


def remaining(attempt: Timed, now: datetime) -> timedelta:
    left = deadline(attempt) - (attempt.paused_at or now)
    return max(left, timedelta(0))


def remaining_seconds(attempt: Timed, now: datetime) -> float:
    return round(remaining(attempt, now).total_seconds(), 3)


def is_due(attempt: Timed, now: datetime, grace_seconds: int) -> bool:
    """Time is up, the network grace is over, and nothing (a pause) stops the clock."""
    return attempt.paused_at is None and now > deadline(attempt) + timedelta(seconds=grace_seconds)


def accepts_saves(attempt: Timed, now: datetime, grace_seconds: int) -> bool:
    return now <= deadline(attempt) + timedelta(seconds=grace_seconds)


def pause(attempt: Attempt, now: datetime) -> None:
    if attempt.paused_at is None:
        attempt.paused_at = now


def milliseconds_up(span: timedelta) -> int:
    """A span in whole milliseconds, rounded up: a credit never leaves a candidate short."""
    return -(-(span.days * 86_400_000_000 + span.seconds * 1_000_000 + span.microseconds) // 1000)


def resume(attempt: Attempt, now: datetime) -> int:
    """Credits the paused span (milliseconds, rounded up so that no candidate ever loses time)."""
    if attempt.paused_at is None:
        return 0
    credit = milliseconds_up(now - attempt.paused_at)
    attempt.pause_credit_ms += max(credit, 0)
    attempt.paused_at = None
    return credit
