"""The register (台账) as an .xlsx workbook: a title row with the export date, a frozen header row, one row
per certificate. No ID numbers: a register travels between offices by e-mail and a lost copy must not leak
them (the number identifies the certificate to anyone entitled to look it up). Text that a spreadsheet program
would take for a formula (an employer named "=HYPERLINK(…)") is written as text (OWASP CSV injection;
``examsvc.xlsx_container.as_text_cell``)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from examsvc.certificates.models import Certificate
from examsvc.certificates.rules import standing
from examsvc.certificates.signed_form import KIND_LABELS, Kind
from examsvc.config import Settings
from examsvc.spot.archive import RegisterFlag
from examsvc.xlsx_container import as_text_cell, header_row, text_row

SHEET = "证书台账"
# (header, column width in characters)
COLUMNS: tuple[tuple[str, float], ...] = (
    ("证号", 16), ("序号", 6), ("证书种类", 30), ("操作项目/类别", 30), ("姓名", 10), ("工作单位", 36),
    ("初次领证日期", 13), ("有效期至", 12), ("复审期限", 12), ("状态", 14), ("逢查必考", 48),
)
HEADERS = tuple(name for name, _ in COLUMNS)
DATE_FORMAT = "yyyy-mm-dd"


def _subject(certificate: Certificate) -> str:
    # A special operation's item code is the catalogue's (特种作业目录, e.g. 1.2); a competence certificate's
    # is examsvc's own ("principal/coal_mine") and means nothing to a reader.
    if certificate.kind == Kind.SPECIAL_OPERATIONS:
        return f"{certificate.item_name}（{certificate.item}）"
    return certificate.item_name


def _row(certificate: Certificate, today: date, flags: Sequence[RegisterFlag]) -> list[Any]:
    return [certificate.number, certificate.sequence, KIND_LABELS[Kind(certificate.kind)],
            _subject(certificate), certificate.holder_name, certificate.employer or "",
            certificate.first_issued_on, certificate.expires_on, certificate.review_due,
            standing(certificate, today).label, "；".join(flag.text for flag in flags)]


def workbook(certificates: list[Certificate], settings: Settings, today: date,
             flags: Mapping[int, Sequence[RegisterFlag]] | None = None) -> bytes:
    """The register of ``certificates`` (in the order given) as it stands on ``today``; ``flags``: each
    certificate's failed spot exams (逢查必考), re-training due or done."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET)
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    # Rows 1 and 2 (the title, the headers) stay in view while scrolling.
    sheet.freeze_panes = "A3"
    last = get_column_letter(len(COLUMNS))
    sheet.auto_filter.ref = f"A2:{last}{len(certificates) + 2}"
    sheet.print_title_rows = "1:2"

    title = WriteOnlyCell(sheet, value=f"{settings.certificate_authority_name} 证书台账（导出日期 {today.isoformat()}，"
                                       f"共 {len(certificates)} 本）")
    title.font = Font(bold=True, size=13)
    sheet.append([as_text_cell(title)])
    sheet.append(header_row(sheet, HEADERS))
    for certificate in certificates:
        values: list[Any] = text_row(sheet, _row(certificate, today, (flags or {}).get(certificate.id, ())))
        for n, value in enumerate(values):
            if isinstance(value, date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = DATE_FORMAT
                values[n] = cell
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
