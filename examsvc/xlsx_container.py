"""Opening an uploaded .xlsx safely: the checks every workbook import shares (bank files, practical banks,
candidate lists), and the row reader and text cells the bank workbooks share.

An .xlsx is a zip of XML parts. A small file can unpack to gigabytes (a zip bomb) or hold millions of
rows of a few bytes each, so before openpyxl parses anything the container is checked: the size on
disk, the zip signature, the number of parts and their total unpacked size. The unpacked sizes come from
the zip's directory, which a forger can understate; Python's ``zipfile`` then stops reading a part at
its declared size and fails its CRC check, so the declared total bounds what is ever inflated.

No part may carry a document type declaration (issue 17 item 6). Excel and every spreadsheet program
write none; a DTD is what an XML entity bomb ("billion laughs") and an external entity (XXE) need, and
expat would answer either with an English exception in the middle of a sheet. So the prolog of every
part is read (it ends at the first element, a few hundred bytes) and a ``<!DOCTYPE`` there refuses the
file, naming the part, before openpyxl reads anything.

Workbooks are opened ``read_only`` (streamed row by row): callers stop reading at their own row limit.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from xml.etree.ElementTree import ParseError

from examsvc.banks.problems import ImportRejected, Problem

MAX_PARTS = 10_000  # a workbook of a few sheets has a few dozen
MAX_PROLOG_BYTES = 64 * 1024  # the XML declaration and a comment or two; Excel writes about 60 bytes
MAX_COLUMNS = 200  # the widest sheet we read has 20 columns; a cell at column XFD must not size a row
# A text starting with one of these is a formula to a spreadsheet program once someone edits the cell
# (OWASP "CSV injection"): exported as a text cell with Excel's quote prefix, never as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# (sheet, column) a reader found missing, or (sheet, None) for a missing sheet: what validation would
# otherwise report again on every row.
Missing = set[tuple[str | None, str | None]]
T = TypeVar("T")


def _prolog_has_doctype(part: Any) -> bool | None:
    """True if the part declares a DTD before its first element; None if its prolog is not plain XML
    (UTF-16, or longer than ``MAX_PROLOG_BYTES``), which no spreadsheet program writes either."""
    head = part.read(MAX_PROLOG_BYTES)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:4]:
        return None
    position = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    while True:
        while position < len(head) and head[position:position + 1].isspace():
            position += 1
        rest = head[position:]
        if rest.startswith(b"<?"):
            closing = b"?>"
        elif rest.startswith(b"<!--"):
            closing = b"-->"
        else:
            # <!DOCTYPE (or any other declaration) before the root element; else the root element, or
            # no XML at all (an image, a binary part), and the prolog is over.
            return bool(rest.startswith(b"<!"))
        end = head.find(closing, position + 2)
        if end < 0:
            return None if len(head) >= MAX_PROLOG_BYTES else False
        position = end + len(closing)


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
            if len(parts) > MAX_PARTS:
                raise rejected.one(file, f"文件内部包含的部件过多（超过 {MAX_PARTS} 个），拒绝导入。")
            if sum(info.file_size for info in parts) > max_unpacked_bytes:
                raise rejected.one(file,
                                   f"文件解压后过大（超过 {max_unpacked_bytes // 1024 // 1024} MB），拒绝导入。")
            problems = []
            for info in parts:
                if info.is_dir():
                    continue
                with archive.open(info) as part:
                    verdict = _prolog_has_doctype(part)
                if verdict is not False:
                    what = ("含有文档类型声明（DOCTYPE，可用于实体炸弹或读取外部文件），Excel 不会写入这种内容"
                            if verdict else "的开头不是 Excel 写入的 XML（编码或结构异常）")
                    problems.append(Problem(file=file, field=info.filename[:200],
                                            message=f"文件内部部件{what}，拒绝导入。请用 Excel 重新保存后再导入。"))
            if problems:
                raise rejected(problems)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError):
        raise rejected.one(file, "文件已损坏，无法作为 .xlsx 打开。") from None


def open_workbook(data: bytes, file: str, *, rejected: type[ImportRejected], max_bytes: int,
                  max_unpacked_bytes: int) -> Any:
    """The checked workbook, streamed (``read_only``, cell values not formulas); close it when done."""
    check_container(data, file, rejected=rejected, max_bytes=max_bytes, max_unpacked_bytes=max_unpacked_bytes)
    # openpyxl is imported when a workbook is opened: a CLI command that reads none does not pay for it.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, ParseError, TypeError):
        raise rejected.one(file, "文件已损坏，无法作为 .xlsx 打开。") from None


# ---- reading sheets: every cell as written, with formulas and hidden rows made visible -----------------

@dataclass(frozen=True)
class SheetRow:
    number: int  # 1-based, as Excel shows it
    values: tuple[Any, ...]  # by column, from column A; a formula cell holds None
    formulas: frozenset[int]  # 0-based columns holding a formula (issue 17 item 11: named, not "empty")
    hidden: bool  # hidden by hand or by a filter (issue 17 item 10)
    # Hidden columns whose content first shows on this row (each named once per sheet).
    hidden_columns: frozenset[int] = frozenset()

    def is_blank(self) -> bool:
        return not self.formulas and all(v is None or (isinstance(v, str) and not v.strip()) for v in self.values)


class SheetDamaged(Exception):
    """A sheet's XML broke off or holds what openpyxl cannot read; the caller names file and sheet."""


