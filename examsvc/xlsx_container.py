"""Opening an uploaded .xlsx safely: the checks every workbook import shares (bank files, candidate lists).

An .xlsx is a zip of XML parts. A small file can unpack to gigabytes (a zip bomb) or hold millions of
rows of a few bytes each, so before openpyxl parses anything the container is checked: the size on
disk, the zip signature, the number of parts and their total unpacked size. The unpacked sizes come from
the zip's directory, which a forger can understate; Python's ``zipfile`` then stops reading a part at
its declared size and fails its CRC check, so the declared total bounds what is ever inflated.

Workbooks are opened ``read_only`` (streamed row by row): callers stop reading at their own row limit.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from examsvc.banks.problems import ImportRejected

MAX_PARTS = 10_000  # a workbook of a few sheets has a few dozen


def check_container(data: bytes, file: str, *, rejected: type[ImportRejected], max_bytes: int,
                    max_unpacked_bytes: int) -> None:
    """Raises ``rejected`` naming ``file`` if ``data`` is not a plausible .xlsx within the limits."""
    if len(data) > max_bytes:
        raise rejected.one(file, f"文件过大（不超过 {max_bytes // 1024 // 1024} MB）。")
    if not data.startswith(b"PK\x03\x04"):
        raise rejected.one(file, "不是 Excel 2007 及以上的 .xlsx 文件（.xls 请另存为 .xlsx）。")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except zipfile.BadZipFile:
        raise rejected.one(file, "文件已损坏，无法作为 .xlsx 打开。") from None
    if len(parts) > MAX_PARTS:
        raise rejected.one(file, f"文件内部包含的部件过多（超过 {MAX_PARTS} 个），拒绝导入。")
    if sum(info.file_size for info in parts) > max_unpacked_bytes:
        raise rejected.one(file, f"文件解压后过大（超过 {max_unpacked_bytes // 1024 // 1024} MB），拒绝导入。")


def open_workbook(data: bytes, file: str, *, rejected: type[ImportRejected], max_bytes: int,
                  max_unpacked_bytes: int) -> Any:
    """The checked workbook, streamed (``read_only``, cell values not formulas); close it when done."""
    check_container(data, file, rejected=rejected, max_bytes=max_bytes, max_unpacked_bytes=max_unpacked_bytes)
    # openpyxl is imported when a workbook is opened: a CLI command that reads none does not pay for it.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise rejected.one(file, "文件已损坏，无法作为 .xlsx 打开。") from None
