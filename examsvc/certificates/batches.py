"""Issuing a whole sitting in one action, in chunks: each ``advance`` issues the next chunk in its own
transaction and records the progress, so a page or the CLI shows it and an interrupted batch resumes."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from examsvc.audit.actors import Actor
from examsvc.certificates import service
from examsvc.certificates.keys import CertificateKeyring
from examsvc.certificates.models import CertificateBatch
from examsvc.config import Settings
from examsvc.db import utcnow
from examsvc.errors import Forbidden, NotFound
from examsvc.sittings.models import Sitting

CHUNK = 500


def get(db_session: Session, batch_id: int) -> CertificateBatch:
    batch = db_session.get(CertificateBatch, batch_id)
    if batch is None:
        raise NotFound("没有该批次。", code="batch_not_found")
    return batch


def sitting_code(db_session: Session, batch: CertificateBatch) -> str:
    sitting = db_session.get(Sitting, batch.sitting_id)
    assert sitting is not None
    return sitting.code


def start(db_session: Session, *, sitting: Sitting, user_id: int, today: date) -> CertificateBatch:
    service.refuse_own_examinees(db_session, user_id, [sitting.id])
    jobs, skipped = service.sitting_jobs(db_session, sitting, today)
    # The theory sittings the practical passes rest on too, and the officer's own qualification (考发分离).
    service.refuse_insider(db_session, user_id, jobs)
    batch = CertificateBatch(sitting_id=sitting.id, total=len(jobs), issued=0, skipped=skipped,
                             status="running" if jobs else "done", started_by=user_id,
                             finished_at=None if jobs else utcnow())
    db_session.add(batch)
    db_session.flush()
    return batch


def advance(db_session: Session, batch: CertificateBatch, *, keyring: CertificateKeyring, settings: Settings,
            actor: Actor, user_id: int, chunk: int = CHUNK) -> CertificateBatch:
    if batch.status == "done":
        return batch
    if batch.started_by != user_id:
        raise Forbidden("该批次由其他发证人员发起，请由其本人继续。", code="not_your_batch")
    sitting = db_session.get(Sitting, batch.sitting_id)
    assert sitting is not None
    today = service.today_in(settings)
    jobs, _ = service.sitting_jobs(db_session, sitting, today)
    # Again: a staff assignment made, or a theory pass published, since the batch started.
    service.refuse_own_examinees(db_session, user_id, [sitting.id])
    service.refuse_insider(db_session, user_id, jobs[:chunk])
    service.issue_jobs(db_session, jobs[:chunk], keyring=keyring, settings=settings, actor=actor, today=today)
    batch.issued += min(chunk, len(jobs))
    if len(jobs) <= chunk:
        batch.status, batch.finished_at = "done", utcnow()
    return batch
