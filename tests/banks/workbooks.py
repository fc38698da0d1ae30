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


def with_dtd(data: bytes, part: str, dtd: str, entity: str) -> bytes:
    """``data`` with ``dtd`` declared in ``part`` and ``&entity;`` used in its first inline text."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == part:
                text = content.decode()
                root = text.index("<worksheet")
                text = text[:root] + dtd + text[root:]
                text = text.replace("<t>", f"<t>&{entity};", 1)
                content = text.encode()
            target.writestr(info, content)
    return out.getvalue()
