"""How a paper set's data key is held: sealed to the sitting's chief examiner until the opening.

At generation the data key is sealed to the chief examiner's X25519 public key (``crypto.recipient``)
and the result is wrapped by the key-encryption key on top, so opening it needs both: the chief's
passphrase (which alone unlocks their private key) and the service's key-encryption key. Nothing the
server holds before the opening opens a paper. The opening (``release``) unseals the data key with the
chief's unlocked key and only then stores it wrapped by the key-encryption key alone, which is what
exam starts use for the rest of the sitting (docs/security.md).
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from examsvc.crypto.envelope import KeyProvider
from examsvc.crypto.recipient import open_from, seal_to
from examsvc.errors import Conflict
from examsvc.papers.models import PaperSet

_FOR_CHIEF = b"sealed-to-chief\n"


def set_binding(paper_set: PaperSet) -> bytes:
    return f"paper-set\n{paper_set.id}\n{paper_set.sitting_code}\n".encode()


def paper_binding(sitting: str, candidate: str, digest: str) -> bytes:
    return f"paper\n{sitting}\n{candidate}\n{digest}\n".encode()


def hold_for_chief(paper_set: PaperSet, data_key: bytes, chief_public: bytes, keys: KeyProvider) -> bytes:
    binding = set_binding(paper_set) + _FOR_CHIEF
    return keys.wrap(seal_to(chief_public, data_key, binding), binding)


def unseal_for_opening(paper_set: PaperSet, chief_private: X25519PrivateKey, keys: KeyProvider) -> bytes:
    """The data key, from the chief's unlocked key and the key-encryption key (``EnvelopeError`` otherwise)."""
    assert paper_set.chief_sealed_data_key is not None
    binding = set_binding(paper_set) + _FOR_CHIEF
    return open_from(chief_private, keys.unwrap(bytes(paper_set.chief_sealed_data_key), binding), binding)


def released(paper_set: PaperSet) -> bool:
    return bool(paper_set.wrapped_data_key)


def data_key(paper_set: PaperSet, keys: KeyProvider) -> bytes:
    """The released data key (after the sitting's opening); refused before."""
    if not released(paper_set):
        raise Conflict("试卷密钥尚未释放：场次开考时由主考官凭口令释放。", code="paper_key_not_released",
                       detail={"paper_set_id": paper_set.id})
    return keys.unwrap(bytes(paper_set.wrapped_data_key), set_binding(paper_set))
