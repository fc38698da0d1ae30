"""Verification of inclusion and consistency proofs: RFC 9162 §2.1.3.2 and §2.1.4.2, step by step.

Each ``verify_*`` raises ``ProofError`` on failure rather than returning a bool a caller could ignore.
"""

from __future__ import annotations

import hmac

from examsvc.tlog.rfc6962 import node_hash


class ProofError(ValueError):
    pass


def _compare(computed: bytes, expected: bytes, what: str) -> None:
    if not hmac.compare_digest(computed, expected):
        raise ProofError(f"{what}: the computed root does not match")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes:
    # RFC 9162 §2.1.3.2
    if not 0 <= index < size:  # step 1
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    fn, sn = index, size - 1  # step 2
    r = leaf  # step 3
    for p in proof:  # step 4
        if sn == 0:  # 4.1
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:  # 4.2
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:  # step 5
        raise ProofError("inclusion proof is too short")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes) -> None:
    _compare(root_from_inclusion_proof(index, size, leaf, proof), root, "inclusion proof")


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]) -> None:
    # RFC 9162 §2.1.4.2
    if not 0 < first <= second:
        raise ProofError(f"consistency needs 0 < first <= second (first {first}, second {second})")
    if first == second:
        if proof:
            raise ProofError("consistency proof between equal sizes must be empty")
        _compare(first_root, second_root, "consistency proof")
        return
    path = list(proof)
    if first & (first - 1) == 0:  # step 1: first is a power of two
        path.insert(0, first_root)
    if not path:
        raise ProofError("consistency proof is empty")
    fn, sn = first - 1, second - 1  # step 2
    while fn & 1:  # step 3
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]  # step 4
    for c in path[1:]:  # step 5
        if sn == 0:  # 5.1
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:  # 5.2
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:  # 5.3
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:  # step 6
        raise ProofError("consistency proof is too short")
    _compare(fr, first_root, "consistency proof (old root)")
    _compare(sr, second_root, "consistency proof (new root)")
