"""The certificate's signed form, the text in its QR code (docs/certificates.md has it byte by byte):

    "SQ1:" + Base45( zlib( CBOR tag 18 COSE_Sign1 [ protected, {}, payload, signature ] ) )

``protected`` is the CBOR map {1: -8 (EdDSA), 4: key id}; ``payload`` is the CWT claims set (RFC 8392)
with the private claims below; the signature is Ed25519 over the COSE Sig_structure ["Signature1",
protected, h'', payload] (RFC 9052 §4.4). Nothing here touches the database: the offline verifier
(``examsvc certificates verify``) and the public page use the same ``open_form``.
"""

from __future__ import annotations

import hashlib
import hmac
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from examsvc.certificates import base45

PREFIX = "SQ1:"
COSE_SIGN1_TAG = 18
CWT_TAG = 61  # RFC 8392 §6: optional around the COSE message; generic CWT tools add it
ALG_EDDSA = -8
HEADER_ALG, HEADER_KID = 1, 4
KEY_ID_BYTES = 8
# Bounds for what a verifier reads: the QR of the documented fields is a few hundred characters.
MAX_TEXT_CHARS = 4096
MAX_CBOR_BYTES = 4096
# The ID number as a salted, stretched digest: the QR never shows it, and a verifier who types the number
# from the card checks it. An ID number has little entropy: the stretching makes harvesting many cards'
# numbers costly, not a targeted guess impossible (docs/certificates.md "What the QR reveals").
ID_SALT_BYTES = 8
ID_HASH_BYTES = 16
ID_HASH_ITERATIONS = 4096


class Claim(IntEnum):
    ISSUER = 1
    EXPIRES = 4
    ISSUED_AT = 6
    NUMBER = -1
    SEQUENCE = -2
    KIND = -3
    ITEM = -4
    ITEM_NAME = -5
    HOLDER = -6
    ID_SALT = -7
    ID_HASH = -8
    REVIEW_DUE = -9


class Kind(IntEnum):
    SPECIAL_OPERATIONS = 1  # 特种作业操作证
    SAFETY_COMPETENCE = 2  # 安全生产知识和管理能力考核合格证

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {Kind.SPECIAL_OPERATIONS: "特种作业操作证", Kind.SAFETY_COMPETENCE: "安全生产知识和管理能力考核合格证"}


