"""The log's signing key: generated at first run into the data folder (mode 0600) or supplied by file."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from examsvc.config import Settings
from examsvc.crypto.envelope import KeyFileModeError, require_private_file
from examsvc.crypto.signed_note import Ed25519Signer, Signer

KEY_FILE_NAME = "log-ed25519.pem"


class KeyFileError(RuntimeError):
    pass


def key_path(settings: Settings) -> Path:
    return settings.log_signing_key_file or settings.keys_dir / KEY_FILE_NAME


def generate_key_file(path: Path) -> None:
    """A new Ed25519 private key (PKCS#8 PEM) at ``path``, mode 0600; an existing file is kept."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two processes starting together never overwrite each other's fresh key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def load_signer(settings: Settings, *, create: bool = True) -> Signer:
    path = key_path(settings)
    if not path.exists():
        if settings.log_signing_key_file is not None or not create:
            raise KeyFileError(f"the log signing key {path} does not exist")
        generate_key_file(path)
    return Ed25519Signer(settings.log_origin, read_key_file(path, "日志签名密钥文件"))


def read_key_file(path: Path, what: str) -> Ed25519PrivateKey:
    """The Ed25519 private key in ``path``, which only its owner may read."""
    try:
        require_private_file(path, what)
    except KeyFileModeError as exc:
        raise KeyFileError(str(exc)) from None
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} is not an Ed25519 private key")
    return key
