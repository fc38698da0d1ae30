"""Known-answer tests: the RFC 6962 vectors used by transparency-dev/merkle and
certificate-transparency-go (8 leaves), and the C2SP signed-note example (golang.org/x/mod/sumdb/note)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from examsvc.crypto.signed_note import Ed25519Signer, NoteError, open_note, parse_vkey, sign_note, verifier_of
from examsvc.tlog.checkpoint import Checkpoint, CheckpointError, parse_checkpoint
from examsvc.tlog.proofs import (
    consistency_proof,
    inclusion_proof,
    nodes_for_consistency,
    nodes_for_inclusion,
    root_from_nodes,
)
from examsvc.tlog.rfc6962 import EMPTY_ROOT, CompactRange, leaf_hash, node_hash, root_of
from examsvc.tlog.verify import ProofError, verify_consistency, verify_inclusion

LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f")]
ROOTS = [bytes.fromhex(h) for h in (
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]
INCLUSION = [  # (index, size, path)
    (0, 1, []),
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
CONSISTENCY = [  # (first, second, proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]


def _stored(leaf_hashes: list[bytes]) -> dict[tuple[int, int], bytes]:
    tree = CompactRange()
    stored: dict[tuple[int, int], bytes] = {}
    for leaf in leaf_hashes:
        stored.update(tree.append(leaf))
    return stored


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1's definition, literally (the reference for the fast code)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


STORED = _stored([leaf_hash(x) for x in LEAVES])


def test_empty_tree_is_the_hash_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root_of([]) == EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_reference_vectors(size: int) -> None:
    assert root_of([leaf_hash(x) for x in LEAVES[:size]]) == ROOTS[size - 1]
    assert root_from_nodes(size, STORED) == ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proofs_match_the_reference_vectors(index: int, size: int, path: list[str]) -> None:
    proof = inclusion_proof(index, size, STORED)
    assert [h.hex() for h in proof] == path
    verify_inclusion(index, size, leaf_hash(LEAVES[index]), proof, ROOTS[size - 1])


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_consistency_proofs_match_the_reference_vectors(first: int, second: int, path: list[str]) -> None:
    proof = consistency_proof(first, second, STORED)
    assert [h.hex() for h in proof] == path
    verify_consistency(first, second, ROOTS[first - 1], ROOTS[second - 1], proof)


def test_every_proof_up_to_40_leaves_agrees_with_the_definition() -> None:
    data = [bytes([i]) * (i % 5) for i in range(40)]
    stored = _stored([leaf_hash(x) for x in data])
    for size in range(1, 41):
        root = _mth(data[:size])
        assert root_from_nodes(size, stored) == root
        for index in range(size):
            assert nodes_for_inclusion(index, size) <= set(stored)
            verify_inclusion(index, size, leaf_hash(data[index]), inclusion_proof(index, size, stored), root)
        for first in range(1, size + 1):
            assert nodes_for_consistency(first, size) <= set(stored)
            verify_consistency(first, size, _mth(data[:first]), root, consistency_proof(first, size, stored))


def test_wrong_proofs_are_refused() -> None:
    proof = inclusion_proof(5, 8, STORED)
    with pytest.raises(ProofError):
        verify_inclusion(4, 8, leaf_hash(LEAVES[5]), proof, ROOTS[7])
    with pytest.raises(ProofError):
        verify_inclusion(5, 8, leaf_hash(LEAVES[5]), proof[:-1], ROOTS[7])
    with pytest.raises(ProofError):
        verify_inclusion(5, 8, leaf_hash(LEAVES[5]), [*proof, proof[0]], ROOTS[7])
    consistency = consistency_proof(6, 8, STORED)
    with pytest.raises(ProofError):
        verify_consistency(6, 8, ROOTS[4], ROOTS[7], consistency)
    with pytest.raises(ProofError):
        verify_consistency(6, 8, ROOTS[5], ROOTS[7], consistency[::-1])


# The C2SP signed-note example (golang.org/x/mod/sumdb/note): Ed25519 is deterministic, so our
# signature must equal the published one byte for byte.
SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
NOTE = TEXT + ("\n— PeterNeumann "
               "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")


def _peter() -> Ed25519Signer:
    seed = base64.b64decode(SKEY.split("+", 4)[4])[1:]
    return Ed25519Signer("PeterNeumann", Ed25519PrivateKey.from_private_bytes(seed))


def test_signed_note_example_signature() -> None:
    assert sign_note(TEXT, _peter()) == NOTE
    assert verifier_of(_peter()).vkey() == VKEY
    assert open_note(NOTE, parse_vkey(VKEY)) == TEXT


def test_a_changed_note_or_another_key_is_refused() -> None:
    with pytest.raises(NoteError):
        open_note(NOTE.replace("cryptography", "cryptographY"), parse_vkey(VKEY))
    other = Ed25519Signer("PeterNeumann", Ed25519PrivateKey.generate())
    with pytest.raises(NoteError):
        open_note(sign_note(TEXT, other), parse_vkey(VKEY))
    with pytest.raises(NoteError):
        parse_vkey(VKEY.replace("c74f20a3", "c74f20a4"))


def test_checkpoint_bodies_round_trip_and_reject_garbage() -> None:
    checkpoint = Checkpoint(origin="exam.example.cn/log", size=8, root=ROOTS[7])
    assert checkpoint.body() == f"exam.example.cn/log\n8\n{base64.b64encode(ROOTS[7]).decode()}\n"
    assert parse_checkpoint(checkpoint.body()) == checkpoint
    for bad in ("exam\n08\nAAAA\n", "exam\nx\n" + base64.b64encode(ROOTS[0]).decode() + "\n", "exam\n8\n"):
        with pytest.raises(CheckpointError):
            parse_checkpoint(bad)
