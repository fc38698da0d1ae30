"""Production mode refuses to start on settings that weaken what the service promises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from examsvc.config import Settings

GOOD: dict[str, Any] = {"environment": "production", "database_url": "postgresql+psycopg://exam@db/exam",
                        "log_origin": "exam.example.cn/log", "certificate_issuer": "CN-14"}


def _production(tmp_path: Path, **changes: Any) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, **(GOOD | changes))  # type: ignore[call-arg]


@pytest.mark.parametrize(("changes", "named"), [
    ({"database_url": "sqlite:////var/lib/examsvc/exam.sqlite3"}, "EXAMSVC_DATABASE_URL names SQLite"),
    ({"password_cost_log2": 10}, "EXAMSVC_PASSWORD_COST_LOG2 is 10, below 17"),
    ({"password_cost_log2": 16}, "EXAMSVC_PASSWORD_COST_LOG2 is 16, below 17"),
    ({"checkpoint_interval_seconds": 0}, "EXAMSVC_CHECKPOINT_INTERVAL_SECONDS is 0"),
    ({"access_token_ttl_minutes": 7 * 24 * 60}, "EXAMSVC_ACCESS_TOKEN_TTL_MINUTES is 10080, above 720"),
])
def test_production_refuses_a_weakening_setting_by_name(tmp_path: Path, changes: dict[str, Any], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        _production(tmp_path, **changes)


def test_development_allows_what_production_refuses(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, password_cost_log2=10,  # type: ignore[call-arg]
                        checkpoint_interval_seconds=0, access_token_ttl_minutes=7 * 24 * 60)
    assert settings.api_docs_enabled


def test_production_starts_at_the_limits_and_keeps_the_documentation_off(tmp_path: Path) -> None:
    settings = _production(tmp_path, password_cost_log2=17, access_token_ttl_minutes=12 * 60)
    assert not settings.api_docs_enabled
    assert _production(tmp_path, api_docs=True).api_docs_enabled
