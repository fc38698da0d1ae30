from __future__ import annotations

import pytest

from tests.analytics.statistics_world import build
from tests.attempts.exam import Exam
from tests.certificates.world import World
from tests.sittings.conftest import Day, day  # noqa: F401  (the exam-morning fixture, shared)


@pytest.fixture
def exam(day: Day) -> Exam:  # noqa: F811
    return Exam(day, candidates=3)


@pytest.fixture
def province(day: Day) -> World:  # noqa: F811
    world = World(day)
    build(world)
    return world
