"""The register endpoint refuses an xlsx bomb (many rows in a small file) and writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from examsvc.audit.models import AuditEntry
from examsvc.candidates.models import Registration
from examsvc.candidates.sheets import MAX_ROWS
from tests.candidates.xlsx_bombs import bomb_workbook
from tests.sittings.conftest import Day


@pytest.mark.parametrize("rows", [4_000_000, 100_000])
def test_the_register_endpoint_refuses_a_bomb_and_writes_nothing(day: Day, rows: int) -> None:
    day.sitting("S-1")
    entries = day.db_session.scalar(select(func.count()).select_from(AuditEntry))
    response = day.client.post("/sittings/S-1/candidates", params={"filename": "名单.xlsx"},
                               content=bomb_workbook(rows), headers=day.admin)
    assert (response.status_code, response.json()["error"]) == (422, "registration_rejected"), response.text
    [problem] = response.json()["detail"]["problems"]
    assert problem["file"] == "名单.xlsx" and ("解压后过大" in problem["message"] or problem["line"] == MAX_ROWS + 2)
    assert day.db_session.scalar(select(func.count()).select_from(Registration)) == 0
    assert day.db_session.scalar(select(func.count()).select_from(AuditEntry)) == entries
