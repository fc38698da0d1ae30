"""RFC 6962 §2.1 Merkle tree hashing (as restated in RFC 9162 §2.1.1).

    MTH({})      = SHA-256()
    MTH({d(0)})  = SHA-256(0x00 || d(0))                       leaf hash
    MTH(D[n])    = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))  k = largest power of two < n
"""

from __future__ import annotations

import hashlib

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_LEAF = b"\x00"
_NODE = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(_LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(_NODE + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly less than n. Requires n >= 2."""
    if n < 2:
        raise ValueError("split_point needs n >= 2")
    return 1 << ((n - 1).bit_length() - 1)


class CompactRange:
    """A growing tree in O(log n) memory: the hashes of the perfect subtrees that make up [0, size),
    largest first (the tree's "frontier"). The log keeps it in its head row to append without
    reading stored hashes; the verifier uses it to stream a log."""

    __slots__ = ("hashes", "size")

    def __init__(self, size: int = 0, hashes: list[bytes] | None = None) -> None:
        self.hashes: list[bytes] = list(hashes or [])
        self.size = size
        if len(self.hashes) != size.bit_count():
            raise ValueError("a frontier has one hash per 1-bit of the tree size")

    def append(self, leaf: bytes) -> list[tuple[tuple[int, int], bytes]]:
        """Adds a leaf; returns the perfect subtrees it completes as ((level, index), hash), leaf first."""
        hashes = self.hashes
        hashes.append(leaf)
        level, position = 0, self.size
        created = [((0, position), leaf)]
        # Each trailing 1-bit of the old size is a left sibling waiting for this new right subtree.
        while position & 1:
            right = hashes.pop()
            hashes[-1] = node_hash(hashes[-1], right)
            level, position = level + 1, position >> 1
            created.append(((level, position), hashes[-1]))
        self.size += 1
        return created

    def root(self) -> bytes:
        return root_of_frontier(self.hashes)


def root_of_frontier(hashes: list[bytes]) -> bytes:
    """MTH of the tree whose perfect subtrees, largest first, have these hashes."""
    if not hashes:
        return EMPTY_ROOT
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = node_hash(left, root)
    return root


def root_of(leaf_hashes: list[bytes]) -> bytes:
    compact = CompactRange()
    for leaf in leaf_hashes:
        compact.append(leaf)
    return compact.root()
