"""All queries on the log's tables."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from examsvc.audit.models import AuditCheckpoint, AuditCosignature, AuditEntry, AuditHead, AuditNode
from examsvc.tlog.proofs import Node
from examsvc.tlog.rfc6962 import CompactRange, leaf_hash

HEAD_ID = 1
_LEVEL_SHIFT = 40


def node_id(node: Node) -> int:
    level, index = node
    return level << _LEVEL_SHIFT | index


@dataclass(frozen=True)
class Head:
    size: int
    last_leaf_hash: bytes | None
    frontier: list[bytes]


# Appends are the hot path of every action. They run as plain SQL on the session's own DB-API
# connection, inside its transaction: SQLAlchemy's per-statement machinery cost as much as the writes.
# On PostgreSQL the whole append is one round trip, the audit_append() function of the migration.
_SELECT_HEAD = "SELECT size, last_leaf_hash, frontier FROM audit_head WHERE id = 1"
_SQLITE_INSERT_ENTRY = "INSERT INTO audit_entry (idx, entry, leaf_hash) VALUES (?, ?, ?)"
_SQLITE_INSERT_NODE = "INSERT INTO audit_node (id, hash) VALUES (?, ?)"
_SQLITE_UPDATE_HEAD = "UPDATE audit_head SET size = ?, last_leaf_hash = ?, frontier = ? WHERE id = 1"


def _cursor(db_session: Session) -> tuple[Any, bool]:
    connection = db_session.connection()
    raw = connection.connection.dbapi_connection
    assert raw is not None
    return raw.cursor(), connection.dialect.name == "postgresql"


def lock_head(db_session: Session) -> Head:
    """The head, locked until the transaction ends: appends and signing go one at a time
    (SELECT … FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers)."""
    cursor, postgres = _cursor(db_session)
    cursor.execute(_SELECT_HEAD + (" FOR UPDATE" if postgres else ""))
    size, last_leaf, frontier_bytes = cursor.fetchone()
    frontier = bytes(frontier_bytes)
    return Head(size=size, last_leaf_hash=bytes(last_leaf) if last_leaf else None,
                frontier=[frontier[i:i + 32] for i in range(0, len(frontier), 32)])


def complete_entry(prefix: bytes, index: int, previous_leaf: bytes | None, suffix: bytes) -> bytes:
    """The entry's canonical bytes around the values only the locked head knows (as audit_append() does)."""
    return prefix + f'{index},"prev":"{previous_leaf.hex() if previous_leaf else ""}"'.encode() + suffix


def append(db_session: Session, prefix: bytes, suffix: bytes) -> int:
    """Appends one entry (see ``complete_entry``) and the subtrees it completes; returns its index."""
    cursor, postgres = _cursor(db_session)
    if postgres:
        cursor.execute("SELECT audit_append(%s, %s)", (prefix, suffix))
        index: int = cursor.fetchone()[0]
        return index
    head = lock_head(db_session)
    entry = complete_entry(prefix, head.size, head.last_leaf_hash, suffix)
    leaf = leaf_hash(entry)
    tree = CompactRange(head.size, head.frontier)
    created = tree.append(leaf)
    cursor.execute(_SQLITE_INSERT_ENTRY, (head.size, entry, leaf))
    cursor.executemany(_SQLITE_INSERT_NODE, [(node_id(n), h) for n, h in created])
    cursor.execute(_SQLITE_UPDATE_HEAD, (head.size + 1, leaf, b"".join(tree.hashes)))
    return head.size


def committed_size(db_session: Session) -> int:
    return db_session.scalars(select(AuditHead.size).where(AuditHead.id == HEAD_ID)).one()


def nodes(db_session: Session, wanted: Iterable[Node]) -> dict[Node, bytes]:
    by_id = {node_id(n): n for n in wanted}
    if not by_id:
        return {}
    rows = db_session.execute(select(AuditNode.id, AuditNode.hash).where(AuditNode.id.in_(by_id))).all()
    found = {by_id[row.id]: bytes(row.hash) for row in rows}
    if len(found) != len(by_id):
        raise LookupError("the log's stored hashes are incomplete")
    return found


