"""The province's certificate key: its own Ed25519 key, generated at first run into the data folder (mode
0600) or supplied by file, behind the same ``Signer`` interface as the log's key (the private key never
leaves this object). Every key ever used stays in the public key set (keys/certificate-keys.json), so a
rotation keeps the certificates signed before it verifiable."""

from __future__ import annotations

import base64
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from examsvc.audit.keys import KeyFileError, generate_key_file, read_key_file
from examsvc.certificates.signed_form import PREFIX, key_id
from examsvc.config import Settings
from examsvc.crypto.signed_note import Ed25519Signer

KEY_FILE_NAME = "certificate-ed25519.pem"
KEY_SET_FILE_NAME = "certificate-keys.json"


def key_path(settings: Settings) -> Path:
    return settings.certificate_key_file or settings.keys_dir / KEY_FILE_NAME


def key_set_path(settings: Settings) -> Path:
    return settings.keys_dir / KEY_SET_FILE_NAME


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class PublicKeyEntry:
    kid: bytes
    public_key: bytes
    status: str  # "active" or "retired"
    since: str
    retired_at: str | None = None

    def as_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"kid": self.kid.hex(), "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA",
                                 "x": _b64url(self.public_key), "status": self.status, "since": self.since}
        if self.retired_at is not None:
            entry["retired_at"] = self.retired_at
        return entry


class KeySetError(ValueError):
    pass


def parse_key_set(document: Any, *, source: str) -> tuple[str, list[PublicKeyEntry]]:
    """(issuer, keys) of a published key set; a ``KeySetError`` naming the field that is wrong."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise KeySetError(f"{source}: not a certificate key set (no \"keys\" list)")
    issuer = document.get("issuer")
    if not isinstance(issuer, str):
        raise KeySetError(f"{source}: \"issuer\" is missing")
    entries = []
    for n, item in enumerate(document["keys"]):
        try:
            x = item["x"]
            raw = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
            if item.get("crv") != "Ed25519" or len(raw) != 32:
                raise ValueError("not an Ed25519 key")
            kid = bytes.fromhex(item["kid"])
            if kid != key_id(raw):
                raise ValueError("kid is not the first 8 bytes of SHA-256 of x")
            entries.append(PublicKeyEntry(kid=kid, public_key=raw, status=str(item.get("status", "retired")),
                                          since=str(item.get("since", "")), retired_at=item.get("retired_at")))
        except (KeyError, TypeError, ValueError) as exc:
            raise KeySetError(f"{source}: keys[{n}]: {exc}") from None
    return issuer, entries


def verifiers(entries: list[PublicKeyEntry]) -> dict[bytes, Ed25519PublicKey]:
    return {e.kid: Ed25519PublicKey.from_public_bytes(e.public_key) for e in entries}


class CertificateKeyring:
    """The active signing key and every public key the province has published."""

    def __init__(self, issuer: str, signer: Ed25519Signer, entries: list[PublicKeyEntry]) -> None:
        self.issuer = issuer
        self._signer = signer
        self.entries = entries
        self.verifiers = verifiers(entries)

    @property
    def public_key(self) -> bytes:
        return self._signer.public_key

    @property
    def key_id(self) -> bytes:
        return key_id(self._signer.public_key)

    def sign(self, message: bytes) -> bytes:
        return self._signer.sign(message)

    def key_set(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "format": PREFIX.rstrip(":"), "keys": [e.as_json() for e in self.entries]}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_key_set(path: Path, issuer: str, entries: list[PublicKeyEntry]) -> None:
    document = {"issuer": issuer, "format": PREFIX.rstrip(":"), "keys": [e.as_json() for e in entries]}
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".certificate-keys-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=2)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def _read_entries(path: Path) -> list[PublicKeyEntry]:
    if not path.exists():
        return []
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KeyFileError(f"{path}: {exc}") from None
    try:
        return parse_key_set(document, source=str(path))[1]
    except KeySetError as exc:
        raise KeyFileError(str(exc)) from None


def load_keyring(settings: Settings, *, create: bool = True) -> CertificateKeyring:
    path = key_path(settings)
    if not path.exists():
        if settings.certificate_key_file is not None or not create:
            raise KeyFileError(f"the certificate key {path} does not exist")
        generate_key_file(path)
    private = read_key_file(path, "证书签名密钥文件")
    signer = Ed25519Signer(settings.certificate_issuer, private)
    set_path = key_set_path(settings)
    entries = _read_entries(set_path)
    kid = key_id(signer.public_key)
    if not any(e.kid == kid for e in entries):
        # A key in use is published before its first signature, and one active key at a time.
        entries = [PublicKeyEntry(e.kid, e.public_key, "retired", e.since, e.retired_at or _now())
                   if e.status == "active" else e for e in entries]
        entries.append(PublicKeyEntry(kid=kid, public_key=signer.public_key, status="active", since=_now()))
        set_path.parent.mkdir(parents=True, exist_ok=True)
        _write_key_set(set_path, settings.certificate_issuer, entries)
    return CertificateKeyring(settings.certificate_issuer, signer, entries)


def rotate(settings: Settings) -> CertificateKeyring:
    """A new active key; the old one is retired (its public key stays published, its private key is
    destroyed). Only for the generated key file: a supplied key file is rotated by supplying another."""
    if settings.certificate_key_file is not None:
        raise KeyFileError("EXAMSVC_CERTIFICATE_KEY_FILE is set: rotate by pointing it at a new key file")
    load_keyring(settings)  # the current key is in the set before it is replaced
    path = key_path(settings)
    fresh = path.with_name(path.name + ".new")
    fresh.unlink(missing_ok=True)
    generate_key_file(fresh)
    os.replace(fresh, path)
    return load_keyring(settings)