class FormError(ValueError):
    """The text is not a certificate in this format, or its signature does not hold; the message is safe
    to show (it quotes nothing from the input)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Claims:
    issuer: str
    issued_at: int  # seconds since the epoch
    expires_at: int  # the end of the last valid day, seconds since the epoch
    number: str
    sequence: int
    kind: Kind
    item: str
    item_name: str
    holder: str
    id_salt: bytes
    id_hash: bytes
    review_due: date | None

    def as_cbor_map(self) -> dict[int, Any]:
        claims: dict[int, Any] = {
            Claim.ISSUER: self.issuer, Claim.EXPIRES: self.expires_at, Claim.ISSUED_AT: self.issued_at,
            Claim.NUMBER: self.number, Claim.SEQUENCE: self.sequence, Claim.KIND: int(self.kind),
            Claim.ITEM: self.item, Claim.ITEM_NAME: self.item_name, Claim.HOLDER: self.holder,
            Claim.ID_SALT: self.id_salt, Claim.ID_HASH: self.id_hash,
        }
        if self.review_due is not None:
            claims[Claim.REVIEW_DUE] = self.review_due.isoformat()
        return {int(k): v for k, v in claims.items()}

    def id_matches(self, id_number: str) -> bool:
        return hmac.compare_digest(id_hash(id_number, self.id_salt), self.id_hash)


def id_hash(id_number: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", id_number.strip().upper().encode("ascii", "replace"), salt,
                               ID_HASH_ITERATIONS, ID_HASH_BYTES)


def key_id(public_key: bytes) -> bytes:
    """The first 8 bytes of SHA-256 of the raw 32-byte Ed25519 public key."""
    return hashlib.sha256(public_key).digest()[:KEY_ID_BYTES]


def _cbor(value: Any) -> bytes:
    return cbor2.dumps(value, canonical=True)


def _bstr_head(length: int) -> bytes:
    if length < 24:
        return bytes((0x40 | length,))
    if length < 0x100:
        return bytes((0x58, length))
    return b"\x59" + length.to_bytes(2, "big")  # bounded by MAX_CBOR_BYTES


# CBOR of the array head and "Signature1", then of the empty external_aad: the constant parts of the
# Sig_structure, so that verifying builds it by concatenation (tests check it against a CBOR encoder).
_SIG1_HEAD = b"\x84\x6aSignature1"


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    return b"".join((_SIG1_HEAD, _bstr_head(len(protected)), protected, b"\x40", _bstr_head(len(payload)), payload))


@dataclass(frozen=True)
class Signed:
    text: str  # what the QR holds
    cose: bytes  # the tagged COSE_Sign1, before compression
    digest: str  # hex SHA-256 of ``cose``: what the log records

    @staticmethod
    def of_cose(cose: bytes) -> Signed:
        text = PREFIX + base45.encode(zlib.compress(cose, 9))
        return Signed(text=text, cose=cose, digest=hashlib.sha256(cose).hexdigest())


def seal(claims: Claims, *, sign: Any, public_key: bytes) -> Signed:
    """``sign(message) -> signature``: the key provider's; the private key never comes here."""
    protected = _cbor({HEADER_ALG: ALG_EDDSA, HEADER_KID: key_id(public_key)})
    payload = _cbor(claims.as_cbor_map())
    signature = sign(sig_structure(protected, payload))
    return Signed.of_cose(_cbor(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature])))


@dataclass(frozen=True)
class Opened:
    claims: Claims
    key_id: bytes
    cose: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.cose).hexdigest()


def decode_text(text: str) -> bytes:
    """The COSE bytes in a QR text (prefix, Base45, zlib), bounded against huge or expanding input."""
    if len(text) > MAX_TEXT_CHARS:
        raise FormError("输入过长，不是本省证书二维码。", code="too_long")
    text = text.strip()
    if not text.startswith(PREFIX):
        raise FormError("不是本省证书二维码（开头应为 SQ1:）。", code="bad_prefix")
    try:
        compressed = base45.decode(text[len(PREFIX):])
    except base45.Base45Error:
        raise FormError("二维码内容已损坏（Base45 编码错误）。", code="bad_base45") from None
    inflater = zlib.decompressobj()
    try:
        cose = inflater.decompress(compressed, MAX_CBOR_BYTES)
    except zlib.error:
        raise FormError("二维码内容已损坏（无法解压）。", code="bad_zlib") from None
    if inflater.unconsumed_tail or not inflater.eof or inflater.unused_data:
        raise FormError("二维码内容已损坏或过长。", code="bad_zlib")
    return cose


