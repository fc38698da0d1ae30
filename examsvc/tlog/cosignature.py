"""C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature), the Ed25519 ``cosignature/v1`` type.

§Format: a cosignature is a signed-note signature line on a checkpoint,

    — <cosigner name> base64(key ID (4 bytes) || timestamp (u64, big-endian) || Ed25519 signature (64 bytes))

    key ID = SHA-256(<name> || "\\n" || 0x04 || 32-byte public key)[:4]
    vkey   = <name> + hex(key ID) + base64(0x04 || public key)

§Ed25519 signed message: "cosignature/v1\\n" || "time <timestamp>\\n" || the checkpoint body (the note
text, without signature lines). Semantically: "as of <timestamp>, the largest consistent tree I have
seen for this origin has this root".
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from examsvc.crypto.signed_note import (
    NoteError,
    SignatureLine,
    format_typed_vkey,
    parse_typed_vkey,
    split_note,
    typed_key_id,
)

ALG_COSIGNATURE_V1 = 0x04
_HEADER = "cosignature/v1\n"
MAX_TIMESTAMP = 2**63 - 1  # §Format: "MUST NOT exceed 2^63 - 1"


class CosignatureError(ValueError):
    pass


def cosigned_message(body: str, timestamp: int) -> bytes:
    """§Ed25519 signed message."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise CosignatureError("the cosignature timestamp is out of range")
    if not body.endswith("\n"):
        raise CosignatureError("a checkpoint body ends with a newline")
    return f"{_HEADER}time {timestamp}\n{body}".encode()


@dataclass(frozen=True)
class Cosigner:
    """A witness as its clients know it: name and Ed25519 public key (from its vkey)."""

    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return typed_key_id(self.name, ALG_COSIGNATURE_V1, self.public_key)

    def vkey(self) -> str:
        return format_typed_vkey(self.name, ALG_COSIGNATURE_V1, self.public_key)

    def matches(self, line: SignatureLine) -> bool:
        # §Format: clients "ignore any signature lines that don't match the name and key ID".
        return line.name == self.name and line.key_id == self.key_id

    def verify(self, body: str, line: SignatureLine) -> int:
        """The cosignature's timestamp if ``line`` is this cosigner's valid cosignature on ``body``."""
        if not self.matches(line):
            raise CosignatureError(f"the signature line is not by {self.name}")
        if len(line.signature) != 8 + 64:
            raise CosignatureError(f"the cosignature by {self.name} is not a cosignature/v1 (timestamp + Ed25519)")
        timestamp = int.from_bytes(line.signature[:8], "big")
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(line.signature[8:],
                                                                       cosigned_message(body, timestamp))
        except InvalidSignature:
            raise CosignatureError(f"the cosignature by {self.name} does not verify for this checkpoint") from None
        return timestamp


def parse_cosigner_vkey(vkey: str) -> Cosigner:
    name, alg, public_key = parse_typed_vkey(vkey)
    if alg != ALG_COSIGNATURE_V1 or len(public_key) != 32:
        raise NoteError(f"{name}: not an Ed25519 cosignature/v1 verifier key (signature type 0x04)")
    return Cosigner(name=name, public_key=public_key)


class CosignatureSigner:
    """A witness's Ed25519 private key, making cosignature/v1 lines."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.cosigner = Cosigner(name=name, public_key=private_key.public_key().public_bytes_raw())
        parse_cosigner_vkey(self.cosigner.vkey())  # refuses a bad name now, not at the first signature

    def cosign(self, body: str, timestamp: int) -> SignatureLine:
        signature = self._key.sign(cosigned_message(body, timestamp))
        return SignatureLine(name=self.cosigner.name, key_id=self.cosigner.key_id,
                             signature=struct.pack(">Q", timestamp) + signature)

    def __repr__(self) -> str:
        key = self.cosigner.key_id.hex()
        return f"CosignatureSigner(name={self.cosigner.name!r}, key_id={key}, private key hidden)"


@dataclass(frozen=True)
class CosignatureCount:
    valid: dict[Cosigner, int]  # cosigner -> timestamp
    problems: list[str]  # why a trusted witness's line did not count


def count_cosignatures(note: str, cosigners: list[Cosigner]) -> CosignatureCount:
    """Which of ``cosigners`` validly cosigned the note's checkpoint; lines by others are ignored."""
    body, lines = split_note(note)
    valid: dict[Cosigner, int] = {}
    problems: list[str] = []
    for cosigner in cosigners:
        mine = [line for line in lines if cosigner.matches(line)]
        if not mine:
            problems.append(f"no cosignature by witness {cosigner.name}")
            continue
        errors = []
        for line in mine:
            try:
                valid[cosigner] = cosigner.verify(body, line)
                break
            except CosignatureError as exc:
                errors.append(str(exc))
        else:
            problems.append("; ".join(errors))
    return CosignatureCount(valid=valid, problems=problems)
