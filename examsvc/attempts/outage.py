"""Crediting a service outage to the candidates who were answering (停机补时).

While the service or its database is down, no workstation can save and no proctor can pause the room,
yet the server's clock runs on. So the service notes every few seconds that it is alive (the deadline
sweep does), and when it finds a longer gap (after a crash and restart, or once the database is back)
it credits the whole gap, rounded up to the millisecond, to every attempt that was running and not
paused, as if a proctor had paused them all at the last sign of life and resumed them now. Each
credit is logged per sitting. Short gaps (a busy moment) are not outages: see ``threshold``; nor are
longer ones in which the serving process saw no downtime of its own (a sweep that ran late because
the process or the database was busy: see liveness).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.attempts import clock
from examsvc.attempts.models import Attempt, AttemptStatus, ServiceClock
from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.candidates.models import Registration

OUTAGE_ACTOR = Actor.system("outage")
logger = logging.getLogger("examsvc.attempts")


def threshold(sweep_interval_seconds: float) -> timedelta:
    """A gap longer than this is an outage: a few missed sweeps, and never under 5 s."""
    return timedelta(seconds=max(5.0, 3 * sweep_interval_seconds))


def credit_outage(db_session: Session, *, now: datetime, sweep_interval_seconds: float,
                  was_down: Callable[[datetime, datetime], bool] | None = None) -> int:
    """Marks the service alive at ``now``; if it was not seen for longer than the ``threshold`` of the
    sweep's interval, and ``was_down`` says the service really was down in that gap, credits the gap to
    the running attempts. Returns the credit in milliseconds given to each credited attempt (0: no
    outage, or an outage with no attempt to credit, which is logged as such and nothing more).

    A serving process passes its own ``Liveness.was_down``. Without it (``examsvc sittings sweep``, run
    from a shell while the service is down) every long gap counts."""
    seen = db_session.get(ServiceClock, 1, with_for_update=True, populate_existing=True)
    if seen is None:
        db_session.add(ServiceClock(id=1, alive_at=now))
        return 0
    last_alive, seen.alive_at = seen.alive_at, max(now, seen.alive_at)
    if now - last_alive <= threshold(sweep_interval_seconds):
        return 0
    if was_down is not None and not was_down(last_alive, now):
        logger.warning("the service clock was marked late, with no downtime: nothing credited",
                       extra={"late_ms": clock.milliseconds_up(now - last_alive)})
        return 0
    credit_ms = clock.milliseconds_up(now - last_alive)
    running = db_session.execute(
        select(Attempt, Registration.admission_number).join(Registration, Registration.id == Attempt.registration_id)
        .where(Attempt.status == AttemptStatus.IN_PROGRESS, Attempt.paused_at.is_(None))
        .order_by(Attempt.id).with_for_update(of=Attempt)).all()
    by_sitting: dict[int, list[str]] = defaultdict(list)
    for attempt, admission_number in running:
        if clock.deadline(attempt) < last_alive:
            continue  # its time was up before the outage began: the sweep submits it at its deadline
        attempt.pause_credit_ms += credit_ms
        by_sitting[attempt.sitting_id].append(admission_number)
    if not by_sitting:  # say only what happened: a gap was found, and nobody was answering in it
        logger.info("service outage found, no running attempt to credit", extra={"gap_ms": credit_ms})
        return 0
    for sitting_id, admission_numbers in sorted(by_sitting.items()):
        audit.record(db_session=db_session, actor=OUTAGE_ACTOR, action="attempts.outage_credited",
                     subject_type="sitting", subject_id=sitting_id, details={
                         "from": audit.rfc3339(last_alive), "to": audit.rfc3339(now), "credited_ms": credit_ms,
                         "admission_numbers": admission_numbers})
    logger.warning("service outage credited to running attempts", extra={
        "credited_ms": credit_ms, "attempts": sum(len(numbers) for numbers in by_sitting.values())})
    return credit_ms