def entries(db_session: Session, start: int, end: int) -> list[bytes]:
    rows = db_session.scalars(
        select(AuditEntry.entry).where(AuditEntry.idx >= start, AuditEntry.idx < end).order_by(AuditEntry.idx))
    return [bytes(r) for r in rows]


def latest_checkpoint(db_session: Session) -> AuditCheckpoint | None:
    return db_session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size.desc()).limit(1)).first()


def add_checkpoint(db_session: Session, checkpoint: AuditCheckpoint) -> None:
    db_session.add(checkpoint)
    db_session.flush()


@dataclass(frozen=True)
class Signed:
    """How many checkpoints the log signed and the latest one's size (the head's record), beside how
    many are stored and the largest stored size: a shortfall means a signed checkpoint was deleted."""

    count: int
    size: int
    stored_count: int
    stored_size: int

    @property
    def complete(self) -> bool:
        return self.count == self.stored_count and self.size == self.stored_size


def signed(db_session: Session) -> Signed:
    count, size = db_session.execute(select(AuditHead.signed_count, AuditHead.signed_size)
                                     .where(AuditHead.id == HEAD_ID)).one()
    stored_count, stored_size = db_session.execute(
        select(func.count(), func.coalesce(func.max(AuditCheckpoint.tree_size), 0))).one()
    return Signed(count=count, size=size, stored_count=stored_count, stored_size=stored_size)


def record_signed(db_session: Session, tree_size: int) -> None:
    db_session.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(
        signed_size=tree_size, signed_count=AuditHead.signed_count + 1))


def checkpoint_at(db_session: Session, tree_size: int) -> AuditCheckpoint | None:
    return db_session.get(AuditCheckpoint, tree_size)


def node_run(db_session: Session, level: int, first: int, count: int) -> list[bytes]:
    """The stored hashes of ``count`` consecutive perfect subtrees at ``level`` from ``first``: one range
    query (ids are level << 40 | index, so a run at one level is a contiguous id range)."""
    low = node_id((level, first))
    rows = db_session.execute(select(AuditNode.id, AuditNode.hash)
                              .where(AuditNode.id >= low, AuditNode.id < low + count).order_by(AuditNode.id)).all()
    if len(rows) != count:
        raise LookupError("the log's stored hashes are incomplete")
    return [bytes(row.hash) for row in rows]


def cosignatures(db_session: Session, tree_size: int) -> list[AuditCosignature]:
    return list(db_session.scalars(select(AuditCosignature).where(AuditCosignature.tree_size == tree_size)
                                   .order_by(AuditCosignature.witness_name, AuditCosignature.witness_key_id)))


def has_cosignature(db_session: Session, tree_size: int, key_id: str) -> bool:
    return db_session.get(AuditCosignature, (tree_size, key_id)) is not None


def add_cosignature(db_session: Session, cosignature: AuditCosignature) -> None:
    db_session.add(cosignature)
    db_session.flush()


def last_cosigned_size(db_session: Session, key_id: str) -> int:
    """The largest checkpoint this witness cosigned for us (0 if none): where its state should be."""
    size = db_session.scalar(select(func.max(AuditCosignature.tree_size)).where(
        AuditCosignature.witness_key_id == key_id))
    return int(size or 0)


def newest_size_with_quorum(db_session: Session, key_ids: list[str], quorum: int) -> int | None:
    """The largest checkpoint cosigned by at least ``quorum`` of these witnesses."""
    size = db_session.scalar(
        select(AuditCosignature.tree_size).where(AuditCosignature.witness_key_id.in_(key_ids))
        .group_by(AuditCosignature.tree_size).having(func.count() >= quorum)
        .order_by(AuditCosignature.tree_size.desc()).limit(1))
    return None if size is None else int(size)
