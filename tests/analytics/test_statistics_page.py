"""The statistics page without a browser (the ASGI client, logged in through the log-in form): the default
grouping, the filters kept in the URL and in the form, the charts as SVG with a title and a description,
the table's figures equal to the API's, the export link with the same query, a refused filter said on the
page, and the roles refused. The browser: test_statistics_browser.py."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlsplit

from examsvc.identity.roles import Role
from tests.analytics.test_statistics import fetch, reader
from tests.builders import make_user
from tests.certificates.world import World
from tests.web.test_staff_session import log_in

PAGE = "/staff/analysis/statistics"


def _as(world: World, role: Role) -> None:
    world.client.cookies.clear()
    user = make_user(world.day.db_session, role)
    assert log_in(world.client, user.username).status_code == 303  # type: ignore[attr-defined]


def _cells(page: str) -> list[list[str]]:
    body = page.split('id="statistics-table"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_the_page_shows_the_api_figures_with_charts_and_keeps_the_filters(province: World) -> None:
    api = fetch(province, reader(province), group_by="city,kind", date_from="2026-01-01", date_to="2026-06-30")
    _as(province, Role.INSPECTOR)
    home = province.client.get("/staff")
    assert PAGE in home.text and "考试统计" in home.text
    default = province.client.get(PAGE)
    assert default.status_code == 200 and "<th scope=\"col\">考点</th>" in default.text

    page = province.client.get(PAGE, params=[("group_by", "city"), ("group_by", "kind"), ("group_by", ""),
                                             ("date_from", "2026-01-01"), ("date_to", "2026-06-30")])
    assert page.status_code == 200
    text = page.text
    rows = _cells(text)
    assert [r[:3] for r in rows] == [[r["labels"]["city"], r["labels"]["kind"], str(r["sat"])] for r in api["rows"]]
    assert [r[3:5] for r in rows] == [[str(r["passed"]), str(r["failed"])] for r in api["rows"]]
    # The form says what was asked, so a second search starts from it.
    assert 'value="2026-01-01"' in text and 'value="2026-06-30"' in text
    assert re.search(r'<option value="city" selected>', text) and re.search(r'<option value="kind" selected>', text)
    # Two charts, each an image named by its title and described by its figures.
    charts = re.findall(r'<svg [^>]*role="img"[^>]*aria-labelledby="([^"]+)"', text)
    assert len(charts) == 2
    assert '<title id="chart-rate-title">按设区的市、考试类型的合格率</title>' in text
    first = api["rows"][0]
    assert f'{first["labels"]["city"]} / {first["labels"]["kind"]}：{first["pass_rate"]:.1%}' in text
    assert "2026-01：参考 5 人次，合格 2 人次" in text
    # The export carries the same query.
    link = html.unescape(re.search(r'href="(/analytics/statistics\.xlsx[^"]*)"', text).group(1))  # type: ignore[union-attr]
    asked = dict(parse_qsl(urlsplit(link).query))
    assert asked == {"group_by": "city,kind", "date_from": "2026-01-01", "date_to": "2026-06-30"}
    exported = province.client.get(link)
    assert exported.status_code == 200 and exported.content[:2] == b"PK"


def test_a_refused_filter_is_said_on_the_page(province: World) -> None:
    _as(province, Role.EXAM_ADMIN)
    page = province.client.get(PAGE, params={"date_from": "2026-05-01", "date_to": "2026-04-01"})
    assert page.status_code == 422 and page.headers["x-error"] == "bad_date_range"
    assert 'role="alert"' in page.text and "起始日期：起始日期不能晚于截止日期。" in page.text
    assert "<svg" not in page.text and 'value="2026-05-01"' in page.text


def test_an_employer_name_is_escaped_in_the_charts_and_the_table(province: World) -> None:
    _as(province, Role.AUDITOR)
    page = province.client.get(PAGE, params={"group_by": "employer"})
    assert page.status_code == 200
    assert '=HYPERLINK("x")' not in page.text and "=HYPERLINK(&#34;x&#34;)" in page.text


def test_other_roles_may_not_open_the_page(province: World) -> None:
    for role in (Role.PROCTOR, Role.CERTIFICATE_OFFICER, Role.BANK_ADMIN):
        _as(province, role)
        page = province.client.get(PAGE)
        assert page.status_code == 403 and "<svg" not in page.text, role
