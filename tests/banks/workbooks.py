"""Workbooks a hostile or careless bank editor makes, built from an export (as one would in Excel)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

from openpyxl import load_workbook

BOMB_DTD = ('<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">'
            + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
            + "]>")
XXE_DTD = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def edit(data: bytes, change: Callable[[Any], None]) -> bytes:
    """``change(workbook)`` on a full (not read-only) load of ``data``; the saved result."""
    workbook = load_workbook(io.BytesIO(data))
    change(workbook)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def with_dtd(data: bytes, part: str, dtd: str, entity: str, encoding: str = "utf-8") -> bytes:
    """``data`` with ``dtd`` declared in ``part`` (after its XML declaration, behind a comment) and
    ``&entity;`` used in its first inline text, the part written in ``encoding``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == part:
                text = content.decode()
                prolog = text.index("?>") + 2 if text.startswith("<?xml") else 0
                text = text[:prolog] + "<!-- saved by hand -->" + dtd + text[prolog:]
                text = text.replace("<t>", f"<t>&{entity};", 1)
                if encoding != "utf-8":
                    text = text.replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"', 1)
                content = text.encode(encoding)
            target.writestr(info, content)
    return out.getvalue()