def sheet_rows(workbook: Any, sheet: str) -> Iterator[SheetRow]:
    """The rows of ``sheet`` as stored, streamed.

    openpyxl's read-only rows give a formula's cached result (or nothing, when a program other than
    Excel saved it) and drop the row attributes; bank imports must refuse both a formula and a hidden
    row with their place. So this reads the sheet with openpyxl's own streaming parser (private API of
    openpyxl 3.1, kept to this one function) and keeps what it says about each cell and row."""
    from openpyxl.worksheet._reader import WorkSheetParser

    ws = workbook[sheet]
    try:
        with ws._get_source() as source:
            parser = WorkSheetParser(source, ws._shared_strings, data_only=False, epoch=workbook.epoch,
                                     date_formats=workbook._date_formats,
                                     timedelta_formats=workbook._timedelta_formats)
            hidden_columns: set[int] | None = None
            reported: set[int] = set()
            for number, cells in parser.parse():
                if hidden_columns is None:  # <cols> precedes <sheetData>: known by the first row
                    hidden_columns = _hidden_columns(parser.column_dimensions.values())
                attributes = parser.row_dimensions.pop(str(number), {})
                values: dict[int, Any] = {}
                formulas = set()
                for cell in cells:
                    column = int(cell["column"]) - 1
                    if column >= MAX_COLUMNS:
                        if cell["value"] is not None:
                            raise SheetDamaged(f"第{number}行在第 {MAX_COLUMNS} 列之后还有内容。")
                        continue
                    if cell["data_type"] == "f":
                        formulas.add(column)
                        continue
                    values[column] = cell["value"]
                width = max([*values, *formulas], default=-1) + 1
                shown_hidden = {c for c in hidden_columns - reported
                                if c in formulas or values.get(c) not in (None, "")}
                reported |= shown_hidden
                yield SheetRow(number=number, values=tuple(values.get(i) for i in range(width)),
                               formulas=frozenset(formulas), hidden=_true(attributes.get("hidden")),
                               hidden_columns=frozenset(shown_hidden))
    except SheetDamaged:
        raise
    except (ParseError, ValueError, KeyError, IndexError, TypeError, OverflowError, OSError,
            zipfile.BadZipFile) as exc:
        raise SheetDamaged("工作表内容已损坏，无法读取。") from exc


def _true(value: Any) -> bool:
    return str(value or "").lower() in ("1", "true")


def _hidden_columns(dimensions: Iterable[dict[str, Any]]) -> set[int]:
    """0-based indexes of the hidden columns (``<col min max hidden>``), up to ``MAX_COLUMNS``."""
    hidden: set[int] = set()
    for attributes in dimensions:
        if _true(attributes.get("hidden")):
            low, high = int(attributes.get("min", 1)), int(attributes.get("max", attributes.get("min", 1)))
            hidden.update(range(max(low, 1) - 1, min(high, MAX_COLUMNS)))
    return hidden


def read_rows(workbook: Any, file: str, sheet: str, problems: list[Problem]) -> Iterator[SheetRow]:
    """The sheet's rows (none if it is missing); a damaged sheet adds its problem and ends the rows, and
    the other sheets are still read."""
    if sheet not in workbook.sheetnames:
        return
    try:
        yield from sheet_rows(workbook, sheet)
    except SheetDamaged as damaged:
        problems.append(Problem(file=file, sheet=sheet, message=str(damaged)))


def sheet_problems(workbook: Any, file: str, expected: Iterable[str], missing: Missing) -> list[Problem]:
    """Missing sheets (added to ``missing``), and sheets that are not part of the layout (hidden ones
    too): nothing on a sheet the import does not read may pass unseen (issue 17 item 10: 试题（续） lost
    its questions)."""
    expected = tuple(expected)
    problems = [Problem(file=file, sheet=name, message=f"缺少工作表“{name}”。")
                for name in expected if name not in workbook.sheetnames]
    missing.update((p.sheet, None) for p in problems)
    wanted = "、".join(f"“{name}”" for name in expected)
    for ws in workbook.worksheets:
        if ws.title not in expected:
            hidden = "（隐藏的）" if getattr(ws, "sheet_state", "visible") != "visible" else ""
            problems.append(Problem(file=file, sheet=ws.title,
                                    message=f"多余的工作表{hidden}：文件只能有 {wanted} 这几个工作表，其他工作表的内容"
                                            "不会导入。请删除它，或把内容移到应在的工作表。"))
    return problems


