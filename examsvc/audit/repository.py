"""All queries on the log's tables."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from examsvc.audit.models import AuditCheckpoint, AuditEntry, AuditHead, AuditNode
from examsvc.tlog.proofs import Node

HEAD_ID = 1
_LEVEL_SHIFT = 40


def node_id(node: Node) -> int:
    level, index = node
    return level << _LEVEL_SHIFT | index


def lock_head(db_session: Session) -> AuditHead:
    """The head row, locked until the transaction ends: appends and signing go one at a time
    (SELECT … FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers)."""
    # populate_existing: a session that outlives a transaction must not append on a stale size.
    query = select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update().execution_options(
        populate_existing=True)
    return db_session.scalars(query).one()


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


def append(db_session: Session, index: int, entry: bytes, leaf: bytes, created: Mapping[Node, bytes]) -> None:
    db_session.execute(insert(AuditEntry), [{"idx": index, "entry": entry, "leaf_hash": leaf}])
    db_session.execute(insert(AuditNode), [{"id": node_id(n), "hash": h} for n, h in created.items()])


def entries(db_session: Session, start: int, end: int) -> list[bytes]:
    rows = db_session.scalars(
        select(AuditEntry.entry).where(AuditEntry.idx >= start, AuditEntry.idx < end).order_by(AuditEntry.idx))
    return [bytes(r) for r in rows]


def leaf_hash_at(db_session: Session, index: int) -> bytes | None:
    value = db_session.scalars(select(AuditEntry.leaf_hash).where(AuditEntry.idx == index)).one_or_none()
    return bytes(value) if value is not None else None


def latest_checkpoint(db_session: Session) -> AuditCheckpoint | None:
    return db_session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size.desc()).limit(1)).first()


def checkpoint_at(db_session: Session, size: int) -> AuditCheckpoint | None:
    return db_session.get(AuditCheckpoint, size)


def add_checkpoint(db_session: Session, checkpoint: AuditCheckpoint) -> None:
    db_session.add(checkpoint)
    db_session.flush()
