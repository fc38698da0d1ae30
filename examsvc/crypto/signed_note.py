"""C2SP signed-note (https://c2sp.org/signed-note) with Ed25519 signatures.

    note      = text || "\\n" || signature lines          (text ends in "\\n")
    signature = "— " || key name || " " || base64(key id (4 bytes) || Ed25519 signature) || "\\n"
    key id    = SHA-256(key name || "\\n" || 0x01 || public key)[:4]
    vkey      = key name || "+" || hex(key id) || "+" || base64(0x01 || public key)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from examsvc.crypto.recipient import hkdf_sha256

ALG_ED25519 = 0x01
_DASH = "— "  # U+2014 EM DASH, then a space


class NoteError(ValueError):
    pass


def key_id(name: str, public_key: bytes) -> bytes:
    return typed_key_id(name, ALG_ED25519, public_key)


def _check_name(name: str) -> None:
    if not name or any(c in name for c in "+ \n") or not name.isprintable():
        raise NoteError("a key name is non-empty and has no '+', spaces or newlines")


class Signer(Protocol):
    """What signs checkpoints. A file key implements it today; a KMS or HSM can tomorrow."""

    @property
    def name(self) -> str: ...

    @property
    def public_key(self) -> bytes: ...

    def sign(self, message: bytes) -> bytes: ...


@dataclass(frozen=True)
class Verifier:
    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    def vkey(self) -> str:
        material = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


def parse_vkey(vkey: str) -> Verifier:
    name, alg, public_key = parse_typed_vkey(vkey)
    if alg != ALG_ED25519 or len(public_key) != 32:
        raise NoteError("not an Ed25519 verifier key")
    return Verifier(name=name, public_key=public_key)


def verifier_of(signer: Signer) -> Verifier:
    return Verifier(name=signer.name, public_key=signer.public_key)


def _signature_line(text: str, signer: Signer) -> str:
    blob = base64.b64encode(key_id(signer.name, signer.public_key) + signer.sign(text.encode("utf-8"))).decode()
    return f"{_DASH}{signer.name} {blob}\n"


def note_text(note: str) -> str:
    """The signed text of a note (everything before the blank line that opens the signatures)."""
    text, sep, _ = note.rpartition("\n\n")
    if not sep:
        raise NoteError("malformed note: no signature block")
    return text + "\n"


def sign_note(text: str, signer: Signer) -> str:
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    return f"{text}\n{_signature_line(text, signer)}"


def add_signature(note: str, signer: Signer) -> str:
    """The note with one more signature line: a co-signature over the same text."""
    return note + _signature_line(note_text(note), signer)


def open_note(note: str, verifier: Verifier) -> str:
    """The note's text if it carries a valid signature by ``verifier``; ``NoteError`` otherwise."""
    text, sep, signatures = note.rpartition("\n\n")
    if not sep or not signatures.endswith("\n"):
        raise NoteError("malformed note: no signature block")
    text += "\n"
    found_key = False
    for line in signatures[:-1].split("\n"):
        if not line.startswith(_DASH):
            raise NoteError("malformed signature line")
        name, _, blob_b64 = line[len(_DASH):].partition(" ")
        try:
            blob = base64.b64decode(blob_b64, validate=True)
        except binascii.Error as exc:
            raise NoteError("malformed signature") from exc
        if name != verifier.name or blob[:4] != verifier.key_id:
            continue
        found_key = True
        if verifier.verify(text.encode("utf-8"), blob[4:]):
            return text
    raise NoteError("signature does not verify" if found_key else f"no signature by the key {verifier.name}")


class Ed25519Signer:
    """An Ed25519 private key held in memory (loaded from the data folder)."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        _check_name(name)
        self._name = name
        self._key = private_key
        self._public = private_key.public_key().public_bytes_raw()

    @property
    def name(self) -> str:
        return self._name

    @property
    def public_key(self) -> bytes:
        return self._public

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def derive_secret(self, info: bytes) -> bytes:
        """32 bytes derived from the private key (HKDF-SHA256, RFC 5869) for one named purpose, so a second
        key (the examiner's X25519 key) needs no secret of its own and the private key never leaves."""
        return hkdf_sha256(self._key.private_bytes_raw(), info)

    def __repr__(self) -> str:
        hex_id = key_id(self._name, self._public).hex()
        return f"Ed25519Signer(name={self._name!r}, key_id={hex_id}, private key hidden)"


# --- Typed verifier keys and signature lines, for cosignatures (C2SP signed-note §Verifier keys, and
# C2SP tlog-cosignature §Format, which encodes an Ed25519 cosigner as a vkey of signature type 0x04).

def typed_key_id(name: str, alg: int, public_key: bytes) -> bytes:
    """signed-note key ID: SHA-256(name || "\\n" || signature type || public key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + public_key).digest()[:4]


def format_typed_vkey(name: str, alg: int, public_key: bytes) -> str:
    material = base64.b64encode(bytes([alg]) + public_key).decode()
    return f"{name}+{typed_key_id(name, alg, public_key).hex()}+{material}"


def parse_typed_vkey(vkey: str) -> tuple[str, int, bytes]:
    """(name, signature type, public key) of any vkey; the key ID must match. ``NoteError`` otherwise."""
    # The base64 key material may itself contain "+": split at the first two only.
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3:
        raise NoteError("a verifier key is name+keyid+base64")
    name, hex_id, material = parts
    _check_name(name)
    try:
        raw = base64.b64decode(material, validate=True)
        expected_id = bytes.fromhex(hex_id)
    except (binascii.Error, ValueError) as exc:
        raise NoteError("malformed verifier key") from exc
    if len(raw) < 2 or len(expected_id) != 4:
        raise NoteError("malformed verifier key")
    if typed_key_id(name, raw[0], raw[1:]) != expected_id:
        raise NoteError("the key id does not match the key")
    return name, raw[0], raw[1:]


@dataclass(frozen=True)
class SignatureLine:
    """One "— <name> base64(key id || signature)" line of a note (C2SP signed-note §Signatures)."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return f"{_DASH}{self.name} {base64.b64encode(self.key_id + self.signature).decode()}\n"


def parse_signature_line(line: str) -> SignatureLine:
    if not line.startswith(_DASH):
        raise NoteError("malformed signature line")
    name, _, blob_b64 = line[len(_DASH):].rstrip("\n").partition(" ")
    try:
        blob = base64.b64decode(blob_b64, validate=True)
    except binascii.Error as exc:
        raise NoteError("malformed signature") from exc
    if not name or len(blob) < 5:
        raise NoteError("malformed signature line")
    return SignatureLine(name=name, key_id=blob[:4], signature=blob[4:])


def split_note(note: str) -> tuple[str, list[SignatureLine]]:
    """The note's signed text and all its signature lines, whoever made them."""
    text, sep, signatures = note.rpartition("\n\n")
    if not sep or not signatures.endswith("\n"):
        raise NoteError("malformed note: no signature block")
    return text + "\n", [parse_signature_line(line) for line in signatures[:-1].split("\n")]
