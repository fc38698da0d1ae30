"""A login flood during an exam, against a real ``examsvc serve`` on the test database (issue 14 item 8):
eight clients logging in as fast as they can while workstations save. Saves keep flowing, and no
outage is credited (before, on SQLite, login held the write lock through scrypt: saves' p95 reached
seconds and the late sweep credited the lateness to every candidate). bench/login_flood.py runs the
larger form and prints the figures."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from bench import login_flood


def test_saves_keep_flowing_and_nothing_is_credited_under_a_login_flood(fresh_engine: Engine,
                                                                        tmp_path: Path) -> None:
    # scrypt 2**16 (64 MiB, ~0.2 s a login): slow enough that logins holding the database would show.
    figures = login_flood.run(fresh_engine, tmp_path, seconds=4, loops=8, workstations=4, cost=16)
    assert figures.logins[200] >= 4, figures.logins
    assert figures.credited_ms == 0
    assert not figures.flood.failures and not figures.quiet.failures
    assert len(figures.flood.latencies) >= len(figures.quiet.latencies) // 4
    assert figures.flood.p95_ms < 1000, f"saves' p95 under the flood: {figures.flood.p95_ms:.0f} ms"
