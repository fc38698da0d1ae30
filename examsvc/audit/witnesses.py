"""The log's witnesses (C2SP tlog-witness, the client side): who they are, what they returned, and the
cosigned checkpoint the log serves.

``EXAMSVC_WITNESSES`` names each witness by its cosignature vkey (C2SP tlog-cosignature, type 0x04) and
its submission URL prefix; ``EXAMSVC_WITNESS_QUORUM`` says how many must cosign (default: all). The log
serves (``GET /audit/checkpoint``) and exports the newest checkpoint that has the quorum, with the
witnesses' signature lines appended after its own (C2SP tlog-witness §add-checkpoint: the client "can
move the valid signatures to its own view of the checkpoint").
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from examsvc.audit import repository
from examsvc.audit.models import AuditCheckpoint, AuditCosignature
from examsvc.config import Settings
from examsvc.crypto.signed_note import NoteError, parse_signature_line
from examsvc.db import utcnow
from examsvc.errors import NotFound
from examsvc.tlog.cosignature import CosignatureError, Cosigner, parse_cosigner_vkey


@dataclass(frozen=True)
class WitnessEndpoint:
    cosigner: Cosigner
    url: str  # the submission prefix, without a trailing slash

    @property
    def key_id(self) -> str:
        return self.cosigner.key_id.hex()


def parse_witness(entry: str) -> WitnessEndpoint:
    """One ``EXAMSVC_WITNESSES`` entry: "<witness vkey> <submission URL prefix>"."""
    parts = entry.split()
    if len(parts) != 2:
        raise ValueError(f"witness entry {entry!r}: expected '<witness vkey> <URL>'")
    vkey, url = parts
    try:
        cosigner = parse_cosigner_vkey(vkey)
    except NoteError as exc:
        raise ValueError(f"witness entry {entry!r}: {exc}") from None
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"witness entry {entry!r}: the URL must start with http:// or https://")
    return WitnessEndpoint(cosigner=cosigner, url=url.rstrip("/"))


def configured(settings: Settings) -> list[WitnessEndpoint]:
    return [parse_witness(entry) for entry in settings.witnesses]


def store_cosignatures(db_session: Session, checkpoint: AuditCheckpoint, witness: WitnessEndpoint,
                       answer: str) -> int:
    """Keeps the witness's valid cosignatures from a 200 answer (signature lines); returns how many.
    Lines by other keys are ignored (§add-checkpoint: "The client MUST ignore any cosignatures from
    unknown keys"); a line by this witness that does not verify is an error."""
    body = checkpoint.note[:checkpoint.note.index("\n\n") + 1]
    kept = 0
    for raw in answer.splitlines(keepends=True):
        try:
            line = parse_signature_line(raw)
        except NoteError as exc:
            raise CosignatureError(f"witness {witness.cosigner.name} answered something that is not a "
                                   f"signature line: {exc}") from None
        if not witness.cosigner.matches(line):
            continue
        timestamp = witness.cosigner.verify(body, line)
        if not repository.has_cosignature(db_session, checkpoint.tree_size, witness.key_id):
            repository.add_cosignature(db_session, AuditCosignature(
                tree_size=checkpoint.tree_size, witness_key_id=witness.key_id, witness_name=witness.cosigner.name,
                line=line.line(), cosigned_at=timestamp, received_at=utcnow()))
        kept += 1
    if not kept:
        raise CosignatureError(f"witness {witness.cosigner.name} answered without a cosignature by its key")
    return kept


def cosignature_lines(db_session: Session, tree_size: int, witnesses: list[WitnessEndpoint]) -> list[str]:
    """The stored cosignature lines on checkpoint ``tree_size`` by the configured witnesses."""
    trusted = {(w.cosigner.name, w.key_id) for w in witnesses}
    return [c.line for c in repository.cosignatures(db_session, tree_size)
            if (c.witness_name, c.witness_key_id) in trusted]


def _with_cosignatures(db_session: Session, checkpoint: AuditCheckpoint, witnesses: list[WitnessEndpoint]) -> str:
    return checkpoint.note + "".join(cosignature_lines(db_session, checkpoint.tree_size, witnesses))


def cosigned_note(*, db_session: Session, settings: Settings) -> str:
    """The newest checkpoint cosigned by the quorum, with those cosignatures. Quorum 0 (no witnesses,
    development): the newest checkpoint, with whatever cosignatures it has."""
    witnesses = configured(settings)
    quorum = settings.effective_witness_quorum
    if quorum == 0:
        latest = repository.latest_checkpoint(db_session)
        if latest is None:
            raise NotFound("日志尚未签署检查点。", code="no_checkpoint")
        return _with_cosignatures(db_session, latest, witnesses)
    size = repository.newest_size_with_quorum(db_session, [w.key_id for w in witnesses], quorum)
    checkpoint = repository.checkpoint_at(db_session, size) if size is not None else None
    if checkpoint is None:
        latest = repository.latest_checkpoint(db_session)
        raise NotFound(f"尚无经 {quorum} 个见证者联署的检查点。", code="no_cosigned_checkpoint",
                       detail={"quorum": quorum, "witnesses": len(witnesses),
                               "latest_signed_size": None if latest is None else latest.tree_size})
    return _with_cosignatures(db_session, checkpoint, witnesses)
