"""Back-off after failed credential checks (issue 14, items 6 and 7).

A hard lock (five failures, fifteen minutes, no unlock) let anyone lock any account, ``admin`` included,
and told which names exist, since unknown names were never locked. Instead every failure is counted
per *subject* in a *scope*, and once a subject has failed ``free_failures`` times in a row each further
try must wait, the wait doubling up to a cap:

- ``account``: the user name as typed, whether or not such a user exists, so that an unknown name
  answers exactly as a known one (the same 401s, then the same 429 with the same wait);
- ``source``: the client address, across names, so one source cannot walk through many names;
- ``passphrase``: a chief examiner's key passphrase (by user id); ``password``: a user's current
  password at ``POST /auth/password`` (by user id). Both need a logged-in caller.

While a subject waits, its checks are refused before any hashing (no scrypt is spent on them). A
success forgets the account's (or the passphrase's) failures, never the source's: an attacker must
not reset their source by logging into an account of their own. Failures followed by ``memory`` of
quiet are forgotten, and such stale rows are deleted as new subjects arrive, so made-up names cannot
grow the table without bound (the source's own back-off limits how fast they come).

What the audit log records is decided by the callers (identity.service, examiners.service): failures
of real accounts and every wait that begins, never a made-up name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from examsvc.errors import TooManyAttempts
from examsvc.identity.models import LoginThrottle

SUBJECT_LENGTH = 128


class Scope(StrEnum):
    ACCOUNT = "account"
    SOURCE = "source"
    PASSPHRASE = "passphrase"  # noqa: S105 - a scope's name, not a secret
    CURRENT_PASSWORD = "password"  # noqa: S105 - a scope's name, not a secret


@dataclass(frozen=True)
class Rule:
    """``free_failures`` in a row cost nothing; the next waits ``first_wait``, doubling up to ``longest_wait``."""

    free_failures: int
    first_wait: timedelta
    longest_wait: timedelta
    memory: timedelta

    def wait_after(self, failures: int) -> timedelta | None:
        if failures < self.free_failures:
            return None
        doublings = min(failures - self.free_failures, 40)  # 2**40 × any wait is past every cap
        return min(self.longest_wait, self.first_wait * (1 << doublings))


@dataclass(frozen=True)
class ThrottlePolicy:
    per_name: Rule  # accounts, passphrases and current passwords
    per_source: Rule

    @classmethod
    def from_settings(cls, settings: Any) -> ThrottlePolicy:
        memory = timedelta(minutes=settings.login_failure_memory_minutes)
        first = timedelta(seconds=settings.login_backoff_seconds)
        return cls(
            per_name=Rule(settings.login_max_failures, first, timedelta(seconds=settings.login_backoff_max_seconds),
                          memory),
            per_source=Rule(settings.source_max_failures, first,
                            timedelta(seconds=settings.source_backoff_max_seconds), memory),
        )


# For callers that are not handed the settings (the examiners' key, unlocked inside other domains'
# services): the defaults of examsvc.config.
DEFAULT_RULE = Rule(5, timedelta(seconds=2), timedelta(seconds=300), timedelta(minutes=60))


class Throttled(TooManyAttempts):
    code = "too_many_attempts"
    message = "尝试次数过多，请稍后再试。"

    def __init__(self, until: datetime, now: datetime) -> None:
        seconds = max(1, int((until - now).total_seconds() + 0.999))
        super().__init__(f"尝试次数过多，请在 {seconds} 秒后再试。", detail={"retry_after_seconds": seconds})


@dataclass(frozen=True)
class Failure:
    failures: int  # in a row, this one included
    wait: timedelta | None  # the wait this failure began, if any: a throttle event to log

    def details(self) -> dict[str, Any]:
        found: dict[str, Any] = {"failures": self.failures}
        if self.wait is not None:
            found["wait_ms"] = int(self.wait / timedelta(milliseconds=1))  # the log takes no floats
        return found


def _subject(subject: str) -> str:
    return subject[:SUBJECT_LENGTH]


def _row(db_session: Session, scope: Scope, subject: str) -> LoginThrottle | None:
    return db_session.scalars(select(LoginThrottle).where(LoginThrottle.scope == str(scope),
                                                          LoginThrottle.subject == _subject(subject))).one_or_none()


def waiting_until(db_session: Session, *, scope: Scope, subject: str, now: datetime) -> datetime | None:
    row = _row(db_session, scope, subject)
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return None
    return row.blocked_until


def refuse_if_waiting(db_session: Session, *, scope: Scope, subject: str, now: datetime) -> None:
    """Raises ``Throttled`` (429) while ``subject`` must wait; nothing is counted for the refusal."""
    until = waiting_until(db_session, scope=scope, subject=subject, now=now)
    if until is not None:
        raise Throttled(until, now)


def record_failure(db_session: Session, *, scope: Scope, subject: str, rule: Rule, now: datetime) -> Failure:
    """Counts one failure of ``subject`` and starts its wait when the rule says so.

    One upsert (``ON CONFLICT``, on SQLite and PostgreSQL alike), so that two failures of a new subject
    at once count twice instead of one of them failing on the unique key."""
    subject = _subject(subject)
    forget_before = now - rule.memory
    dialect = db_session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(LoginThrottle).values(scope=str(scope), subject=subject, failures=1, last_failure_at=now)
    stale = LoginThrottle.last_failure_at < forget_before
    statement = statement.on_conflict_do_update(
        index_elements=[LoginThrottle.scope, LoginThrottle.subject],
        set_={"failures": case((stale, 1), else_=LoginThrottle.failures + 1), "last_failure_at": now,
              "blocked_until": case((stale, None), else_=LoginThrottle.blocked_until)})
    db_session.execute(statement)
    row = db_session.scalars(select(LoginThrottle).where(LoginThrottle.scope == str(scope),
                                                         LoginThrottle.subject == subject)
                             .execution_options(populate_existing=True)).one()
    wait = rule.wait_after(row.failures)
    if wait is not None:
        row.blocked_until = now + wait
    if row.failures == 1:  # a new subject: a good moment to drop the forgotten ones
        db_session.execute(delete(LoginThrottle).where(
            LoginThrottle.last_failure_at < forget_before,
            (LoginThrottle.blocked_until.is_(None)) | (LoginThrottle.blocked_until < now)))
    db_session.flush()
    return Failure(row.failures, wait)


def forget(db_session: Session, *, scope: Scope, subject: str) -> bool:
    """Clears ``subject``'s failures and wait; whether there was anything to clear."""
    result = db_session.execute(delete(LoginThrottle).where(LoginThrottle.scope == str(scope),
                                                             LoginThrottle.subject == _subject(subject)))
    return bool(result.rowcount)  # type: ignore[attr-defined]
