"""Base45 (RFC 9285): bytes as QR alphanumeric characters, two bytes to three characters."""

from __future__ import annotations

import struct

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUE = bytes(ALPHABET.index(chr(c)) if chr(c) in ALPHABET else 255 for c in range(256))
_PAIRS = [ALPHABET[n % 45] + ALPHABET[n // 45] for n in range(45 * 45)]


class Base45Error(ValueError):
    pass


def encode(data: bytes) -> str:
    out = []
    whole = len(data) - len(data) % 2
    for (n,) in struct.iter_unpack(">H", data[:whole]):
        out.append(_PAIRS[n % 2025] + ALPHABET[n // 2025])
    if whole != len(data):
        out.append(_PAIRS[data[-1]])
    return "".join(out)


def decode(text: str) -> bytes:
    """The bytes ``text`` encodes; a character outside the alphabet, a dangling character or a triple
    above 65535 is a ``Base45Error``."""
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise Base45Error("Base45 text holds a character outside its alphabet") from None
    digits = raw.translate(_VALUE)
    if 255 in digits:
        raise Base45Error("Base45 text holds a character outside its alphabet")
    whole, rest = divmod(len(digits), 3)
    if rest == 1:
        raise Base45Error("Base45 text has a dangling character")
    end = whole * 3
    values = [a + b * 45 + c * 2025 for a, b, c in zip(digits[0:end:3], digits[1:end:3], digits[2:end:3],
                                                          strict=True)]
    try:
        out = struct.pack(f">{whole}H", *values)
    except struct.error:
        raise Base45Error("Base45 triple out of range") from None
    if rest == 2:
        last = digits[-2] + digits[-1] * 45
        if last > 0xFF:
            raise Base45Error("Base45 pair out of range")
        out += bytes((last,))
    return out
