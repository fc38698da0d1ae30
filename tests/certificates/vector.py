"""The test vector of docs/certificates.md: a fixed key (RFC 8032 §7.1 test 1) and fixed claims."""

from __future__ import annotations

from datetime import date

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from examsvc.certificates.signed_form import Claims, Kind, Signed, id_hash, seal

SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
KEY = Ed25519PrivateKey.from_private_bytes(SECRET)
PUBLIC = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
ID_NUMBER = "11010519491231002X"  # the example of GB 11643-1999
SALT = bytes.fromhex("0102030405060708")
CLAIMS = Claims(issuer="CN-14", issued_at=1796515200, expires_at=1985875200, number="T2026000123", sequence=1,
                kind=Kind.SPECIAL_OPERATIONS, item="1.2", item_name="低压电工作业", holder="王建国",
                id_salt=SALT, id_hash=id_hash(ID_NUMBER, SALT), review_due=date(2029, 12, 6))


def signed() -> Signed:
    return seal(CLAIMS, sign=KEY.sign, public_key=PUBLIC)
