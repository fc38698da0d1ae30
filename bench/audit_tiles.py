"""C2SP tlog-tiles served from the stored subtree hashes, at 10,000 and at 1,000,000 entries.

Stores each log's hashes as an append does (``bench.audit_proofs.fill``), records a checkpoint for its
size, then reads random full hash tiles at levels 0 and 1 and the partial tiles of the top, through
the same service the routes call. For comparison it also rebuilds one level-1 tile the way a log without
stored interior hashes would (reading its 65,536 leaf hashes and hashing them up). Prints p50/p99 per
size and, last, the p99 ratio of 1M to 10k. Goal: ratio <= 2 (a tile is one range query of at most
256 stored hashes, whatever the log's size).

    .venv/bin/python -m bench.audit_tiles [--tiles N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from sqlalchemy.engine import Engine

from bench._databases import on_sqlite_sizes
from bench.audit_proofs import fill
from examsvc.audit import repository, tiles
from examsvc.audit.models import AuditCheckpoint
from examsvc.bootstrap import transaction
from examsvc.tlog.rfc6962 import CompactRange, node_hash
from examsvc.tlog.tiles import Tile, encode_index, tile_path


def _sign(engine: Engine, entries: int) -> None:
    with transaction(engine) as db_session:
        head = repository.lock_head(db_session)
        root = CompactRange(head.size, head.frontier).root()
        db_session.add(AuditCheckpoint(tree_size=entries, root_hash=root, note="bench\n", key_id="00000000"))
        repository.record_signed(db_session, entries)


def _rest(tile: Tile) -> str:
    return tile_path(tile).split("/", 2)[2]


def measure(engine: Engine, entries: int, count: int) -> float:
    rng = random.Random(entries)
    full_0, full_1 = entries // 256, entries // 65536
    wanted = [Tile(0, rng.randrange(full_0), 256) for _ in range(count)]
    wanted += [Tile(1, rng.randrange(full_1), 256) for _ in range(count)] if full_1 else []
    times = []
    with transaction(engine) as db_session:
        for tile in wanted[:100]:  # warm-up
            tiles.hash_tile(db_session=db_session, level=tile.level, rest=_rest(tile))
        for tile in wanted:
            started = time.perf_counter()
            body = tiles.hash_tile(db_session=db_session, level=tile.level, rest=_rest(tile))
            times.append(time.perf_counter() - started)
            assert len(body) == 8192
        top = Tile(2, 0, entries >> 16) if entries >> 16 else Tile(1, 0, entries >> 8)
        tiles.hash_tile(db_session=db_session, level=top.level, rest=_rest(top))
        if full_1:
            started = time.perf_counter()
            leaves = repository.node_run(db_session, 0, 0, 65536)
            level = leaves
            while len(level) > 256:
                level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
            rebuilt = time.perf_counter() - started
            assert b"".join(level) == tiles.hash_tile(db_session=db_session, level=1, rest=encode_index(0))
            print(f"{entries:>9} entries: rebuilding level-1 tile 0 from its leaves takes {rebuilt * 1000:.1f} ms")
    quantiles = statistics.quantiles(times, n=100)
    print(f"{entries:>9} entries, hash tiles: p50 {quantiles[49] * 1000:.3f} ms, p99 {quantiles[98] * 1000:.3f} ms")
    return quantiles[98]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tiles", type=int, default=1000)
    args = parser.parse_args()

    def filled_and_measured(engine: Engine, entries: int) -> float:
        fill(engine, entries)
        _sign(engine, entries)
        return measure(engine, entries, args.tiles)

    results = on_sqlite_sizes((10_000, 1_000_000), filled_and_measured)
    print(f"hash tile p99 at 1M / at 10k: {results[1_000_000] / results[10_000]:.2f}")


if __name__ == "__main__":
    main()
