"""AES-256-GCM envelopes: data sealed under a data key, data keys wrapped by a key-encryption key.

Sealed bytes are ``version (1 byte) ‖ nonce (12) ‖ ciphertext+tag``; the associated data binds what
the bytes belong to (e.g. sitting, candidate, paper digest), so a sealed paper moved to another row
does not open. The key-encryption key sits behind ``KeyProvider`` so a KMS or HSM can replace the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ENVELOPE_V1 = b"\x01"
NONCE_SIZE = 12
KEY_SIZE = 32


class EnvelopeError(ValueError):
    pass


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def seal(key: bytes, plaintext: bytes, associated_data: bytes) -> bytes:
    nonce = os.urandom(NONCE_SIZE)
    return ENVELOPE_V1 + nonce + AESGCM(key).encrypt(nonce, plaintext, associated_data)


def open_sealed(key: bytes, sealed: bytes, associated_data: bytes) -> bytes:
    if sealed[:1] != ENVELOPE_V1 or len(sealed) < 1 + NONCE_SIZE + 16:
        raise EnvelopeError("not a sealed envelope")
    try:
        return AESGCM(key).decrypt(sealed[1:1 + NONCE_SIZE], sealed[1 + NONCE_SIZE:], associated_data)
    except InvalidTag:
        raise EnvelopeError("the envelope does not open: wrong key, altered bytes or wrong binding") from None


def require_private_file(path: Path, what: str) -> None:
    """Refuses a key file that the group or others may read (mode & 0o077, issue 14 item 12): a key the
    whole machine can copy protects nothing. The message names the file and the fix."""
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise KeyFileModeError(f"{what} {path} 的权限为 {mode:o}，同组或其他用户可读，拒绝启动："
                               f"请执行 chmod 600 {path}")


class KeyFileModeError(EnvelopeError):
    pass


class KeyProvider(Protocol):
    """Wraps and unwraps data keys. ``key_id`` names the key-encryption key used."""

    @property
    def key_id(self) -> str: ...

    def wrap(self, data_key: bytes, associated_data: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes, associated_data: bytes) -> bytes: ...


class FileKeyProvider:
    """A 256-bit key-encryption key in a file of the data folder (mode 0600, refused otherwise), made at
    first use."""

    def __init__(self, path: Path) -> None:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(new_key())
        require_private_file(path, "试卷密钥加密密钥文件")
        self._key = path.read_bytes()
        if len(self._key) != KEY_SIZE:
            raise EnvelopeError(f"{path} does not hold a 256-bit key")
        self.key_id = f"file:{path.name}"

    def wrap(self, data_key: bytes, associated_data: bytes) -> bytes:
        return seal(self._key, data_key, associated_data)

    def unwrap(self, wrapped: bytes, associated_data: bytes) -> bytes:
        return open_sealed(self._key, wrapped, associated_data)

    def __repr__(self) -> str:
        return f"FileKeyProvider(key_id={self.key_id!r}, key hidden)"
