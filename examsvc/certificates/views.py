"""What the API and the pages show of a certificate, a batch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from examsvc.certificates.models import Certificate, CertificateBatch
from examsvc.certificates.rules import standing
from examsvc.certificates.signed_form import KIND_LABELS, Kind
from examsvc.config import Settings
from examsvc.spot.archive import RegisterFlag, register_flags

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EVENT_LABELS = {"issued": "发证", "reviewed": "复审", "renewed": "换证", "revoked": "撤销/吊销",
                "reinstated": "恢复", "replaced": "补证"}


def summary(certificate: Certificate, today: date, flags: Sequence[RegisterFlag] = ()) -> dict[str, Any]:
    """``flags``: the holder's failed spot exams linked to this certificate (逢查必考, re-training due or done)."""
    now = standing(certificate, today)
    return {"number": certificate.number, "sequence": certificate.sequence, "kind": certificate.kind,
            "kind_label": KIND_LABELS[Kind(certificate.kind)], "item": certificate.item,
            "item_name": certificate.item_name, "holder_name": certificate.holder_name,
            "employer": certificate.employer, "first_issued_on": certificate.first_issued_on,
            "expires_on": certificate.expires_on, "review_due": certificate.review_due,
            "standing": str(now), "standing_label": now.label,
            "spot_exam_flags": [flag.as_dict() for flag in flags]}


def summaries(db_session: Session, certificates: Sequence[Certificate], today: date) -> list[dict[str, Any]]:
    """The register's rows, each with its spot-exam flags (one query for the page)."""
    flags = register_flags(db_session, [c.id for c in certificates])
    return [summary(c, today, flags.get(c.id, ())) for c in certificates]


def detail(certificate: Certificate, settings: Settings, today: date,
           flags: Sequence[RegisterFlag] = ()) -> dict[str, Any]:
    return {**summary(certificate, today, flags), "qr_text": certificate.form_text,
            "form_digest": certificate.form_digest,
            "review_interval_months": certificate.review_interval_months, "issuer": settings.certificate_issuer,
            "basis": certificate.basis,
            "events": [{"event_no": e.event_no, "event": e.event, "label": EVENT_LABELS.get(e.event, e.event),
                        "reason": e.reason, "sequence": e.sequence, "form_digest": e.form_digest,
                        "log_index": e.log_index, "at": e.at} for e in certificate.events]}


def batch(row: CertificateBatch) -> dict[str, Any]:
    return {"id": row.id, "total": row.total, "issued": row.issued, "skipped": row.skipped, "status": row.status,
            "error": row.error, "started_at": row.started_at, "finished_at": row.finished_at}
