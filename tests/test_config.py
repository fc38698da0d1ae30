from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from examsvc.config import Settings


def test_production_refuses_development_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXAMSVC_DATA_DIR", raising=False)
    with pytest.raises(ValidationError) as raised:
        Settings(_env_file=None, environment="production")  # type: ignore[call-arg]
    text = str(raised.value)
    assert "EXAMSVC_DATABASE_URL" in text
    assert "EXAMSVC_LOG_ORIGIN" in text
    assert "EXAMSVC_CERTIFICATE_ISSUER" in text
    assert "EXAMSVC_DATA_DIR" in text


def test_production_starts_with_explicit_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EXAMSVC_DATA_DIR", str(tmp_path))
    settings = Settings(_env_file=None, environment="production",  # type: ignore[call-arg]
                        database_url="postgresql+psycopg://exam@db/exam", log_origin="exam.example.cn/log",
                        certificate_issuer="CN-14")
    assert not settings.uses_embedded_database
    assert settings.effective_database_url.startswith("postgresql")


def test_embedded_default_is_a_sqlite_file_in_the_data_folder(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert settings.uses_embedded_database
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'examsvc.sqlite3'}"


def test_data_dir_is_private(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "d")  # type: ignore[call-arg]
    settings.ensure_data_dir()
    assert (settings.data_dir.stat().st_mode & 0o777) == 0o700
    assert (settings.keys_dir.stat().st_mode & 0o777) == 0o700
