"""docker-compose.yml cannot be started here (no Docker engine); check what can be checked."""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from examsvc.config import Settings
from examsvc.server_cli import transport_options

ROOT = Path(__file__).resolve().parent.parent


def test_compose_runs_examsvc_on_the_postgres_service_with_a_data_volume() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"postgres", "examsvc"}
    examsvc = services["examsvc"]
    env = examsvc["environment"]
    known = {f"EXAMSVC_{name.upper()}" for name in Settings.model_fields}
    assert set(env) <= known, set(env) - known
    assert "@postgres:5432/" in env["EXAMSVC_DATABASE_URL"]
    assert env["EXAMSVC_ENVIRONMENT"] == "production"
    data_dir = env["EXAMSVC_DATA_DIR"]
    assert any(v.split(":")[1] == data_dir and v.split(":")[0] in compose["volumes"] for v in examsvc["volumes"])
    assert examsvc["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert (ROOT / examsvc["build"] / "Dockerfile").is_file()


def test_compose_holds_no_secret() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert "${POSTGRES_PASSWORD" in text
    assert "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?" in text


def test_compose_serves_production_behind_a_tls_proxy_on_loopback(tmp_path: Path) -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    examsvc = compose["services"]["examsvc"]
    command = examsvc["command"]
    assert all(port.startswith("127.0.0.1:") for port in examsvc["ports"])
    settings = Settings(_env_file=None, data_dir=tmp_path, environment="production",  # type: ignore[call-arg]
                        database_url="postgresql+psycopg://exam@db/exam", log_origin="exam.example.cn/log",
                        certificate_issuer="CN-14")
    args = argparse.Namespace(host=command[command.index("--host") + 1], tls_cert=None, tls_key=None,
                              behind_proxy=command[command.index("--behind-proxy") + 1])
    assert transport_options(args, settings)["proxy_headers"] is True
