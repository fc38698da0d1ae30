"""Sealing to one person's X25519 public key, so that only their private key opens it.

Used to seal a paper set's data key to the sitting's chief examiner (issue 14 item 13): the service
holds the public key only, so it can seal but never open. The construction is the usual ECIES shape
(as in HPKE base mode, RFC 9180, with fixed algorithms):

    ephemeral  = fresh X25519 key pair
    shared     = X25519(ephemeral private, recipient public)
    key        = HKDF-SHA256(shared, salt = ephemeral public ‖ recipient public, info = INFO)
    sealed     = 0x01 ‖ ephemeral public (32) ‖ AES-256-GCM envelope under key (crypto.envelope)

The associated data binds what the sealed bytes belong to, as for every envelope.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from examsvc.crypto.envelope import EnvelopeError, open_sealed, seal

RECIPIENT_V1 = b"\x01"
PUBLIC_SIZE = 32
INFO = b"examsvc sealed to an examiner v1"


def hkdf_sha256(secret: bytes, info: bytes, salt: bytes | None = None) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(secret)


def public_bytes(private: X25519PrivateKey) -> bytes:
    return private.public_key().public_bytes_raw()


def seal_to(recipient_public: bytes, plaintext: bytes, associated_data: bytes) -> bytes:
    if len(recipient_public) != PUBLIC_SIZE:
        raise EnvelopeError("not an X25519 public key")
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = public_bytes(ephemeral)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_public))
    key = hkdf_sha256(shared, INFO, salt=ephemeral_public + recipient_public)
    return RECIPIENT_V1 + ephemeral_public + seal(key, plaintext, associated_data)


def open_from(private: X25519PrivateKey, sealed: bytes, associated_data: bytes) -> bytes:
    if sealed[:1] != RECIPIENT_V1 or len(sealed) < 1 + PUBLIC_SIZE:
        raise EnvelopeError("not sealed to a recipient")
    ephemeral_public = sealed[1:1 + PUBLIC_SIZE]
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
    except ValueError:  # an all-zero shared secret: a forged ephemeral key
        raise EnvelopeError("the envelope does not open: bad ephemeral key") from None
    key = hkdf_sha256(shared, INFO, salt=ephemeral_public + public_bytes(private))
    return open_sealed(key, sealed[1 + PUBLIC_SIZE:], associated_data)
