"""The spot-exam draw: a known-answer vector checked by a re-implementation of the module docstring's
spec that uses only hashlib, hmac and AES-CTR (none of examsvc's helpers), determinism, uniformity."""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from examsvc.errors import InvalidInput
from examsvc.spot.draw import draw, paper_seed, person_digest, roster_digest

# The vector: twelve people (GB 11643 numbers, 14010519850101101 … with their check characters), the
# fourth, eighth and twelfth added by hand; seed 00 01 … 1f.
IDS = ("140105198501011010", "140105198501021032", "140105198501031054", "140105198501041076",
       "140105198501051098", "140105198501061114", "140105198501071136", "140105198501081158",
       "14010519850109117X", "140105198501101198", "140105198501111214", "140105198501121236")
MANUAL = tuple(k % 4 == 3 for k in range(12))
SALT = b"spot-exam-salt-for-the-vector"
SEED = bytes(range(32))
ROSTER = "6ae2144f2f2f63613bcf4e23745ac0b5d773731a353ba3886b893819d42b341b"
DRAW_3 = [1, 10, 7]
DRAW_ALL = [1, 10, 7, 6, 11, 4, 0, 3, 9, 8, 2, 5]
FIRST_PAPER_SEED = "a468ae5e44b6a56ae6bca7e2ec05f73c2397b7c5111fb2536f1afbb52203a054"


# ---- the spec again, written from the docstring -------------------------------------------------------

def _reference_roster(salt: bytes, ids: tuple[str, ...], manual: tuple[bool, ...]) -> tuple[list[str], str]:
    digests = [hashlib.sha256(salt + i.encode()).hexdigest() for i in ids]
    people = ",".join(f'["{d}",{"true" if m else "false"}]' for d, m in sorted(zip(digests, manual, strict=True)))
    canonical = '{"people":[' + people + '],"version":"examsvc-spot-roster/1"}'
    return sorted(digests), hashlib.sha256(canonical.encode()).hexdigest()


def _reference_draw(seed: bytes, roster: str, size: int, count: int) -> list[int]:
    key = hmac.new(seed, b"examsvc-spot-draw/1\n" + roster.encode(), hashlib.sha256).digest()
    encryptor = Cipher(algorithms.AES(key), modes.CTR(b"\x00" * 16)).encryptor()

    def uniform(n: int) -> int:
        while True:
            x = int.from_bytes(encryptor.update(b"\x00" * 8), "big")
            if x < 2**64 - 2**64 % n:
                return x % n

    a = list(range(size))
    for i in range(count):
        j = i + uniform(size - i)
        a[i], a[j] = a[j], a[i]
    return a[:count]


def test_the_known_answer_vector() -> None:
    digests = [person_digest(SALT, i) for i in IDS]
    assert roster_digest(digests, MANUAL) == ROSTER
    assert draw(SEED, ROSTER, 12, 3) == DRAW_3
    assert draw(SEED, ROSTER, 12, 12) == DRAW_ALL
    assert paper_seed(SEED, sorted(digests)[0]).hex() == FIRST_PAPER_SEED


def test_the_vector_agrees_with_the_reimplementation() -> None:
    digests, roster = _reference_roster(SALT, IDS, MANUAL)
    assert roster == ROSTER
    assert _reference_draw(SEED, roster, 12, 3) == DRAW_3
    assert _reference_draw(SEED, roster, 12, 12) == DRAW_ALL
    expected = hmac.new(SEED, b"examsvc-spot-paper/1\n" + digests[0].encode(), hashlib.sha256).hexdigest()
    assert expected == FIRST_PAPER_SEED


@pytest.mark.parametrize(("size", "count"), [(1, 1), (2, 1), (7, 7), (500, 5), (500, 500), (3, 2)])
def test_module_and_reimplementation_agree_on_other_draws(size: int, count: int) -> None:
    for n in range(20):
        seed = hashlib.sha256(f"seed {n}".encode()).digest()
        roster = hashlib.sha256(f"roster {n}".encode()).hexdigest()
        assert draw(seed, roster, size, count) == _reference_draw(seed, roster, size, count)


