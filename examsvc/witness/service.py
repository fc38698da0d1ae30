"""``add-checkpoint`` (C2SP tlog-witness §add-checkpoint), checks in the order the spec gives them:

1. the body parses (400); the checkpoint's origin is known (404); a trusted key of that origin signed it
   (403; signatures by unknown keys are ignored);
2. old size ≤ checkpoint size (400);
3. atomically with recording: old size = the latest size cosigned for the origin (409 + that size as
   ``text/x.tlog.size``); the consistency proof from it verifies per RFC 6962 §2.1.2 / RFC 9162 §2.1.4.2
   (422; empty if old size is 0); equal sizes need equal roots (409);
4. record the checkpoint, then answer with the cosignature line (C2SP tlog-cosignature, cosignature/v1).

A refused checkpoint that carried a valid log signature is kept as evidence ("MAY log the request").
"""

from __future__ import annotations

from examsvc.crypto.signed_note import NoteError, Verifier, open_note, split_note
from examsvc.tlog.checkpoint import CheckpointError, parse_checkpoint
from examsvc.tlog.verify import ProofError, verify_consistency
from examsvc.tlog.witness_protocol import WitnessProtocolError, parse_add_checkpoint
from examsvc.witness.keys import Witness


class Refusal(Exception):
    def __init__(self, status: int, message: str, *, size: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.size = size  # for 409: the latest cosigned size


class _Evidence(Exception):
    """A refusal of a validly signed checkpoint: proof the log misbehaved, so it is kept."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def add_checkpoint(witness: Witness, body: bytes, now: int) -> str:
    """The cosignature line(s) for the submitted checkpoint, or ``Refusal``."""
    try:
        request = parse_add_checkpoint(body)
        text, _ = split_note(request.note)
        checkpoint = parse_checkpoint(text)
    except (WitnessProtocolError, NoteError, CheckpointError) as exc:
        raise Refusal(400, f"请求格式错误：{exc}") from None
    keys = witness.store.log_keys(checkpoint.origin)
    if not keys:
        raise Refusal(404, f"未知的日志：{checkpoint.origin}")
    if not any(_signed_by(request.note, key) for key in keys):
        raise Refusal(403, "检查点没有受信任的日志密钥的有效签名")
    if request.old_size > checkpoint.size:
        raise Refusal(400, f"old {request.old_size} 大于检查点大小 {checkpoint.size}")
    try:
        with witness.store.transaction() as connection:
            latest = witness.store.latest(connection, checkpoint.origin)
            if request.old_size != latest.size:
                raise Refusal(409, f"见证者最近联署的大小是 {latest.size}", size=latest.size)
            if request.old_size == 0:
                if request.proof:
                    raise Refusal(400, "old 为 0 时一致性证明必须为空")
            elif request.old_size == checkpoint.size:
                assert latest.root is not None
                if latest.root != checkpoint.root:
                    raise _Evidence(Refusal(409, f"大小 {checkpoint.size} 的根哈希与已联署的不同：日志分叉",
                                            size=latest.size))
            else:
                assert latest.root is not None
                try:
                    verify_consistency(request.old_size, checkpoint.size, latest.root, checkpoint.root,
                                       request.proof)
                except ProofError as exc:
                    raise _Evidence(Refusal(422, f"一致性证明不成立（{request.old_size} → {checkpoint.size}）："
                                                 f"{exc}")) from None
            line = witness.signer.cosign(text, now).line()
            witness.store.record(connection, checkpoint.origin, checkpoint.size, checkpoint.root, request.note)
    except _Evidence as evidence:
        witness.store.record_refusal(checkpoint.origin, evidence.refusal.status, evidence.refusal.message, body)
        raise evidence.refusal from None
    return line


def _signed_by(note: str, key: Verifier) -> bool:
    try:
        open_note(note, key)
    except NoteError:
        return False
    return True
