"""Is this upload really the photo or video it says it is? A structural check of JPEG, PNG and MP4.

Magic bytes alone let ``\\xff\\xd8\\xff\\xe0<html>…`` pass as a JPEG. Here each format is walked the way
a decoder would walk it, without decoding pixels (no image library needed):

- PNG (ISO/IEC 15948 §5): the signature, then chunks (length, type, data, CRC-32 over type and data),
  ``IHDR`` first, ``IEND`` last and nothing after it; every CRC must match.
- JPEG (ITU-T T.81 §B.1): SOI, then marker segments whose lengths fit the file, a frame header (SOFn),
  at least one scan (SOS) whose entropy-coded data runs to the next real marker, then EOI. Bytes after
  EOI are allowed: phones append data there (a motion photo's video, for instance).
- MP4 (ISO/IEC 14496-12 §4.2): top-level boxes (size, four printable type characters, 64-bit sizes)
  that tile the file exactly, ``ftyp`` first and a ``moov`` among them.

Whatever the format, a file whose first bytes look like markup (HTML, SVG, script) is refused: a
browser that sniffs would run it.
"""

from __future__ import annotations

import zlib

JPEG, PNG, MP4 = "image/jpeg", "image/png", "video/mp4"
ALLOWED_TYPES = (JPEG, PNG, MP4)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SNIFF_WINDOW = 1024  # browsers sniff at most the first 1,445 bytes; markup starts near the top
_MARKUP = (b"<html", b"<script", b"<!doctype", b"<svg", b"<body", b"<iframe", b"<head", b"<?xml")
# SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range (T.81 table B.1).
_JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and RST0-7 carry no length


def looks_like_markup(data: bytes) -> bool:
    head = data[:SNIFF_WINDOW].lower()
    return any(tag in head for tag in _MARKUP)


def detected_type(data: bytes) -> str | None:
    """The type ``data`` really is (checked through its structure), or None."""
    if looks_like_markup(data):
        return None
    if data.startswith(PNG_SIGNATURE):
        return PNG if _png_ok(data) else None
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG if _jpeg_ok(data) else None
    if data[4:8] == b"ftyp":
        return MP4 if _mp4_ok(data) else None
    return None


def _png_ok(data: bytes) -> bool:
    at, first, end = len(PNG_SIGNATURE), True, len(data)
    while at + 12 <= end:
        length = int.from_bytes(data[at:at + 4], "big")
        kind = data[at + 4:at + 8]
        if length > 0x7FFFFFFF or at + 12 + length > end or not kind.isalpha():
            return False
        body = data[at + 8:at + 8 + length]
        if zlib.crc32(kind + body) != int.from_bytes(data[at + 8 + length:at + 12 + length], "big"):
            return False
        if first and (kind != b"IHDR" or length != 13):
            return False
        first = False
        at += 12 + length
        if kind == b"IEND":
            return at == end
    return False


def _jpeg_ok(data: bytes) -> bool:
    at, end, frame, scan = 2, len(data), False, False
    while at < end:
        if data[at] != 0xFF:
            return False
        while at < end and data[at] == 0xFF:  # fill bytes before a marker
            at += 1
        if at >= end:
            return False
        marker = data[at]
        at += 1
        if marker == 0xD9:  # EOI
            return frame and scan
        if marker in _JPEG_STANDALONE:
            continue
        if marker == 0xD8 or at + 2 > end:
            return False
        length = int.from_bytes(data[at:at + 2], "big")
        if length < 2 or at + length > end:
            return False
        frame = frame or marker in _JPEG_FRAMES
        at += length
        if marker == 0xDA:  # SOS: entropy-coded data up to the next marker (FF00 is a stuffed FF)
            if not frame:
                return False
            scan = True
            while True:
                found = data.find(b"\xff", at)
                if found < 0 or found + 1 >= end:
                    return False
                following = data[found + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    at = found + 2
                    continue
                at = found
                break
    return False


def _mp4_ok(data: bytes) -> bool:
    at, end, kinds = 0, len(data), []
    while at < end:
        if at + 8 > end:
            return False
        size, kind, header = int.from_bytes(data[at:at + 4], "big"), data[at + 4:at + 8], 8
        if not all(0x20 <= c < 0x7F for c in kind):
            return False
        if size == 1:
            if at + 16 > end:
                return False
            size, header = int.from_bytes(data[at + 8:at + 16], "big"), 16
        elif size == 0:  # the last box runs to the end of the file
            size = end - at
        if size < header or at + size > end:
            return False
        kinds.append(kind)
        at += size
    return bool(kinds) and kinds[0] == b"ftyp" and b"moov" in kinds
