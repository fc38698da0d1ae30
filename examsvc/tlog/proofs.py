"""Inclusion and consistency proofs (RFC 6962 §2.1.1 PATH and §2.1.2 PROOF/SUBPROOF), built from stored
hashes of perfect subtrees, so that a proof reads O(log² n) stored hashes and never rehashes the log.

A perfect subtree is named by (level, index): it covers leaves [index·2^level, (index+1)·2^level).
``nodes_for_*`` list the stored subtrees a proof needs, so a caller can fetch them in one query;
``*_proof`` then assemble the proof from a mapping of those subtrees to their hashes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from examsvc.tlog.rfc6962 import EMPTY_ROOT, node_hash, split_point

Node = tuple[int, int]  # (level, index)


def _perfect_parts(start: int, end: int) -> Iterator[Node]:
    """The perfect subtrees whose hashes compose MTH(D[start:end]) along RFC 6962's own splits.

    Requires start < end, and [start, end) to be a range RFC 6962's recursion produces (its left
    parts are perfect and aligned)."""
    while True:
        n = end - start
        if n & (n - 1) == 0:  # a power of two: one stored subtree
            level = n.bit_length() - 1
            yield (level, start >> level)
            return
        k = split_point(n)
        level = k.bit_length() - 1
        yield (level, start >> level)
        start += k


def subtree_hash(start: int, end: int, stored: Mapping[Node, bytes]) -> bytes:
    """MTH(D[start:end]) from stored perfect subtrees."""
    parts = [stored[node] for node in _perfect_parts(start, end)]
    result = parts[-1]
    for left in reversed(parts[:-1]):
        result = node_hash(left, result)
    return result


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The sibling ranges of RFC 6962 PATH(m, D[n]), leaf first."""
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def _consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """The ranges of RFC 6962 PROOF(m, D[n]) = SUBPROOF(m, D[n], true), in proof order."""
    ranges: list[tuple[int, int]] = []
    start, end, m, whole = 0, second, first, True
    while True:
        n = end - start
        if m == n:
            if not whole:
                ranges.append((start, end))
            break
        k = split_point(n)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            whole = False
    ranges.reverse()
    return ranges


def _check_inclusion_args(index: int, size: int) -> None:
    if not 0 <= index < size:
        raise ValueError(f"inclusion proof needs 0 <= index < tree size (index {index}, size {size})")


def _check_consistency_args(first: int, second: int) -> None:
    if not 0 < first <= second:
        raise ValueError(f"consistency proof needs 0 < first <= second (first {first}, second {second})")


def nodes_for_inclusion(index: int, size: int) -> set[Node]:
    _check_inclusion_args(index, size)
    return {node for start, end in _inclusion_ranges(index, size) for node in _perfect_parts(start, end)}


def inclusion_proof(index: int, size: int, stored: Mapping[Node, bytes]) -> list[bytes]:
    _check_inclusion_args(index, size)
    return [subtree_hash(start, end, stored) for start, end in _inclusion_ranges(index, size)]


def nodes_for_consistency(first: int, second: int) -> set[Node]:
    _check_consistency_args(first, second)
    return {node for start, end in _consistency_ranges(first, second) for node in _perfect_parts(start, end)}


def consistency_proof(first: int, second: int, stored: Mapping[Node, bytes]) -> list[bytes]:
    _check_consistency_args(first, second)
    return [subtree_hash(start, end, stored) for start, end in _consistency_ranges(first, second)]


def root_from_nodes(size: int, stored: Mapping[Node, bytes]) -> bytes:
    return subtree_hash(0, size, stored) if size else EMPTY_ROOT