def header_columns(header: list[str], table: dict[str, str], *, required: Iterable[str], file: str, sheet: str,
                   problems: list[Problem], missing: Missing) -> dict[int, str]:
    """Column index → field, by the header row's titles. An unknown or repeated title is refused (as an
    unknown field is in YAML, issue 17 item 8), and each required title that is absent is named once
    and added to ``missing``."""
    columns: dict[int, str] = {}
    for index, title in enumerate(header):
        if not title:
            continue
        if title not in table:
            problems.append(Problem(file=file, sheet=sheet, line=1, field=title,
                                    message=f"未知的列“{title}”：这张表的列为 {'、'.join(table)}。"))
        elif table[title] in columns.values():
            problems.append(Problem(file=file, sheet=sheet, line=1, field=title, message=f"列“{title}”重复。"))
        else:
            columns[index] = table[title]
    for title in required:
        if title not in header:
            problems.append(Problem(file=file, sheet=sheet, line=1, field=title, message=f"缺少必需的列“{title}”。"))
            missing.add((sheet, title))
    return columns


def validated(build: Callable[[], T], *, reader_problems: list[Problem], missing: Missing,
              rejected: type[ImportRejected]) -> T:
    """``build()`` (validation of what a workbook reader read), its refusal without what it says again
    about a place the reader already named: a formula read as an empty 题干, a missing column as an
    empty field on every row, a missing sheet as nothing in it. So every other problem stays visible
    (issue 17 item 4) and no cause is shown a hundred times. The reader's problems come first in a
    refusal (the validators start from them)."""
    try:
        return build()
    except rejected as refusal:
        places = {(p.sheet, p.line, p.field) for p in reader_problems}
        kept = list(reader_problems)
        for p in refusal.problems[len(reader_problems):]:
            if (p.sheet, p.line, p.field) in places or (p.sheet, p.field) in missing or (p.sheet, None) in missing:
                continue
            kept.append(p)
        raise rejected(kept) from None


def row_problems(row: SheetRow, *, file: str, sheet: str, header: list[str]) -> list[Problem]:
    """A hidden row with content, a hidden column where its content first shows, and every formula cell,
    each with its place."""
    problems = []
    if row.hidden and not row.is_blank():
        problems.append(Problem(file=file, sheet=sheet, line=row.number,
                                message="这一行被隐藏了（或被筛选隐藏）：隐藏的行同样会导入。请取消隐藏并确认内容；"
                                        "不要的行请删除。"))
    for column in sorted(row.hidden_columns):
        name = header[column] if column < len(header) and header[column] else column_letter(column)
        problems.append(Problem(file=file, sheet=sheet, line=row.number, field=name,
                                message="这一列被隐藏了：隐藏的列同样会导入。请取消隐藏并确认内容。"))
    for column in sorted(row.formulas):
        name = header[column] if column < len(header) and header[column] else column_letter(column)
        problems.append(Problem(file=file, sheet=sheet, line=row.number, field=name,
                                message="这个单元格是公式：题库只收文字和数字。请改为计算结果，"
                                        "或在开头加英文单引号（'）作为文字保存。"))
    return problems


def column_letter(column: int) -> str:
    """0-based column index → Excel letters (A, B, … AA)."""
    letters = ""
    column += 1
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return f"{letters}列"


def header_of(row: SheetRow | None) -> list[str]:
    if row is None:
        return []
    return [str(v).strip() if v is not None else "" for v in row.values]


# ---- writing: text stays text ---------------------------------------------------------------------------

def as_text_cell(cell: Any) -> Any:
    """Marks a cell whose text a spreadsheet program would take for a formula as text (OWASP formula
    injection; issue 17 item 2): the stored type is a string, and Excel's quote prefix keeps it one when
    someone edits the cell. Other cells are returned as they are."""
    value = cell.value
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def header_row(sheet: Any, names: Iterable[str]) -> list[Any]:
    """The header row of a write-only workbook's table: bold, centred (for ``sheet.append``)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
        cells.append(as_text_cell(cell))
    return cells


def text_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """A row for ``sheet.append`` in a write-only workbook, every formula-looking text a text cell."""
    from openpyxl.cell import WriteOnlyCell

    return [as_text_cell(WriteOnlyCell(sheet, value=v))
            if isinstance(v, str) and v.startswith(FORMULA_TRIGGERS) else v for v in values]
