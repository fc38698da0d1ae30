"""Statistics (统计): counts and pass rates by every grouping, checked against the rows built counted one by one
(tests/analytics/statistics_world.py); retakes, a void result, a reviewed result, an unpublished sitting;
filters and refused filters; the .xlsx read back; who may read."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from openpyxl import load_workbook

from examsvc.identity.roles import Role
from tests.analytics.statistics_world import Tally, expected
from tests.builders import auth_header, login, make_user
from tests.certificates.world import World

URL = "/analytics/statistics"


@contextmanager
def case(*what: object) -> Iterator[None]:
    """A failing case names itself (several cases share one test and its world)."""
    try:
        yield
    except AssertionError as error:
        raise AssertionError(f"case {what}: {error}") from error


def reader(world: World, role: Role = Role.EXAM_ADMIN) -> dict[str, str]:
    user = make_user(world.day.db_session, role)
    return auth_header(login(world.client, user.username))


def fetch(world: World, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = world.client.get(URL, headers=headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def tallies(body: dict[str, Any], dims: list[str]) -> dict[Any, Tally]:
    out = {}
    for row in body["rows"]:
        key = tuple(row["key"][d] for d in dims)
        out[key[0] if len(dims) == 1 else key] = Tally(row["sat"], row["passed"], row["void"], row["certificates"],
                                                       row["qualified"])
    return out


def check(world: World, headers: dict[str, str], dims: list[str],
          keep: Callable[[dict[str, Any]], bool] = lambda _: True, **params: Any) -> dict[str, Any]:
    body = fetch(world, headers, group_by=",".join(dims), **params)
    want = expected(world.day.db_session, lambda d: d[dims[0]] if len(dims) == 1 else tuple(d[x] for x in dims), keep)
    assert tallies(body, dims) == want
    for row in body["rows"]:
        assert row["failed"] == row["sat"] - row["passed"] - row["void"]
        assert row["pass_rate"] == (round(row["passed"] / row["sat"], 4) if row["sat"] else None)
    return body


# The cases of a test share one world (building it is most of a test's time): each case still asserts alone
# and names itself when it fails.
GROUPINGS = [["site"], ["city"], ["subject"], ["category"], ["institution"], ["employer"], ["month"], ["quarter"],
             ["year"], ["attempt"], ["kind"], ["kind", "attempt", "site"], ["city", "month"]]


def test_counts_match_the_rows_counted_one_by_one(province: World) -> None:
    headers = reader(province)
    for dims in GROUPINGS:
        with case(dims):
            check(province, headers, dims)


def test_figures_of_the_half_year_as_stated_by_hand(province: World) -> None:
    headers = reader(province, Role.INSPECTOR)
    half = {"date_from": "2026-01-01", "date_to": "2026-06-30"}
    body = fetch(province, headers, group_by="site,kind", **half)
    rows = {(r["key"]["site"], r["key"]["kind"]): r for r in body["rows"]}
    # ST-A theory: T1 (5: c1 pass, c2 fail, c3 fail, c4 void, c5 reviewed 75 → 85 pass), T3 (c2 pass, c3 fail)
    # and T5 (c4 pass); U1 unpublished is left out.
    a = rows[("ST-A", "theory")]
    assert (a["sat"], a["passed"], a["failed"], a["void"]) == (8, 4, 3, 1)
    assert a["pass_rate"] == round(4 / 8, 4)
    assert a["mean_score"] == round((90 + 60 + 70 + 85 + 82 + 65 + 88) / 7, 1)  # void left out of the mean
    b = rows[("ST-B", "theory")]
    assert (b["sat"], b["passed"], b["void"]) == (4, 3, 0)
    p = rows[("ST-B", "practical")]
    assert (p["sat"], p["passed"], p["qualified"]) == (2, 1, 1)  # c6: theory 1.1 passed in T2 before P2
    assert a["qualified"] == 0 and b["qualified"] == 0  # a theory result qualifies nobody by itself
    assert set(rows) == {("ST-A", "theory"), ("ST-B", "theory"), ("ST-B", "practical")}
    # Retakes by the eligibility rule: c2 and c3 in T3, c7 in T4; not c4 in T5 (re-trained after the void).
    retakes = fetch(province, headers, group_by="attempt", kind="theory", **half)
    by_attempt = {r["key"]["attempt"]: r for r in retakes["rows"]}
    assert (by_attempt["retake"]["sat"], by_attempt["retake"]["passed"]) == (3, 2)
    assert by_attempt["first"]["sat"] == 9
    assert by_attempt["retake"]["labels"]["attempt"] == "补考"
    # T4 starts at 00:30 on 1 April in Beijing: April, not March.
    months = {r["key"]["month"]: r["sat"] for r in fetch(province, headers, group_by="month", kind="theory",
                                                          **half)["rows"]}
    assert months == {"2026-01": 5, "2026-02": 2, "2026-04": 4, "2026-06": 1}
    assert fetch(province, headers, group_by="month", **half)["rows"][0]["labels"]["month"] == "2026年1月"


FILTERS: list[tuple[dict[str, str], Callable[[dict[str, Any]], bool]]] = [
    ({"site": "ST-A"}, lambda d: d["site"] == "ST-A"),
    ({"city": "大同市"}, lambda d: d["city"] == "大同市"),
    ({"kind": "practical"}, lambda d: d["kind"] == "practical"),
    ({"attempt": "retake"}, lambda d: d["attempt"] == "retake"),
    ({"attempt": "first", "kind": "theory"}, lambda d: d["attempt"] == "first" and d["kind"] == "theory"),
    ({"subject": "1.1"}, lambda d: d["subject"] == "1.1"),
    ({"institution": "晋安培训学校"}, lambda d: d["institution"] == "晋安培训学校"),
    ({"employer": "同煤集团"}, lambda d: d["employer"] == "同煤集团"),
    ({"date_from": "2026-02-01", "date_to": "2026-04-01"},
     lambda d: "2026-02-01" <= d["date"].isoformat() <= "2026-04-01"),
]


def test_filters_select_the_same_rows_as_counted_by_hand(province: World) -> None:
    headers = reader(province, Role.AUDITOR)
    for params, keep in FILTERS:
        with case(params):
            body = check(province, headers, ["site", "kind"], keep, **params)
            assert body["filters"] == params


def test_no_grouping_gives_one_total(province: World) -> None:
    body = fetch(province, reader(province))
    want = expected(province.day.db_session, lambda _: ())[()]
    assert len(body["rows"]) == 1 and body["rows"][0]["key"] == {}
    assert (body["total"]["sat"], body["total"]["passed"], body["total"]["void"],
            body["total"]["certificates"]) == (want.sat, want.passed, want.void, want.certificates)
    assert body["total"]["certificates"] == len(province.qualified)
    assert body["total"]["qualified"] == want.qualified == len(province.qualified) + 1


BAD_FILTERS = [
    ({"group_by": "colour"}, "group_by"),
    ({"group_by": "site,city,month,kind"}, "group_by"),
    ({"group_by": "month,year"}, "group_by"),
    ({"date_from": "2026-13-01"}, "date_from"),
    ({"date_to": "yesterday"}, "date_to"),
    ({"date_from": "2026-05-01", "date_to": "2026-04-01"}, "date_from"),
    ({"kind": "oral"}, "kind"),
    ({"attempt": "third"}, "attempt"),
    ({"site": "NO-SUCH"}, "site"),
    ({"employer": "太钢\x00集团"}, "employer"),
]


def test_bad_filters_are_refused_naming_the_field(province: World) -> None:
    headers = reader(province)
    for (params, field), url in itertools.product(BAD_FILTERS, (URL, URL + ".xlsx")):
        with case(params, url):
            response = province.client.get(url, headers=headers, params=params)
            assert response.status_code == 422, response.text
            body = response.json()
            assert body["detail"]["field"] == field
            assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])


def test_the_workbook_reads_back_with_chinese_headers_and_the_same_figures(province: World) -> None:
    headers = reader(province)
    params = {"group_by": "site,kind", "date_from": "2026-01-01"}
    body = fetch(province, headers, **params)
    response = province.client.get(URL + ".xlsx", headers=headers, params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content), read_only=True)["统计"]
    rows = list(sheet.iter_rows(values_only=True))
    assert "起始日期 2026-01-01" in str(rows[0][0])
    assert list(rows[1]) == ["考点", "考试类型", "参考人次", "合格人次", "不合格人次", "作废（违纪）人次", "合格率",
                             "平均分", "取得资格人次", "发证数"]
    data = rows[2:-1]
    assert len(data) == len(body["rows"])
    for got, want in zip(data, body["rows"], strict=True):
        assert list(got[:2]) == [want["labels"]["site"], want["labels"]["kind"]]
        rate = None if want["pass_rate"] is None else pytest.approx(want["pass_rate"], abs=1e-4)
        figures = [want["sat"], want["passed"], want["failed"], want["void"], rate, want["mean_score"],
                   want["qualified"], want["certificates"]]
        assert list(got[2:]) == figures
    assert rows[-1][0] == "合计" and rows[-1][2] == body["total"]["sat"]


def test_a_formula_looking_employer_is_text_in_the_workbook(province: World) -> None:
    response = province.client.get(URL + ".xlsx", headers=reader(province), params={"group_by": "employer"})
    sheet = load_workbook(io.BytesIO(response.content))["统计"]
    cells = [row[0] for row in sheet.iter_rows(min_row=3)]
    formula = [c for c in cells if str(c.value).startswith("=")]
    assert formula and all(c.data_type == "s" for c in formula)


def test_other_roles_and_nobody_are_refused(province: World) -> None:
    for role in (Role.PROCTOR, Role.BANK_ADMIN, Role.CERTIFICATE_OFFICER, Role.CHIEF_EXAMINER, Role.EVALUATOR,
                 Role.SYSTEM_ADMIN):
        headers = reader(province, role)
        for url in (URL, URL + ".xlsx"):
            assert province.client.get(url, headers=headers).status_code == 403, (role, url)
            assert province.client.get(url).status_code == 401, url
