"""A sitting's times: when candidates may start, until when they may enter, and the span its rooms
are taken for. Pure functions of the sitting's columns; docs/answering.md (*Start and end: 统一开考*)
states the rule and why.

- 统一开考: nobody starts before the scheduled start, though the sitting may be opened (and papers
  released) up to ``EXAMSVC_OPEN_WINDOW_MINUTES`` earlier for check-in and sign-in.
- Entry (check-in) closes ``late_entry_minutes`` after the scheduled start.
- Each candidate answers for the rule's duration from their own start (暂行办法 art. 9: a
  120-minute exam), but never past the latest end: scheduled start + late entry + duration. A
  candidate checked in before the cut-off who starts even later has only the time left to it.
- Only what a proctor grants (pauses credited, extra time) or an outage credit moves one candidate's
  deadline past that.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

# A proctor grants extra time 1–60 minutes at a time (machine failures and the like): the room is
# reserved for one such grant beyond the latest end. Pauses and further grants are not bounded in
# advance; a sitting whose room is still in use when the next one opens is the chief examiners' to settle.
MAX_EXTRA_MINUTES = 60


class Timed(Protocol):
    @property
    def scheduled_start(self) -> datetime: ...
    @property
    def duration_minutes(self) -> int: ...
    @property
    def late_entry_minutes(self) -> int: ...


def latest_end(sitting: Timed) -> datetime:
    """No candidate's time runs past this, before any individual credit or extra time: the last
    candidate allowed in, at the entry cut-off, with the whole duration."""
    return sitting.scheduled_start + timedelta(minutes=sitting.late_entry_minutes + sitting.duration_minutes)


def entry_closes(sitting: Timed) -> datetime:
    return sitting.scheduled_start + timedelta(minutes=sitting.late_entry_minutes)


def exam_window(sitting: Timed) -> tuple[datetime, datetime]:
    """Scheduled start to latest end: the time a candidate or a staff member is taken by the sitting."""
    return sitting.scheduled_start, latest_end(sitting)


def room_span(sitting: Timed) -> tuple[datetime, datetime]:
    """Scheduled start to the end a room must be kept for: the latest end (start + late entry +
    duration) plus one maximal grant of extra time."""
    return sitting.scheduled_start, latest_end(sitting) + timedelta(minutes=MAX_EXTRA_MINUTES)


def overlaps(first: tuple[datetime, datetime], second: tuple[datetime, datetime]) -> bool:
    return first[0] < second[1] and second[0] < first[1]


def allowed_seconds(sitting: Timed, now: datetime) -> int:
    """The seconds a candidate starting at ``now`` (not before the scheduled start) has: the rule's whole
    duration, or less if that would run past the latest end (a start after the entry cut-off). Rounded
    up to the second (the attempt's duration is whole seconds)."""
    left = latest_end(sitting) - now
    whole = -(-(left.days * 86_400_000_000 + left.seconds * 1_000_000 + left.microseconds) // 1_000_000)
    return max(0, min(whole, sitting.duration_minutes * 60))
