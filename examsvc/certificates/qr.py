"""The QR code of a signed form (segno only): what the register page draws and the printable card prints,
without the card's PDF machinery."""

from __future__ import annotations

import segno


def qr_symbol(text: str) -> segno.QRCode:
    """The QR code of a signed form: error correction M exactly (not raised when there is room, so the
    version measured is the version printed), alphanumeric mode (Base45 is QR's alphanumeric alphabet,
    RFC 9285 §1)."""
    return segno.make_qr(text, error="m", boost_error=False, mode="alphanumeric")


def qr_version(text: str) -> int:
    return int(qr_symbol(text).version)
