"""Evidence files are checked through their structure, not by their first bytes."""

from __future__ import annotations

import struct

import pytest

from examsvc.practical.media import JPEG, MP4, PNG, detected_type
from tests.practical.media import jpeg, mp4, png


def test_well_formed_files_are_recognised() -> None:
    assert (detected_type(jpeg()), detected_type(png()), detected_type(mp4())) == (JPEG, PNG, MP4)
    assert detected_type(jpeg() + b"trailing video of a motion photo") == JPEG


@pytest.mark.parametrize("forged", [
    b"\xff\xd8\xff\xe0<html><script>alert(1)</script></html>",  # the reported one: magic bytes, then HTML
    jpeg(app0=b"JFIF\x00<html><body>x</body></html>"),  # a well-formed JPEG whose first bytes are markup
    jpeg()[:-2],  # no EOI
    jpeg().replace(b"\xff\xc0", b"\xff\xe1"),  # no frame header
    b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(range(256)) * 4,  # magic bytes and noise
])
def test_forged_jpegs_are_refused(forged: bytes) -> None:
    assert detected_type(forged) is None


def test_a_png_with_a_bad_crc_or_bytes_after_iend_is_refused() -> None:
    good = png()
    broken = bytearray(good)
    broken[-20] ^= 0xFF  # inside IDAT
    assert detected_type(bytes(broken)) is None
    assert detected_type(good + b"<script>") is None
    assert detected_type(good[:8] + b"<svg onload=alert(1)>") is None


def test_an_mp4_must_tile_the_file_and_start_with_ftyp() -> None:
    good = mp4()
    assert detected_type(good + b"x") is None
    assert detected_type(good[:-1]) is None
    no_moov = good.replace(b"moov", b"free")
    assert detected_type(no_moov) is None
    huge = struct.pack(">I", 1) + b"ftyp" + struct.pack(">Q", 2**40) + b"isom"
    assert detected_type(huge) is None
