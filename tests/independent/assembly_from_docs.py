"""Paper assembly written from docs/assembly.md alone, as an outsider would: no examsvc code.

RFC 8785 from the ``jcs`` package, the keystream from ``cryptography``'s AES in counter mode, HMAC and
SHA-256 from the standard library. Slow and literal: every pick recomputes the counts and the eligible
list the way the page words them. tests/independent/test_vectors_outsider.py reproduces the documented
vectors with it; tests/papers/test_assembly_reference.py checks examsvc's fast assembly against it for
many seeds and rules. A difference is a bug in one of them or an ambiguity in the page.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Callable, Iterator
from typing import Any

import jcs
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# docs/assembly.md §2: the stream, uniform, shuffle and the order of rank r.
class Stream:
    def __init__(self, seed: bytes) -> None:
        self._keystream = Cipher(algorithms.AES(seed), modes.CTR(bytes(16))).encryptor()
        self._values = self._generate()

    def _generate(self) -> Iterator[int]:
        while True:
            yield from struct.unpack(">2Q", self._keystream.update(bytes(16)))

    def next(self) -> int:
        return next(self._values)

    def uniform(self, n: int) -> int:
        while True:
            x = self.next()
            if x < 2**64 - 2**64 % n:
                return x % n


def order_of_rank(labels: str, r: int) -> str:
    left, out = list(labels), ""
    for m in range(len(labels), 0, -1):
        d, r = divmod(r, math.factorial(m - 1))
        out += left.pop(d)
    return out


# docs/assembly.md §6: the pool, by formula.
LEVELS = ("了解", "掌握", "熟练掌握")
POOL = [{"key": f"Q-{n:02d}", "revision": 1, "part": "provincial" if n % 4 == 0 else "national",
         "type": "true_false" if n < 16 else "single_choice", "knowledge_point": f"1.{n % 2 + 1}",
         "level": LEVELS[n % 3], "difficulty": n % 3 + 1, "options": "" if n < 16 else "ABCD"} for n in range(24)]

Question = dict[str, Any]
Quota = tuple[Callable[[Question], bool], int, int]


def _ceil(a: int, count: int) -> int:
    return (a * count + 99) // 100


def quotas(rule: dict[str, Any], count: int) -> list[Quota]:
    """§3, in its order: levels, difficulties, knowledge points, the provincial part."""
    out: list[Quota] = []
    for kind, tolerance, names in (("level", rule["level_tolerance"], LEVELS),
                                   ("difficulty", rule["difficulty_tolerance"], ("1", "2", "3"))):
        shares = rule[f"{kind}_shares"]
        for name in names:
            if name in shares:
                share = shares[name]
                out.append(((lambda q, k=kind, v=name: str(q[k]) == v), _ceil(max(0, share - tolerance), count),
                            min(100, share + tolerance) * count // 100))
    for quota in rule["knowledge_point_quotas"]:
        prefix = quota["prefix"]
        out.append(((lambda q, p=prefix: q["knowledge_point"] == p or q["knowledge_point"].startswith(p + ".")),
                    quota["minimum"], count if quota["maximum"] is None else quota["maximum"]))
    if rule["provincial_min_share"] > 0:
        out.append(((lambda q: q["part"] == "provincial"), _ceil(rule["provincial_min_share"], count), count))
    return out


def one_round(candidates: list[Question], quotas: list[Quota], count: int, stream: Stream) -> list[Question] | None:
    """§4 step 2–3."""
    taken: list[Question] = []

    def take(inside: Callable[[Question], bool]) -> bool:
        eligible = [q for q in candidates if inside(q)
                    and all(sum(1 for t in taken if member(t)) < high for member, _, high in quotas if member(q))]
        if all(q in taken for q in eligible):
            return False
        while True:
            q = eligible[stream.uniform(len(eligible))]
            if q not in taken:
                taken.append(q)
                return True

    for member, low, _ in quotas:
        if low <= 0:
            continue
        need = low - sum(1 for t in taken if member(t))
        if need > count - len(taken):
            return None
        for _ in range(max(0, need)):
            if not take(member):
                return None
    while len(taken) < count:
        if not take(lambda q: True):
            return None
    return taken


def draw(candidates: list[Question], quotas: list[Quota], count: int, stream: Stream) -> list[Question] | None:
    for _ in range(32):
        taken = one_round(candidates, quotas, count, stream)
        if taken is not None:
            return taken
    return None


class DrawFailed(Exception):
    """§4: 32 rounds failed."""


def paper(rule: dict[str, Any], seed: bytes, seen: set[str], pool: list[Question] = POOL) -> list[dict[str, Any]]:
    """§4–§5: the paper's items, in paper order, for a rule in its canonical form (docs/rules.md)."""
    stream = Stream(seed)
    by_key = sorted(pool, key=lambda q: q["key"].encode())
    items = []
    for section in rule["sections"]:
        count = section["count"]
        candidates = [q for q in by_key if q["type"] == section["type"]]
        rules = quotas(rule, count)
        taken = None
        unseen = [q for q in candidates if q["key"] not in seen]
        if rule["avoid_seen_questions"] and seen and len(unseen) >= count:
            taken = draw(unseen, rules, count, stream)
        if taken is None:
            taken = draw(candidates, rules, count, stream)
        if taken is None:
            raise DrawFailed(section["type"])
        if rule["shuffle_questions"]:
            for i in range(len(taken) - 1, 0, -1):
                j = stream.uniform(i + 1)
                taken[i], taken[j] = taken[j], taken[i]
        else:
            taken.sort(key=lambda q: q["key"].encode())
        for q in taken:
            options = q["options"]
            if rule["shuffle_options"] and len(options) >= 2:
                options = order_of_rank(options, stream.uniform(math.factorial(len(options))))
            items.append({"key": q["key"], "options": options, "part": q["part"], "points": section["points"],
                          "revision": q["revision"], "type": q["type"]})
    return items


def seen_digest(keys: set[str]) -> str:
    """§5/§7: SHA-256 of the RFC 8785 array of the keys, sorted by their UTF-8 bytes."""
    return _sha256(jcs.canonicalize(sorted(keys, key=str.encode)))


def paper_digest(*, rule_digest: str, sitting: str, candidate: str, items: list[dict[str, Any]],
                 seen: set[str]) -> str:
    """§5, with the banks of the vectors (§6: {"national": "0"×64})."""
    document = {"banks": {"national": "0" * 64}, "blueprint": rule_digest, "candidate": candidate,
                "format": "examsvc-paper/2", "items": items, "seen": seen_digest(seen), "sitting": sitting,
                "total_points": 1000}
    return _sha256(jcs.canonicalize(document))