# ---- behaviour -------------------------------------------------------------------------------------------

def test_the_draw_is_deterministic_distinct_and_a_prefix_of_a_longer_draw() -> None:
    first = draw(SEED, ROSTER, 12, 5)
    assert first == draw(SEED, ROSTER, 12, 5)
    assert len(set(first)) == 5 and all(0 <= i < 12 for i in first)
    assert draw(SEED, ROSTER, 12, 8)[:5] == first


def test_a_change_of_the_roster_changes_the_draw() -> None:
    digests = [person_digest(SALT, i) for i in IDS]
    changed = [
        roster_digest([*digests[:-1], person_digest(SALT, "140105198501131258")], MANUAL),  # someone else
        roster_digest(digests, (True, *MANUAL[1:])),  # the same people, one now "added by hand"
        roster_digest(digests[:-1], MANUAL[:-1]),  # one fewer
        roster_digest([person_digest(b"another salt", i) for i in IDS], MANUAL),
    ]
    assert len({ROSTER, *changed}) == 5
    draws = [draw(SEED, r, 11 if r == changed[2] else 12, 6) for r in changed]
    assert all(d != draw(SEED, ROSTER, 12, 6) for d in draws)


def test_another_seed_gives_another_draw() -> None:
    assert draw(bytes(32), ROSTER, 12, 6) != draw(SEED, ROSTER, 12, 6)


def test_the_roster_digest_ignores_the_order_given() -> None:
    digests = [person_digest(SALT, i) for i in IDS]
    assert roster_digest(digests[::-1], MANUAL[::-1]) == ROSTER


def test_a_person_digest_does_not_depend_on_how_the_number_was_typed() -> None:
    assert person_digest(SALT, " 14010519850109117x ") == person_digest(SALT, "14010519850109117X")
    assert person_digest(SALT, IDS[0]) == hashlib.sha256(SALT + IDS[0].encode()).hexdigest()


def test_every_index_is_drawn_about_equally_often() -> None:
    # 3 of 12 over 4,000 seeds: each index is chosen with probability 1/4, about 1,000 times (σ ≈ 27);
    # the bounds are over 7σ away, so a fair draw never fails, and a skew of 20% always does.
    counts: Counter[int] = Counter()
    firsts: Counter[int] = Counter()
    for n in range(4000):
        chosen = draw(hashlib.sha256(n.to_bytes(4, "big")).digest(), ROSTER, 12, 3)
        counts.update(chosen)
        firsts[chosen[0]] += 1
    assert set(counts) == set(range(12))
    assert all(800 < counts[i] < 1200 for i in range(12)), counts
    assert all(220 < firsts[i] < 450 for i in range(12)), firsts  # the first drawn: 1/12, about 333


@pytest.mark.parametrize(("size", "count"), [(12, 13), (12, 0), (12, -1), (0, 1)])
def test_an_impossible_count_is_refused(size: int, count: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        draw(SEED, ROSTER, size, count)
    assert raised.value.code == "spot_draw_count" and raised.value.detail["field"] == "count"


def test_malformed_seeds_and_digests_are_programming_errors() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        draw(b"short", ROSTER, 12, 3)
    with pytest.raises(ValueError, match="roster digest"):
        draw(SEED, ROSTER.upper(), 12, 3)
    with pytest.raises(ValueError, match="person digest"):
        paper_seed(SEED, "not hex")
    with pytest.raises(ValueError, match="distinct"):
        roster_digest([ROSTER, ROSTER], [False, False])
    with pytest.raises(ValueError, match="18 ASCII"):
        person_digest(SALT, "１" + IDS[0][1:])
    with pytest.raises(ValueError, match="one manual flag"):
        roster_digest([ROSTER], [])
