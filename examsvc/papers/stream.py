"""The deterministic random stream that drives paper assembly (docs/assembly.md §2).

    block(k) = HMAC-SHA256(key = seed, message = uint64_be(k)),  k = 0, 1, 2, …
    the stream is block(0) ‖ block(1) ‖ …, read 8 bytes at a time as big-endian unsigned integers.
    uniform(n): draw x; accept if x < 2^64 − (2^64 mod n) and return x mod n, else draw again.
    shuffle(a): Fisher–Yates, for i = len(a)−1 down to 1: j = uniform(i+1); swap a[i], a[j].

Python's ``random`` is deliberately not used: its algorithms are not a published contract.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from typing import TypeVar

T = TypeVar("T")
_TWO_64 = 1 << 64
_BLOCK_INDEX = struct.Struct(">Q")
_FOUR_U64 = struct.Struct(">4Q")


class Stream:
    __slots__ = ("_block", "_pending", "_seed")

    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise ValueError("a seed is 32 bytes")
        self._seed = seed
        self._block = 0
        self._pending: list[int] = []  # the current block's unread integers, last one first

    def next_u64(self) -> int:
        if not self._pending:
            block = hmac.digest(self._seed, _BLOCK_INDEX.pack(self._block), "sha256")
            self._block += 1
            self._pending = list(reversed(_FOUR_U64.unpack(block)))
        return self._pending.pop()

    def uniform(self, n: int) -> int:
        """An integer in [0, n), without modulo bias. Requires 1 <= n < 2^64."""
        if not 1 <= n < _TWO_64:
            raise ValueError("uniform needs 1 <= n < 2^64")
        limit = _TWO_64 - _TWO_64 % n
        while True:
            x = self.next_u64()
            if x < limit:
                return x % n

    def shuffle(self, items: list[T]) -> None:
        for i in range(len(items) - 1, 0, -1):
            j = self.uniform(i + 1)
            items[i], items[j] = items[j], items[i]


def candidate_seed(sitting_seed: bytes, admission_number: str) -> bytes:
    """seed_candidate = HMAC-SHA256(sitting seed, admission number in UTF-8)."""
    return hmac.new(sitting_seed, admission_number.encode("utf-8"), hashlib.sha256).digest()
