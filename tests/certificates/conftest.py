from __future__ import annotations

import pytest

from tests.certificates.world import World
from tests.sittings.conftest import Day, day  # noqa: F401  (the exam-morning fixture)


@pytest.fixture
def world(day: Day) -> World:  # noqa: F811
    return World(day)
