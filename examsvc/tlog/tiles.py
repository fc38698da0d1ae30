"""C2SP tlog-tiles (https://c2sp.org/tlog-tiles): tile coordinates, paths and entry bundles.

§Merkle Tree: the n-th tile at level l holds, for i in 0..W-1, MTH(D[(n·256 + i)·256^l : (n·256 + i + 1)·256^l]),
the hash of a perfect subtree of 256^l = 2^(8l) leaves: RFC 6962 level 8l, index n·256 + i. So a tile is
a contiguous run of the log's stored perfect-subtree hashes (``audit_node``) and is read in one range query.
§Partial Tiles: the rightmost tile at level l of a tree of size s has floor(s / 256^l) mod 256 hashes.
§Log entries: entry bundles are the entries of a level-0 tile, each prefixed by its big-endian uint16 length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TILE_WIDTH = 256
TILE_HEIGHT = 8  # levels of the RFC 6962 tree per tile level: 256 = 2^8
MAX_LEVEL = 63  # §Merkle Tree: "<L> … MUST be a decimal ASCII integer between 0 and 63"
MAX_ENTRY_BYTES = 0xFFFF  # §Log entries: uint16 length prefix

# §Merkle Tree: "<N> … zero-padded 3-digit path elements. All but the last path element MUST begin with an x."
_INDEX = re.compile(r"^((?:x\d{3}/)*)(\d{3})(?:\.p/([1-9]\d{0,2}))?$")


class TileError(ValueError):
    pass


@dataclass(frozen=True)
class Tile:
    level: int  # tile level; entry bundles are addressed like level 0
    index: int
    width: int  # 256 for a full tile

    @property
    def partial(self) -> bool:
        return self.width < TILE_WIDTH

    def first_node(self) -> tuple[int, int]:
        """The RFC 6962 (level, index) of the tile's first hash; the rest follow at the same level."""
        return self.level * TILE_HEIGHT, self.index * TILE_WIDTH

    def needed_size(self) -> int:
        """The smallest tree size that contains every hash of this tile."""
        return (self.index * TILE_WIDTH + self.width) << (self.level * TILE_HEIGHT)

    def exists_in(self, tree_size: int) -> bool:
        """Every hash of the tile is in the tree. Stored subtrees never change, so any partial tile of an
        earlier size can be served too (§Partial Tiles only requires those of signed sizes)."""
        return self.needed_size() <= tree_size


def encode_index(index: int) -> str:
    """1234067 -> "x001/x234/067"."""
    if index < 0:
        raise TileError("a tile index is non-negative")
    parts = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        parts.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(parts))


def tile_path(tile: Tile, *, entries: bool = False) -> str:
    """The resource path below the log's prefix, e.g. "tile/1/x001/234.p/17" or "tile/entries/000"."""
    level = "entries" if entries else str(tile.level)
    suffix = f".p/{tile.width}" if tile.partial else ""
    return f"tile/{level}/{encode_index(tile.index)}{suffix}"


def parse_tile(level: int, rest: str) -> Tile:
    """The tile named by "<N>[.p/<W>]" at ``level`` (0 for entry bundles)."""
    if not 0 <= level <= MAX_LEVEL:
        raise TileError("the tile level is between 0 and 63")
    match = _INDEX.match(rest)
    if match is None:
        raise TileError("a tile index is 3-digit path elements, all but the last starting with x, then "
                        "optionally .p/<width 1-255>")
    index = 0
    for part in match.group(1).split("/")[:-1]:
        index = index * 1000 + int(part[1:])
    index = index * 1000 + int(match.group(2))
    width = int(match.group(3)) if match.group(3) else TILE_WIDTH
    if match.group(3) and width >= TILE_WIDTH:
        raise TileError("a partial tile has 1 to 255 hashes")
    tile = Tile(level=level, index=index, width=width)
    if tile_path(tile).split("/", 2)[2] != rest:
        raise TileError("a tile index has no leading zero path elements")
    return tile


def entry_bundle(entries: list[bytes]) -> bytes:
    """§Log entries: big-endian uint16 length-prefixed entries."""
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_ENTRY_BYTES:
            raise TileError("an entry longer than 65,535 bytes does not fit an entry bundle")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def parse_entry_bundle(data: bytes) -> list[bytes]:
    entries = []
    at = 0
    while at < len(data):
        if at + 2 > len(data):
            raise TileError("truncated entry bundle")
        length = int.from_bytes(data[at:at + 2], "big")
        if at + 2 + length > len(data):
            raise TileError("truncated entry bundle")
        entries.append(data[at + 2:at + 2 + length])
        at += 2 + length
    return entries
