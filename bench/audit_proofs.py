"""Inclusion and consistency proofs at 10,000 and at 1,000,000 entries, from the stored subtree hashes.

Builds each log's stored hashes (the audit_node and audit_head rows an append writes) in a fresh
SQLite database through the same CompactRange the service uses, then asks the proof service for
random proofs. Prints p50/p99 per proof type and size and, last, the worse p99 ratio of 1M to 10k.
Goals: p99 at 1M <= 5 ms; ratio <= 2 (proofs read O(log n) stored hashes, never rehash the log).

    .venv/bin/python -m bench.audit_proofs [--proofs N]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import time

from sqlalchemy.engine import Engine

from bench._databases import on_sqlite_sizes
from examsvc.audit import service
from examsvc.audit.repository import node_id
from examsvc.bootstrap import transaction
from examsvc.tlog.rfc6962 import CompactRange


def fill(engine: Engine, entries: int) -> None:
    tree = CompactRange()
    rows: list[tuple[int, bytes]] = []
    with engine.begin() as connection:
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        for n in range(entries):
            rows.extend((node_id(node), h) for node, h in tree.append(hashlib.sha256(b"%d" % n).digest()))
            if len(rows) > 100_000:
                cursor.executemany("INSERT INTO audit_node (id, hash) VALUES (?, ?)", rows)
                rows.clear()
        cursor.executemany("INSERT INTO audit_node (id, hash) VALUES (?, ?)", rows)
        cursor.execute("UPDATE audit_head SET size = ?, frontier = ? WHERE id = 1", (entries, b"".join(tree.hashes)))


def measure(engine: Engine, entries: int, proofs: int) -> dict[str, float]:
    rng = random.Random(entries)
    p99 = {}
    with transaction(engine) as db_session:
        for _ in range(200):  # warm-up: statement cache, page cache
            service.inclusion(db_session=db_session, index=rng.randrange(entries), tree_size=entries)
        for kind in ("inclusion", "consistency"):
            times = []
            for _ in range(proofs):
                started = time.perf_counter()
                if kind == "inclusion":
                    service.inclusion(db_session=db_session, index=rng.randrange(entries), tree_size=entries)
                else:
                    service.consistency(db_session=db_session, first=rng.randrange(1, entries), second=entries)
                times.append(time.perf_counter() - started)
            quantiles = statistics.quantiles(times, n=100)
            p99[kind] = quantiles[98] * 1000
            print(f"{entries:>9} entries, {kind:<11}: p50 {quantiles[49] * 1000:.2f} ms, p99 {p99[kind]:.2f} ms")
    return p99


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--proofs", type=int, default=2000)
    args = parser.parse_args()

    def filled_and_measured(engine: Engine, entries: int) -> dict[str, float]:
        started = time.perf_counter()
        fill(engine, entries)
        print(f"stored the hashes of {entries} entries in {time.perf_counter() - started:.1f} s")
        return measure(engine, entries, args.proofs)

    results = on_sqlite_sizes((10_000, 1_000_000), filled_and_measured)
    worst = max(results[1_000_000][k] / results[10_000][k] for k in ("inclusion", "consistency"))
    print(f"p99 at 1M: inclusion {results[1_000_000]['inclusion']:.2f} ms, "
          f"consistency {results[1_000_000]['consistency']:.2f} ms")
    print(f"proof p99 ratio 1M/10k (worse of the two): {worst:.2f}")


if __name__ == "__main__":
    main()
