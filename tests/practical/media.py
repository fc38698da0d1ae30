"""Small well-formed JPEG, PNG and MP4 files, built byte by byte (no image library)."""

from __future__ import annotations

import struct
import zlib


def _segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def jpeg(app0: bytes = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00") -> bytes:
    """SOI, APP0, DQT, SOF0 (1×1, grey), DHT, SOS with entropy data (a stuffed FF among it), EOI."""
    quant = _segment(0xDB, b"\x00" + bytes([1] * 64))
    frame = _segment(0xC0, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00")
    huffman = _segment(0xC4, b"\x00" + bytes([1] + [0] * 15) + b"\x00")
    scan = _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00") + b"\x12\xff\x00\x34"
    return b"\xff\xd8" + _segment(0xE0, app0) + quant + frame + huffman + scan + b"\xff\xd9"


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png() -> bytes:
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + _chunk(b"IDAT", zlib.compress(b"\x00\x00")) + _chunk(b"IEND", b"")


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body) + 8) + kind + body


def mp4() -> bytes:
    return _box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41") + _box(b"moov", _box(b"mvhd", bytes(100))) + _box(
        b"mdat", bytes(64))
