"""The witness's own state: a small SQLite file in its data folder (never the exam database).

Per origin it keeps the trusted log keys and the latest checkpoint it cosigned (C2SP tlog-witness:
"the witness is only required to keep track of the latest checkpoint it observed and verified"), plus
the refused checkpoints that carried a valid log signature, kept as evidence of log misbehaviour.
Checking the old size and recording the new checkpoint happen in one ``BEGIN IMMEDIATE`` transaction
(§add-checkpoint: "must be performed atomically"), with ``synchronous=FULL`` so that a cosignature is
only returned once its checkpoint is on disk.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from examsvc.crypto.signed_note import Verifier, parse_vkey

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS log_key (origin TEXT NOT NULL, key_id TEXT NOT NULL, vkey TEXT NOT NULL,
    added_at TEXT NOT NULL, PRIMARY KEY (origin, key_id));
CREATE TABLE IF NOT EXISTS cosigned (origin TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL,
    note TEXT NOT NULL, cosigned_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS refused (id INTEGER PRIMARY KEY AUTOINCREMENT, origin TEXT NOT NULL,
    status INTEGER NOT NULL, reason TEXT NOT NULL, request BLOB NOT NULL, refused_at TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Latest:
    size: int
    root: bytes | None  # None before the first cosignature for the origin


def _now() -> str:
    return datetime.now(UTC).isoformat()


class WitnessStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connect() as connection:
            connection.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE below).
        connection = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        return connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One writer at a time, across threads and processes; commits on success only."""
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            connection.close()

    def get_meta(self, key: str) -> str | None:
        with self.transaction() as connection:
            row = connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as connection:
            connection.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def add_log(self, verifier: Verifier) -> bool:
        """Trusts ``verifier`` for its origin (its key name); False if it already was."""
        with self.transaction() as connection:
            cursor = connection.execute(
                "INSERT OR IGNORE INTO log_key (origin, key_id, vkey, added_at) VALUES (?, ?, ?, ?)",
                (verifier.name, verifier.key_id.hex(), verifier.vkey(), _now()))
            return cursor.rowcount == 1

    def log_keys(self, origin: str) -> list[Verifier]:
        with self.transaction() as connection:
            rows = connection.execute("SELECT vkey FROM log_key WHERE origin = ? ORDER BY key_id", (origin,))
            return [parse_vkey(row[0]) for row in rows.fetchall()]

    def logs(self) -> list[tuple[str, str, int]]:
        """(origin, vkey, latest cosigned size) for every trusted log key."""
        with self.transaction() as connection:
            rows = connection.execute(
                "SELECT k.origin, k.vkey, coalesce(c.size, 0) FROM log_key k LEFT JOIN cosigned c "
                "ON c.origin = k.origin ORDER BY k.origin, k.key_id").fetchall()
        return [(str(o), str(v), int(s)) for o, v, s in rows]

    @staticmethod
    def latest(connection: sqlite3.Connection, origin: str) -> Latest:
        row = connection.execute("SELECT size, root FROM cosigned WHERE origin = ?", (origin,)).fetchone()
        return Latest(size=0, root=None) if row is None else Latest(size=int(row[0]), root=bytes(row[1]))

    @staticmethod
    def record(connection: sqlite3.Connection, origin: str, size: int, root: bytes, note: str) -> None:
        connection.execute(
            "INSERT INTO cosigned (origin, size, root, note, cosigned_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root, note = excluded.note, "
            "cosigned_at = excluded.cosigned_at", (origin, size, root, note, _now()))

    def record_refusal(self, origin: str, status: int, reason: str, request: bytes) -> None:
        with self.transaction() as connection:
            connection.execute("INSERT INTO refused (origin, status, reason, request, refused_at) "
                               "VALUES (?, ?, ?, ?, ?)", (origin, status, reason, request, _now()))

    def refusals(self, origin: str) -> list[tuple[int, str]]:
        with self.transaction() as connection:
            rows = connection.execute("SELECT status, reason FROM refused WHERE origin = ? ORDER BY id",
                                      (origin,)).fetchall()
        return [(int(s), str(r)) for s, r in rows]
