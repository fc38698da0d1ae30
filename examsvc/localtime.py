"""Times as people at the site read them: the site's local time (``EXAMSVC_TIMEZONE``, by default
Asia/Shanghai, 北京时间), to the second. Stored and logged times stay UTC (RFC 3339); this is only for
what is printed: the room record's page, CLI output, messages.

One formatter for all of them, so that a page, a terminal and a message never disagree."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"
FORMAT = "%Y-%m-%d %H:%M:%S"


@cache
def zone(name: str) -> ZoneInfo:
    """The IANA zone; a name that is not one is refused (the zone data come from the system or the
    ``tzdata`` package, a dependency, so that a slim image without /usr/share/zoneinfo still has them)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (an IANA name such as {DEFAULT_ZONE})") from None


def local_text(moment: datetime | None, zone_name: str = DEFAULT_ZONE, *, empty: str = "") -> str:
    """``2027-01-10 09:00:00`` in the zone; ``empty`` for no time. Naive times are taken as UTC (how the
    database hands back some of them)."""
    if moment is None:
        return empty
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(zone(zone_name)).strftime(FORMAT)


def parse_rfc3339(text: str | None) -> datetime | None:
    """A time as the canonical documents store it (``…Z``), back to a datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
