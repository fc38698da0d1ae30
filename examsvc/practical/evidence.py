"""Evidence of a performance (photos, video): stored by SHA-256 in the data folder, digest logged.

Only JPEG, PNG and MP4 are taken, as the type the client declares and only when the bytes are a
well-formed file of that type (``media``: walked like a decoder would, markup refused), up to the upload
limit. A stored file is served only while its bytes still hash to the logged digest;
``examsvc practical verify-evidence SITTING`` checks them all.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.errors import Conflict, Forbidden, InvalidInput, NotFound
from examsvc.practical import media
from examsvc.practical.document import Subject
from examsvc.practical.models import Evidence
from examsvc.sittings.models import Sitting, StaffRole
from examsvc.sittings.presence import present

MAX_EVIDENCE_BYTES = 50 * 1024 * 1024  # the upload limit: a phone's video of a 40-minute task, compressed


def path_of(data_dir: Path, digest: str) -> Path:
    return data_dir / "evidence" / digest[:2] / digest


def store(*, db_session: Session, data_dir: Path, sitting: Sitting, registration_id: int, admission_number: str,
          subject: Subject, data: bytes, declared_type: str | None, actor: Actor) -> Evidence:
    if not data:
        raise InvalidInput("上传内容为空。", code="empty_evidence", detail={"field": "body"})
    if len(data) > MAX_EVIDENCE_BYTES:
        raise InvalidInput("文件过大。", code="evidence_too_large", detail={"max_bytes": MAX_EVIDENCE_BYTES})
    # Stored and served only as the declared type, and only when the bytes are that type through and
    # through. The refusal names the allowed types, never what the client sent.
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared not in media.ALLOWED_TYPES or media.detected_type(data) != declared:
        raise InvalidInput("只接受 JPEG、PNG 照片或 MP4 视频：请求的 Content-Type 须为其中之一，"
                           "且文件内容须是完整的该类型文件。", code="evidence_type",
                           detail={"allowed_types": list(media.ALLOWED_TYPES)})
    kind = declared
    allowed = {a.user_id for a in sitting.staff if a.role in (StaffRole.EVALUATOR, StaffRole.CHIEF_EXAMINER)}
    if actor.user_id not in allowed or actor.user_id not in present(db_session, sitting):
        raise Forbidden("只有在岗的本场次考评员或主考官可以上传考试证据。", code="not_evaluator_of_room",
                       detail={"sitting": sitting.code})
    digest = hashlib.sha256(data).hexdigest()
    target = path_of(data_dir, digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = target.with_suffix(".part")
        temporary.write_bytes(data)
        temporary.chmod(0o600)
        os.replace(temporary, target)
    assert actor.user_id is not None
    row = Evidence(sitting_id=sitting.id, registration_id=registration_id, subject=str(subject), digest=digest,
                   content_type=kind, size=len(data), uploaded_by=actor.user_id)
    db_session.add(row)
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="practical.evidence_uploaded", subject_type="sitting",
                 subject_id=sitting.id, details={"admission_number": admission_number, "subject": str(subject),
                                                 "evidence_id": row.id, "sha256": digest, "size": len(data),
                                                 "content_type": kind})
    return row


@dataclass(frozen=True)
class Checked:
    evidence: Evidence
    matches: bool  # the stored bytes still hash to the logged digest


def check(data_dir: Path, row: Evidence) -> Checked:
    path = path_of(data_dir, row.digest)
    if not path.is_file():
        return Checked(row, False)
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return Checked(row, digest.hexdigest() == row.digest)


def read(*, db_session: Session, data_dir: Path, sitting: Sitting, evidence_id: int) -> tuple[Evidence, bytes]:
    """An evidence file of this sitting (the one the caller was admitted to), never another's."""
    row = db_session.get(Evidence, evidence_id)
    if row is None or row.sitting_id != sitting.id:
        raise NotFound("证据不存在。", code="evidence_not_found", detail={"evidence_id": evidence_id})
    if not check(data_dir, row).matches:
        raise Conflict("证据文件已被改动或丢失，与日志中的摘要不符。", code="evidence_altered",
                       detail={"evidence_id": evidence_id, "sha256": row.digest})
    return row, path_of(data_dir, row.digest).read_bytes()


def of_sitting(db_session: Session, sitting_id: int) -> list[Evidence]:
    return list(db_session.scalars(select(Evidence).where(Evidence.sitting_id == sitting_id).order_by(Evidence.id)))
