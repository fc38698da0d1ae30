"""The log's tables. The migration installs triggers that refuse UPDATE, DELETE and TRUNCATE on
entries, nodes and checkpoints; ``audit_head`` is a one-row cache of the size that serialises appends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from examsvc.db import Base, UtcDateTime, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entry: Mapped[bytes] = mapped_column(LargeBinary)  # RFC 8785 canonical JSON, UTF-8
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditNode(Base):
    """The hash of a perfect subtree: id = level << 40 | index (index < 2**40 leaves)."""

    __tablename__ = "audit_node"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditHead(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    last_leaf_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    # The hashes of the perfect subtrees that make up the tree, concatenated (see CompactRange).
    frontier: Mapped[bytes] = mapped_column(LargeBinary)
    # What the log has signed: a stored checkpoint deleted (guards dropped) then shows as a shortfall.
    signed_size: Mapped[int] = mapped_column(BigInteger, server_default="0")
    signed_count: Mapped[int] = mapped_column(BigInteger, server_default="0")


class AuditCheckpoint(Base):
    """Every checkpoint the log ever signed."""

    __tablename__ = "audit_checkpoint"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(8))
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AuditCosignature(Base):
    """A witness's cosignature (C2SP tlog-cosignature) on one of the log's checkpoints, as the witness
    returned it: one signature line. Append-only, like the checkpoints."""

    __tablename__ = "audit_cosignature"

    # The checkpoint's size. No foreign key: it would make TRUNCATE audit_checkpoint fail on the key
    # before the append-only trigger could refuse it by name.
    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    witness_key_id: Mapped[str] = mapped_column(String(8), primary_key=True)
    witness_name: Mapped[str] = mapped_column(String(255))
    line: Mapped[str] = mapped_column(Text)
    # The cosignature's own timestamp (POSIX seconds), as signed by the witness.
    cosigned_at: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
