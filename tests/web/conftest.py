"""Browser tests: Debian's Chromium driven by Playwright against a real ``examsvc serve`` process on
127.0.0.1, over an exam morning committed to a database of its own (tests/web/morning.py).

Without a Chromium the tests skip and say how to get one. Screenshots go to ``tests/web/screenshots``
(or ``EXAMSVC_SCREENSHOTS``), kept by CI as artifacts."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from examsvc.config import Settings
from examsvc.identity.browser import WORKSTATION_COOKIE
from tests.web.live import live_server, own_database, server_settings
from tests.web.morning import PASSWORD, SITTING, Morning, Seat, exam_morning

CANDIDATES = 12
SCREENSHOTS = Path(os.environ.get("EXAMSVC_SCREENSHOTS", Path(__file__).parent / "screenshots"))
NO_CHROMIUM = ("no Chromium found: install Debian's (apt-get install -y chromium fonts-noto-cjk) or put "
               "`chromium` on PATH; never `playwright install` (it downloads)")


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    exe = chromium()
    if exe is None:
        pytest.skip(NO_CHROMIUM)
    return {**browser_type_launch_args, "executable_path": exe, "args": ["--no-sandbox"]}


@dataclass
class Site:
    """The running server, its exam morning, and seats handed out one per test."""

    base: str
    engine: Engine
    morning: Morning
    used: int = 0
    settings: Settings | None = None  # the server's (its data folder holds the keys): the staff console's tests

    def seat(self) -> Seat:
        seat = self.morning.seats[self.used]
        self.used += 1
        return seat

    def proctor(self, room: str) -> dict[str, str]:
        token = httpx.post(f"{self.base}/auth/login", json={"username": self.morning.proctor_names[room],
                                                          "password": PASSWORD}, timeout=30).json()["access_token"]
        return {"Authorization": f"Bearer {token}"}

    def act(self, who: Seat, action: str, **extra: Any) -> httpx.Response:
        return httpx.post(f"{self.base}/sittings/{SITTING}/attempts/{who.admission_number}/{action}",
                          headers=self.proctor(who.room), json={"reason": "监考记录", **extra}, timeout=30)

    def cookie(self, credential: str) -> list[dict[str, Any]]:
        return [{"name": WORKSTATION_COOKIE, "value": credential, "url": self.base, "httpOnly": True,
                 "sameSite": "Strict"}]


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    if chromium() is None:
        pytest.skip(NO_CHROMIUM)
    yield from own_database(tmp_path_factory.mktemp("web"), "web")


@pytest.fixture(scope="session")
def site(database: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = server_settings(database, tmp_path_factory.mktemp("web-data"))
    morning = exam_morning(database, settings, CANDIDATES)
    with live_server(settings, {"EXAMSVC_SWEEP_INTERVAL_SECONDS": "0.5",
                                "EXAMSVC_ANSWER_GRACE_SECONDS": "2"}) as server:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        yield Site(base=server.base, engine=database, morning=morning, settings=settings)
