from __future__ import annotations

import pytest

from tests.attempts.exam import Exam
from tests.sittings.conftest import Day, day  # noqa: F401  (the fixture, shared)


@pytest.fixture
def exam(day: Day) -> Exam:  # noqa: F811
    return Exam(day, candidates=3)
