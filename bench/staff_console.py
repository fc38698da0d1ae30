"""The staff console's speed in a real Chromium (issue 19), against ``examsvc serve`` on a fresh SQLite
database, over the browser tests' exam morning plus sittings that fill the province board to 50 rooms.

1. Seat-map update: a proctor's console is open on room 01; a candidate's attempt is paused and resumed
   through the API, alternately; the time from sending the action to the seat showing its new state in the
   page (measured in the page, no reload). Goal <= 5 s; the console polls every 2 s, so about 1 s on
   average is expected, 2 s plus a request at worst. Baseline: the action's own round trip.
2. The inspector board for 50 rooms: navigation to ``/staff/inspector`` until the page's script has drawn
   the rows from its first poll (``#page-info`` filled). Goal <= 1 s. Baseline: ``GET /inspection/board``
   alone (the JSON the page polls), as ratio.

The 48 added rooms are scheduled today but not opened (no candidates); the board's two live rooms hold the
morning's 12 candidates, of whom 6 answer. The last line holds both figures.

    .venv/bin/python -m bench.staff_console [--runs 6]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright
from sqlalchemy.engine import Engine

from bench._databases import sqlite_engine
from bench.faults import Server
from examsvc.bootstrap import transaction
from examsvc.config import Settings
from examsvc.db import utcnow
from examsvc.identity.roles import Role
from examsvc.sites import rooms
from examsvc.sites import service as sites
from examsvc.sittings import service as sittings
from tests.web.morning import PASSWORD, SETUP, SITTING, Morning, _user, exam_morning

EXTRA_SITES, ROOMS_PER_SITE = 6, 8  # with the morning's 2 rooms: 50
ANSWERING = 6
INSPECTOR = "bench-inspector"


def fill_province(engine: Engine) -> None:
    with transaction(engine) as db:
        rule_id = sittings.get(db_session=db, code=SITTING).blueprint_version_id
        _user(db, Role.INSPECTOR, INSPECTOR)
        for n in range(EXTRA_SITES):
            site = f"B{n + 1:02d}"
            sites.create_site(db_session=db, code=site, name=f"第{n + 3}考点", address="", actor=SETUP)
            for r in range(ROOMS_PER_SITE):
                rooms.create_room(db_session=db, site_code=site, code=f"{r + 1:02d}", name=f"第{r + 1:02d}考场",
                                  seats=30, actor=SETUP)
            sittings.create(db_session=db, code=f"BENCH-{site}", title="一般行业安全生产管理人员考试",
                            blueprint_id=rule_id, site_code=site,
                            room_codes=[f"{r + 1:02d}" for r in range(ROOMS_PER_SITE)],
                            scheduled_start=utcnow() + timedelta(minutes=5), late_entry_minutes=15,
                            proctors_per_room=2, actor=SETUP, now=utcnow())


def start_answering(base: str, morning: Morning) -> list[str]:
    started = []
    for seat in [s for s in morning.seats if s.room == "01"][:ANSWERING]:
        station = {"X-Workstation-Token": seat.credential}
        session = httpx.post(f"{base}/candidate-sessions", headers=station, timeout=30,
                             json={"admission_number": seat.admission_number, "code": seat.code}).json()
        headers = station | {"X-Candidate-Session": session["session_token"]}
        assert httpx.post(f"{base}/attempt/start", headers=headers, timeout=30).status_code == 200
        started.append(seat.admission_number)
    return started


def token(base: str, username: str) -> str:
    answer = httpx.post(f"{base}/auth/login", json={"username": username, "password": PASSWORD}, timeout=30)
    return str(answer.json()["access_token"])


def logged_in(browser: object, base: str, username: str) -> Page:
    context = browser.new_context(base_url=base, viewport={"width": 1366, "height": 900})  # type: ignore[attr-defined]
    context.add_cookies([{"name": "examsvc_staff", "value": token(base, username), "url": base}])
    page: Page = context.new_page()
    return page


def seat_map_latency(page: Page, base: str, proctor: dict[str, str], morning: Morning, number: str,
                     runs: int) -> tuple[list[float], list[float]]:
    seat = next(s.seat for s in morning.seats if s.admission_number == number)
    page.goto(f"/staff/proctor/{SITTING}/rooms/01")
    page.wait_for_function(f"() => document.getElementById('seat-{seat}').textContent.includes('答题中')")
    latencies, round_trips = [], []
    for run in range(runs):
        action, label = ("pause", "已暂停") if run % 2 == 0 else ("resume", "答题中")
        time.sleep(0.37 * (run % 5))  # spread the events over the poll's period
        sent = time.perf_counter()
        answer = httpx.post(f"{base}/sittings/{SITTING}/attempts/{number}/{action}", headers=proctor,
                            json={"reason": "性能测试"}, timeout=30)
        round_trips.append((time.perf_counter() - sent) * 1000)
        assert answer.status_code == 200, answer.text
        page.wait_for_function(f"() => document.getElementById('seat-{seat}').textContent.includes('{label}')",
                               polling="raf", timeout=15000)
        latencies.append((time.perf_counter() - sent) * 1000)
    return latencies, round_trips


def board_render(page: Page, base: str, inspector: dict[str, str], runs: int) -> tuple[list[float], list[float]]:
    renders, json_times = [], []
    for _ in range(runs):
        sent = time.perf_counter()
        page.goto("/staff/inspector")
        page.wait_for_function("() => document.getElementById('page-info').textContent.length > 0", polling="raf")
        renders.append((time.perf_counter() - sent) * 1000)
        rows = page.locator("#board-rows tr").count()
        assert page.inner_text("#sum-rooms") == "50", page.inner_text("#sum-rooms")
        assert rows == 20, rows  # the first page of 20 rooms
        sent = time.perf_counter()
        assert len(httpx.get(f"{base}/inspection/board", headers=inspector, timeout=30).json()["rooms"]) == 50
        json_times.append((time.perf_counter() - sent) * 1000)
    return renders, json_times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=6)
    args = parser.parse_args()
    if shutil.which("chromium") is None:
        raise SystemExit("no Chromium: apt-get install -y chromium fonts-noto-cjk")
    with tempfile.TemporaryDirectory() as folder, sqlite_engine(Path(folder)) as engine:
        data_dir = Path(folder) / "data"
        settings = Settings(_env_file=None, data_dir=data_dir,  # type: ignore[call-arg]
                            database_url=engine.url.render_as_string(hide_password=False), password_cost_log2=10)
        settings.ensure_data_dir()
        morning = exam_morning(engine, settings, 12)
        fill_province(engine)
        server = Server(engine.url.render_as_string(hide_password=False), data_dir,
                        env={"EXAMSVC_PASSWORD_COST_LOG2": "10", "EXAMSVC_CHECKPOINT_INTERVAL_SECONDS": "0"})
        server.start()
        try:
            answering = start_answering(server.base, morning)
            proctor = {"Authorization": f"Bearer {token(server.base, morning.proctor_names['01'])}"}
            inspector = {"Authorization": f"Bearer {token(server.base, INSPECTOR)}"}
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
                latencies, trips = seat_map_latency(logged_in(browser, server.base, morning.proctor_names["01"]),
                                                    server.base, proctor, morning, answering[0], args.runs)
                renders, json_times = board_render(logged_in(browser, server.base, INSPECTOR), server.base,
                                                   inspector, args.runs)
                browser.close()
        finally:
            server.stop()
    seat_p50, board_p50 = statistics.median(latencies), statistics.median(renders)
    trip = statistics.median(trips)
    print(f"seat-map update: p50 {seat_p50:.0f} ms, max {max(latencies):.0f} ms over {len(latencies)} actions "
          f"(the action's round trip p50 {trip:.0f} ms; ratio {seat_p50 / trip:.1f})")
    print(f"inspector board, 50 rooms: page drawn p50 {board_p50:.0f} ms, max {max(renders):.0f} ms "
          f"(GET /inspection/board alone p50 {statistics.median(json_times):.0f} ms; "
          f"ratio {board_p50 / statistics.median(json_times):.1f})")
    print(f"inspector board (50 rooms) drawn p50 {board_p50:.0f} ms (goal <= 1000 ms); seat-map update p50 "
          f"{seat_p50:.0f} ms, max {max(latencies):.0f} ms (goal <= 5000 ms)")


if __name__ == "__main__":
    main()
