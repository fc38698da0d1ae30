from tests.banks.conftest import shell  # noqa: F401  (the CLI on a database of its own)
from tests.sittings.conftest import day  # noqa: F401  (the exam-day fixture, shared)
