from __future__ import annotations

import pytest

from tests.analytics.statistics_world import build
from tests.certificates.world import World
from tests.sittings.conftest import Day, day  # noqa: F401  (the exam-morning fixture)


@pytest.fixture
def province(day: Day) -> World:  # noqa: F811
    world = World(day)
    build(world)
    return world


# The browser tests here run Debian's Chromium as tests/web does (never `playwright install`).
from tests.web.conftest import browser_type_launch_args  # noqa: E402, F401
