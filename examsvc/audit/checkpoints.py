"""Signing checkpoints. A log must never sign two inconsistent heads: before a new checkpoint is
signed, the new tree is proved consistent (RFC 9162 §2.1.4) with the last checkpoint it signed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from examsvc.audit import log, repository
from examsvc.audit.models import AuditCheckpoint
from examsvc.crypto.signed_note import Signer, key_id, sign_note
from examsvc.db import utcnow
from examsvc.tlog.checkpoint import Checkpoint
from examsvc.tlog.proofs import consistency_proof, nodes_for_consistency
from examsvc.tlog.rfc6962 import CompactRange
from examsvc.tlog.verify import verify_consistency


class InconsistentLog(RuntimeError):
    """The stored tree does not extend the last signed checkpoint: someone altered the log."""


def sign_if_grown(*, db_session: Session, signer: Signer) -> AuditCheckpoint:
    """The checkpoint for the log's current size, signing a new one only if the log has grown."""
    log.append_pending(db_session)
    head = repository.lock_head(db_session)
    signed = repository.signed(db_session)
    if not signed.complete:
        # Deleting the newest checkpoint would let the log sign a rewritten tail as if for the first time.
        raise InconsistentLog(f"{signed.count} checkpoints were signed, the latest for {signed.size} entries, but "
                              f"{signed.stored_count} are stored, the latest for {signed.stored_size}: a signed "
                              "checkpoint was deleted")
    last = repository.latest_checkpoint(db_session)
    size = head.size
    if last is not None and last.tree_size > size:
        raise InconsistentLog(f"the log has {size} entries but a checkpoint for {last.tree_size} was signed")
    if last is not None and last.tree_size == size:
        return last
    try:
        root = CompactRange(size, head.frontier).root()
    except ValueError as exc:
        raise InconsistentLog(f"the head's subtree hashes do not fit its size {size}: {exc}") from exc
    if last is not None and last.tree_size > 0:
        proof = consistency_proof(last.tree_size, size,
                                  repository.nodes(db_session, nodes_for_consistency(last.tree_size, size)))
        try:
            verify_consistency(last.tree_size, size, bytes(last.root_hash), root, proof)
        except ValueError as exc:
            raise InconsistentLog(f"the log no longer extends checkpoint {last.tree_size}: {exc}") from exc
    note = sign_note(Checkpoint(origin=signer.name, size=size, root=root).body(), signer)
    checkpoint = AuditCheckpoint(tree_size=size, root_hash=root, note=note,
                                 key_id=key_id(signer.name, signer.public_key).hex(), signed_at=utcnow())
    repository.add_checkpoint(db_session, checkpoint)
    repository.record_signed(db_session, size)
    return checkpoint
