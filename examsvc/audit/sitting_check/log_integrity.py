"""The log as stored: entries, leaf hashes, subtree hashes, head and signed checkpoints, recomputed.

``audit verify`` checks an export, which the service builds from the entries and signs anew; it cannot
see a stored subtree hash that serves wrong proofs, a row slipped in past the head, or a signed
checkpoint that no longer matches the entries. This check recomputes the RFC 6962 tree (§2.1) from
the entry bytes and compares every stored piece with it, and checks every stored checkpoint's C2SP
signed note with the log's key. Witness cosignatures without their checkpoint, and the head's count of
signed checkpoints (``audit_head.signed_count``/``signed_size``), show a deleted one.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterator

from sqlalchemy import select

from examsvc.audit import repository
from examsvc.audit.models import AuditCheckpoint, AuditCosignature, AuditEntry, AuditHead, AuditNode
from examsvc.audit.repository import HEAD_ID, node_id
from examsvc.audit.sitting_check.core import Context, Finding, check
from examsvc.crypto.signed_note import NoteError, open_note
from examsvc.tlog.checkpoint import parse_checkpoint
from examsvc.tlog.rfc6962 import leaf_hash, node_hash

NAME = "log"


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    """levels[k][i]: the hash of the perfect subtree of 2**k leaves starting at leaf i * 2**k."""
    levels = [leaves]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return levels


def _root(levels: list[list[bytes]], size: int) -> bytes:
    """The root of the first ``size`` leaves, from the perfect subtrees that make them up (largest first)."""
    parts: list[bytes] = []
    start = 0
    for level in range(len(levels) - 1, -1, -1):
        if size - start >= 1 << level:
            parts.append(levels[level][start >> level])
            start += 1 << level
    root = parts.pop()
    while parts:
        root = node_hash(parts.pop(), root)
    return root


def _prev(entry: bytes) -> object:
    try:
        return json.loads(entry).get("prev")
    except (ValueError, AttributeError):
        return None


@check(NAME)
def stored_log_matches_its_entries(ctx: Context) -> Iterator[Finding]:
    db = ctx.db_session
    head = db.get(AuditHead, HEAD_ID)
    size = head.size if head is not None else 0
    rows = list(db.execute(select(AuditEntry.idx, AuditEntry.entry, AuditEntry.leaf_hash).order_by(AuditEntry.idx)))
    leaves: list[bytes] = []
    for position, (idx, entry, stored_leaf) in enumerate(rows):
        if idx >= size:
            yield Finding(NAME, "audit_entry", f"a row past the log's head (size {size}): not part of the signed "
                                               "tree", row=idx, entry=idx)
            continue
        if idx != position:
            yield Finding(NAME, "audit_entry", f"entry {position} is missing (the next row is {idx})", row=position)
            return
        if _prev(bytes(entry)) != (leaves[-1].hex() if leaves else ""):
            # The entry before was changed (its leaf hash recomputed or not): this one still names the old hash.
            yield Finding(NAME, "audit_entry", f"entry {idx} records another hash for the entry before it: entry "
                                               f"{idx - 1} was changed", row=idx - 1, field="entry", entry=idx - 1)
        leaves.append(leaf_hash(bytes(entry)))
        if not hmac.compare_digest(leaves[-1], bytes(stored_leaf)):
            yield Finding(NAME, "audit_entry", "the stored leaf hash is not the hash of the entry", row=idx,
                          field="leaf_hash", entry=idx)
    if len(leaves) != size:
        if len(leaves) < size:
            yield Finding(NAME, "audit_entry", f"entries {len(leaves)} to {size - 1} are missing: the head counts "
                                               f"{size}", row=len(leaves))
        yield Finding(NAME, "audit_head", f"the head says {size} entries but {len(leaves)} are stored",
                      row=HEAD_ID, field="size")
        return
    if not leaves:
        return
    levels = _levels(leaves)
    recomputed = {node_id((level, index)): digest for level, hashes in enumerate(levels)
                  for index, digest in enumerate(hashes)}
    for stored_id, digest in db.execute(select(AuditNode.id, AuditNode.hash)):
        expected = recomputed.get(stored_id)
        if expected is None or not hmac.compare_digest(expected, bytes(digest)):
            level, index = stored_id >> 40, stored_id & ((1 << 40) - 1)
            yield Finding(NAME, "audit_node", "a stored subtree hash that the entries do not give (it would "
                                              "serve false proofs)", row=f"level {level}, index {index}",
                          field="hash")
    assert head is not None
    if head.last_leaf_hash is not None and not hmac.compare_digest(bytes(head.last_leaf_hash), leaves[-1]):
        yield Finding(NAME, "audit_head", "the head's last leaf hash is not the last entry's", row=HEAD_ID,
                      field="last_leaf_hash")
    checkpoint_sizes = set()
    for checkpoint in db.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size)):
        checkpoint_sizes.add(checkpoint.tree_size)
        where = {"row": checkpoint.tree_size}
        try:
            body = parse_checkpoint(open_note(checkpoint.note, ctx.service_key))
        except (NoteError, ValueError):
            yield Finding(NAME, "audit_checkpoint", "its signature does not verify with the log's key", field="note",
                          **where)
            continue
        if body.size != checkpoint.tree_size or not hmac.compare_digest(body.root, bytes(checkpoint.root_hash)):
            yield Finding(NAME, "audit_checkpoint", "the signed note and the stored size or root differ",
                          field="root_hash", **where)
        elif body.size > size or body.size == 0 or not hmac.compare_digest(_root(levels, body.size), body.root):
            yield Finding(NAME, "audit_checkpoint", f"the entries no longer hash to the root signed at size "
                                                    f"{body.size}: the log was rewritten", field="root_hash", **where)
    signed = repository.signed(db)
    if not signed.complete:
        yield Finding(NAME, "audit_checkpoint", f"the log signed {signed.count} checkpoints, the latest for "
                                                f"{signed.size} entries (audit_head); {signed.stored_count} are "
                                                f"stored, the latest for {signed.stored_size}: a signed checkpoint "
                                                "was deleted")
    for tree_size in db.scalars(select(AuditCosignature.tree_size).distinct()):
        if tree_size not in checkpoint_sizes:
            yield Finding(NAME, "audit_checkpoint", "a witness cosigned this checkpoint, but it is no longer stored",
                          row=tree_size)
