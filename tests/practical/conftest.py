from tests.sittings.conftest import day  # noqa: F401  (the exam-day fixture, shared)
