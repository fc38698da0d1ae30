"""The deterministic random stream that drives paper assembly (docs/assembly.md §2).

    keystream = AES-256-CTR(key = seed, initial counter block = 0^128), i.e. block k is
                AES-256(seed, k as a 16-byte big-endian integer), k = 0, 1, 2, …
    the stream reads the keystream 8 bytes at a time as big-endian unsigned integers.
    uniform(n): draw x; accept if x < 2^64 − (2^64 mod n) and return x mod n, else draw again.
    shuffle(a): Fisher–Yates, for i = len(a)−1 down to 1: j = uniform(i+1); swap a[i], a[j].
    order of rank r of k labels: the r-th (from 0) of their k! orders sorted lexicographically by the
                labels' positions (nth_permutation); assembly draws r = uniform(k!) per question.

AES-CTR is a published, language-independent construction (NIST SP 800-38A) and its keystream comes
from the cryptography library in bulk, which keeps a paper's draws cheap. Python's ``random`` is
deliberately not used: its algorithms are not a published contract.

Speed notes (the hot loops of assembly read ``Stream.values`` directly and inline ``uniform``): the
keystream is turned into integers a chunk at a time by ``array`` (C code), and the acceptance test is
done exactly but cheaply: for n <= 2^32 the limit 2^64 − (2^64 mod n) exceeds ``FAST_ACCEPT`` =
2^64 − 2^32, so any x below ``FAST_ACCEPT`` is accepted without working out the limit (any other x
takes the exact test).
"""

from __future__ import annotations

import hmac
import itertools
import math
import sys
from array import array
from collections.abc import Iterator
from typing import TypeVar

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

T = TypeVar("T")
TWO_64 = 1 << 64
FAST_ACCEPT = TWO_64 - (1 << 32)  # x < FAST_ACCEPT passes uniform(n)'s test for every n <= 2^32
_CHUNK = 256  # integers generated at a time (2 KiB of keystream: about one paper's draws)
_ZEROS = bytes(8 * _CHUNK)
_COUNTER_FROM_ZERO = modes.CTR(bytes(16))  # the initial counter block (immutable, so shared)
_SWAP = sys.byteorder == "little"  # array('Q') reads native order; the stream is big-endian
assert array("Q").itemsize == 8


class Stream:
    """``values`` is the stream itself (an endless iterator of 64-bit integers); the methods draw from it."""

    __slots__ = ("_encryptor", "values")

    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise ValueError("a seed is 32 bytes")
        self._encryptor = Cipher(algorithms.AES(seed), _COUNTER_FROM_ZERO).encryptor()
        self.values: Iterator[int] = itertools.chain.from_iterable(iter(self._chunk, None))

    def _chunk(self) -> array[int]:
        chunk = array("Q", self._encryptor.update(_ZEROS))
        if _SWAP:
            chunk.byteswap()
        return chunk

    def next_u64(self) -> int:
        return next(self.values)

    def uniform(self, n: int) -> int:
        """An integer in [0, n), without modulo bias. Requires 1 <= n < 2^64."""
        if not 1 <= n < TWO_64:
            raise ValueError("uniform needs 1 <= n < 2^64")
        limit = TWO_64 - TWO_64 % n
        for x in self.values:
            if x < limit:
                return x % n
        raise AssertionError("the stream is endless")

    def shuffle(self, items: list[T]) -> None:
        if len(items) > 1 << 32:
            raise ValueError("shuffle takes at most 2^32 items")
        values = self.values
        n = len(items)
        for i, span, x in zip(range(n - 1, 0, -1), range(n, 1, -1), values, strict=False):  # values: endless
            while x >= FAST_ACCEPT and x >= TWO_64 - TWO_64 % span:  # uniform(i + 1), inlined
                x = next(values)
            j = x % span
            items[i], items[j] = items[j], items[i]


def nth_permutation(letters: str, k: int) -> str:
    """The order of rank k (from 0) of ``letters``, ranking orders lexicographically by the letters'
    positions: with m letters left, the next one is the (k div (m−1)!)-th of them, and k becomes
    k mod (m−1)!. ("ABCD": 0 → ABCD, 1 → ABDC, 2 → ACBD, …, 23 → DCBA.)"""
    left, out = list(letters), []
    for m in range(len(left), 0, -1):
        d, k = divmod(k, math.factorial(m - 1))
        out.append(left.pop(d))
    return "".join(out)


def candidate_seed(sitting_seed: bytes, admission_number: str) -> bytes:
    """seed_candidate = HMAC-SHA256(sitting seed, admission number in UTF-8)."""
    return hmac.digest(sitting_seed, admission_number.encode("utf-8"), "sha256")
