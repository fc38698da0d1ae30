"""Serving the log as C2SP tlog-tiles (https://c2sp.org/tlog-tiles): hash tiles and entry bundles.

Tiles are cut from what the log already stores: a hash tile is a run of stored perfect-subtree hashes
(``audit_node``, one range query), an entry bundle a run of entries. Only what the latest signed
checkpoint covers is served, so every tile is immutable (§Merkle Tree: "This endpoint is immutable").
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from examsvc.audit import repository
from examsvc.errors import InvalidInput, NotFound
from examsvc.tlog.tiles import Tile, TileError, entry_bundle, parse_tile


def _tile(db_session: Session, level: int, rest: str) -> Tile:
    try:
        tile = parse_tile(level, rest)
    except TileError as exc:
        raise InvalidInput(f"瓦片路径无效：{exc}", code="bad_tile_path", detail={"path": rest}) from None
    latest = repository.latest_checkpoint(db_session)
    size = 0 if latest is None else latest.tree_size
    if not tile.exists_in(size):
        # §Partial Tiles: "Empty tiles MUST NOT be served"; nothing beyond the signed tree either.
        raise NotFound("该瓦片不在已签署的树中。", code="no_such_tile",
                       detail={"level": level, "index": tile.index, "width": tile.width, "signed_size": size})
    return tile


def hash_tile(*, db_session: Session, level: int, rest: str) -> bytes:
    tile = _tile(db_session, level, rest)
    node_level, first = tile.first_node()
    return b"".join(repository.node_run(db_session, node_level, first, tile.width))


def entries_tile(*, db_session: Session, rest: str) -> bytes:
    tile = _tile(db_session, 0, rest)
    _, first = tile.first_node()
    return entry_bundle(repository.entries(db_session, first, first + tile.width))