def _parse(cose: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    try:
        outer = cbor2.loads(cose)
    except (ValueError, TypeError, RecursionError, OverflowError, MemoryError, cbor2.CBORDecodeError):
        raise FormError("二维码内容不是有效的 COSE 签名结构。", code="bad_cbor") from None
    if isinstance(outer, cbor2.CBORTag) and outer.tag == CWT_TAG:
        outer = outer.value
    if not (isinstance(outer, cbor2.CBORTag) and outer.tag == COSE_SIGN1_TAG and isinstance(outer.value, list)
            and len(outer.value) == 4):
        raise FormError("二维码内容不是 COSE_Sign1 签名结构。", code="bad_cose")
    protected, unprotected, payload, signature = outer.value
    if not (isinstance(protected, bytes) and isinstance(unprotected, dict) and isinstance(payload, bytes)
            and isinstance(signature, bytes)):
        raise FormError("二维码内容不是 COSE_Sign1 签名结构。", code="bad_cose")
    try:
        header = cbor2.loads(protected)
    except (ValueError, TypeError, RecursionError, OverflowError, MemoryError, cbor2.CBORDecodeError):
        raise FormError("签名头无法解析。", code="bad_cose") from None
    if not isinstance(header, dict) or header.get(HEADER_ALG) != ALG_EDDSA:
        raise FormError("签名算法不是 EdDSA。", code="bad_alg")
    # The key id only picks the key to try: signed (protected) as examsvc writes it, or unprotected as generic
    # COSE tools write it; a wrong one finds no key or fails the signature.
    kid = header.get(HEADER_KID, unprotected.get(HEADER_KID))
    if not isinstance(kid, bytes) or len(kid) != KEY_ID_BYTES:
        raise FormError("签名头缺少密钥标识。", code="bad_kid")
    return protected, payload, signature, kid


def open_form(text: str, keys: Mapping[bytes, Ed25519PublicKey]) -> Opened:
    """Decodes and checks the signature of a QR text against ``keys`` (key id → public key); the claims
    only after the signature holds. Every failure is a ``FormError``."""
    cose = decode_text(text)
    protected, payload, signature, kid = _parse(cose)
    key = keys.get(kid)
    if key is None:
        raise FormError("签发密钥不是本省公布的证书密钥。", code="unknown_key")
    try:
        key.verify(signature, sig_structure(protected, payload))
    except InvalidSignature:
        raise FormError("签名不符：证书内容被改动或签名伪造。", code="bad_signature") from None
    return Opened(claims=claims_of(payload), key_id=kid, cose=cose)


def claims_in(cose: bytes) -> Claims:
    """The claims of a COSE_Sign1 whose signature is vouched for otherwise (its digest is in the log): the
    register check compares a row with the form it was issued under."""
    _, payload, _, _ = _parse(cose)
    return claims_of(payload)


# (claim, type) in the order of Claims' fields; the review date is optional.
_FIELDS = tuple((int(c), t) for c, t in (
    (Claim.ISSUER, str), (Claim.ISSUED_AT, int), (Claim.EXPIRES, int), (Claim.NUMBER, str), (Claim.SEQUENCE, int),
    (Claim.KIND, int), (Claim.ITEM, str), (Claim.ITEM_NAME, str), (Claim.HOLDER, str), (Claim.ID_SALT, bytes),
    (Claim.ID_HASH, bytes)))
_KINDS = {int(k): k for k in Kind}


def claims_of(payload: bytes) -> Claims:
    try:
        claims = cbor2.loads(payload)
    except (ValueError, TypeError, RecursionError, OverflowError, MemoryError, cbor2.CBORDecodeError):
        raise FormError("证书字段无法解析。", code="bad_claims") from None
    if not isinstance(claims, dict):
        raise FormError("证书字段无法解析。", code="bad_claims")
    values: list[Any] = [claims.get(key) for key, _ in _FIELDS]
    for value, (key, expected) in zip(values, _FIELDS, strict=True):
        if type(value) is not expected:  # exact: a bool is not an int here
            raise FormError(f"证书字段 {key} 缺失或类型不对。", code="bad_claims")
    kind = _KINDS.get(values[5])
    review = claims.get(int(Claim.REVIEW_DUE))
    if kind is None or not (review is None or type(review) is str):
        raise FormError("证书字段取值不对。", code="bad_claims")
    try:
        review_due = None if review is None else date.fromisoformat(review)
    except ValueError:
        raise FormError("证书字段取值不对。", code="bad_claims") from None
    issuer, issued_at, expires_at, number, sequence, _, item, item_name, holder, salt, hashed = values
    return Claims(issuer=issuer, issued_at=issued_at, expires_at=expires_at, number=number, sequence=sequence,
                  kind=kind, item=item, item_name=item_name, holder=holder, id_salt=salt, id_hash=hashed,
                  review_due=review_due)
