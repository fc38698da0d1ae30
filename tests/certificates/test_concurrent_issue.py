"""Two officers issuing at the same instant, each in a session and a thread of their own on a database that
really commits: the first certificate of a kind in a new year (both create the year's counter), and two
batches of the same sitting (both certify the same qualifications). The loser is told so (409 ``issue_race``),
nothing of its attempt stands, and the register still matches the log.

On PostgreSQL the threads meet at a barrier after reading, so both read before either writes: the race
happens every run. SQLite serialises writing transactions (BEGIN IMMEDIATE): the second waits for the first
and then sees its work, so there both simply succeed (or find nothing left to do)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from examsvc.audit import repository
from examsvc.audit.actors import Actor
from examsvc.certificates import batches, consistency, service
from examsvc.certificates.keys import load_keyring
from examsvc.certificates.models import Certificate, CertificateSerial
from examsvc.config import Settings
from examsvc.db import make_session_factory
from examsvc.errors import Conflict
from examsvc.identity.roles import Role
from examsvc.sittings.models import Sitting
from tests.builders import make_user
from tests.certificates.world import SUBJECT, World
from tests.web.certificate_world import committed_world
from tests.web.live import server_settings

MEET_SECONDS = 3.0  # SQLite: the second thread cannot reach the barrier until the first commits


class Officers:
    def __init__(self, world: World, db_session: Session) -> None:
        second = make_user(db_session, Role.CERTIFICATE_OFFICER)
        first = world.officer_user
        self.actors = [Actor.user(u.id, u.username, (str(Role.CERTIFICATE_OFFICER),)) for u in (first, second)]
        self.qualified, self.sitting = list(world.qualified), world.sitting


@pytest.fixture
def settings(fresh_engine: Engine, tmp_path: Path) -> Settings:
    """The settings of a server on the fresh database (its keys in ``tmp_path``)."""
    return server_settings(fresh_engine, tmp_path / "data", checkpoint_interval_seconds=0, sweep_interval_seconds=0)


@pytest.fixture
def meeting(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """``meet_after(name)``: the service's function ``name`` waits, once it has read, for the other thread."""
    barrier = threading.Barrier(2, timeout=MEET_SECONDS)

    def meet_after(name: str) -> None:
        original = getattr(service, name)

        def met(*args: Any, **kwargs: Any) -> Any:
            answer = original(*args, **kwargs)
            with contextlib.suppress(threading.BrokenBarrierError):  # SQLite: the other waits for ours to end
                barrier.wait()
            return answer
        monkeypatch.setattr(service, name, met)
    yield meet_after


def _race(engine: Engine, work: list[Callable[[Session], Any]]) -> list[Any]:
    """Runs each ``work`` in its own session and thread at once; each one's answer, or the exception it raised."""
    factory = make_session_factory(engine)
    answers: list[Any] = [None] * len(work)

    def run(n: int) -> None:
        with factory() as db_session:
            try:
                answers[n] = work[n](db_session)
                db_session.commit()
            except Exception as exc:  # the answer under test
                db_session.rollback()
                answers[n] = exc
    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def _lost(answer: Any) -> bool:
    """The loser's answer: the clear refusal, never a database error."""
    if isinstance(answer, Exception):
        assert isinstance(answer, Conflict), repr(answer)
        assert (answer.status_code, answer.code) == (409, "issue_race")
        assert "同时" in answer.message and "重试" in answer.message
        return True
    return False


def _raced(engine: Engine, work: list[Callable[[Session], Any]]) -> tuple[list[Any], list[int]]:
    """The answers of a race, and who lost it: one on PostgreSQL (the barrier makes both read first), none on
    SQLite (the second transaction starts when the first has ended)."""
    answers = _race(engine, work)
    lost = [n for n, answer in enumerate(answers) if _lost(answer)]
    assert len(lost) == (1 if engine.dialect.name == "postgresql" else 0), answers
    return answers, lost


def _log_size(engine: Engine) -> int:
    with Session(engine) as db_session:
        return repository.committed_size(db_session)


def test_two_officers_issue_the_first_certificate_of_the_year_at_once(
        fresh_engine: Engine, settings: Settings, meeting: Callable[[str], None]) -> None:
    officers = committed_world(fresh_engine, settings, lambda world, _c, db: Officers(world, db))
    keyring = load_keyring(settings)
    before = _log_size(fresh_engine)
    meeting("_reserve_numbers")  # both have looked for this year's counter: neither found one

    def issuing(n: int) -> Callable[[Session], Any]:
        return lambda db_session: service.issue(
            db_session, keyring=keyring, settings=settings, actor=officers.actors[n],
            id_number=officers.qualified[n], subject=SUBJECT).number

    answers, lost = _raced(fresh_engine, [issuing(0), issuing(1)])
    with Session(fresh_engine) as db_session:
        numbers = list(db_session.scalars(select(Certificate.number)))
        assert sorted(numbers) == sorted(a for a in answers if isinstance(a, str))
        assert db_session.scalar(select(func.count()).select_from(CertificateSerial)) == 1
        assert consistency.check(db_session).problems == []
    assert _log_size(fresh_engine) == before + len(numbers)  # the loser left no entry behind
    if lost:  # and a retry issues the loser's certificate
        [n] = lost
        retried = _race(fresh_engine, [issuing(n)])
        assert isinstance(retried[0], str) and retried[0] not in numbers, retried


def test_two_batches_of_one_sitting_at_once_certify_each_qualification_once(
        fresh_engine: Engine, settings: Settings, meeting: Callable[[str], None]) -> None:
    officers = committed_world(fresh_engine, settings, lambda world, _c, db: Officers(world, db))
    keyring = load_keyring(settings)
    # One certified by hand first: the year's counter exists, so the batches race on the qualifications alone.
    with make_session_factory(fresh_engine)() as db_session:
        service.issue(db_session, keyring=keyring, settings=settings, actor=officers.actors[0],
                      id_number=officers.qualified[0], subject=SUBJECT)
        sitting = db_session.scalars(select(Sitting).where(Sitting.code == officers.sitting)).one()
        started = [batches.start(db_session, sitting=sitting, user_id=a.user_id or 0,
                                 today=service.today_in(settings)).id for a in officers.actors]
        db_session.commit()
    meeting("sitting_jobs")  # both have listed the sitting's uncertified qualifications

    def advancing(n: int) -> Callable[[Session], Any]:
        def work(db_session: Session) -> Any:
            batch = batches.get(db_session, started[n])
            return batches.advance(db_session, batch, keyring=keyring, settings=settings, actor=officers.actors[n],
                                   user_id=officers.actors[n].user_id or 0).status
        return work

    _, lost = _raced(fresh_engine, [advancing(0), advancing(1)])
    with Session(fresh_engine) as db_session:
        holders = list(db_session.scalars(select(Certificate.candidate_id)))
        assert len(holders) == len(set(holders)) == len(officers.qualified)
        assert consistency.check(db_session).problems == []
    if lost:  # the loser's batch, continued, finds the work done
        [n] = lost
        assert _race(fresh_engine, [advancing(n)]) == ["done"]
