"""The deterministic random stream that drives paper assembly (docs/assembly.md §2).

    keystream = AES-256-CTR(key = seed, initial counter block = 0^128), i.e. block k is
                AES-256(seed, k as a 16-byte big-endian integer), k = 0, 1, 2, …
    the stream reads the keystream 8 bytes at a time as big-endian unsigned integers.
    uniform(n): draw x; accept if x < 2^64 − (2^64 mod n) and return x mod n, else draw again.
    shuffle(a): Fisher–Yates, for i = len(a)−1 down to 1: j = uniform(i+1); swap a[i], a[j].

AES-CTR is a published, language-independent construction (NIST SP 800-38A) and its keystream comes
from the cryptography library in bulk, which keeps a paper's draws cheap. Python's ``random`` is
deliberately not used: its algorithms are not a published contract.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from typing import TypeVar

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

T = TypeVar("T")
_TWO_64 = 1 << 64
_CHUNK = 512  # integers generated at a time (4 KiB of keystream)
_UNPACK = struct.Struct(f">{_CHUNK}Q")
_ZEROS = bytes(8 * _CHUNK)


class Stream:
    __slots__ = ("_encryptor", "_next", "_values")

    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise ValueError("a seed is 32 bytes")
        self._encryptor = Cipher(algorithms.AES(seed), modes.CTR(bytes(16))).encryptor()
        self._values: tuple[int, ...] = ()
        self._next = 0

    def next_u64(self) -> int:
        if self._next == len(self._values):
            self._values = _UNPACK.unpack(self._encryptor.update(_ZEROS))
            self._next = 0
        value = self._values[self._next]
        self._next += 1
        return value

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
        values, at = self._values, self._next
        for i in range(len(items) - 1, 0, -1):
            span = i + 1
            limit = _TWO_64 - _TWO_64 % span
            while True:  # uniform(i + 1), inlined: this is most of a paper's draws
                if at == len(values):
                    values, at = _UNPACK.unpack(self._encryptor.update(_ZEROS)), 0
                x = values[at]
                at += 1
                if x < limit:
                    break
            j = x % span
            items[i], items[j] = items[j], items[i]
        self._values, self._next = values, at

    def shuffle_prefix(self, order: list[int], done: int, upto: int) -> None:
        """Extends a lazy forward Fisher–Yates shuffle of ``order`` from position ``done`` to ``upto``:
        position t swaps with t + uniform(len − t). (The hot loop of assembly, so ``uniform`` is inlined.)"""
        n = len(order)
        values, at = self._values, self._next
        for t in range(done, upto):
            span = n - t
            limit = _TWO_64 - _TWO_64 % span
            while True:
                if at == len(values):
                    values, at = _UNPACK.unpack(self._encryptor.update(_ZEROS)), 0
                x = values[at]
                at += 1
                if x < limit:
                    break
            j = t + x % span
            order[t], order[j] = order[j], order[t]
        self._values, self._next = values, at


def candidate_seed(sitting_seed: bytes, admission_number: str) -> bytes:
    """seed_candidate = HMAC-SHA256(sitting seed, admission number in UTF-8)."""
    return hmac.new(sitting_seed, admission_number.encode("utf-8"), hashlib.sha256).digest()
