"""``examsvc serve`` speaks TLS itself or trusts a named TLS proxy; production refuses clear text beyond loopback."""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from examsvc.config import Settings
from examsvc.server_cli import ServeRefused, transport_options

pytestmark = pytest.mark.db_agnostic

ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - what production must refuse without TLS


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "examsvc test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_file.chmod(0o600)
    return cert_file, key_file


def _args(host: str = "127.0.0.1", cert: Path | None = None, key: Path | None = None,
          proxy: str | None = None) -> argparse.Namespace:
    return argparse.Namespace(host=host, tls_cert=cert, tls_key=key, behind_proxy=proxy)


def _production(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, environment="production",  # type: ignore[call-arg]
                    database_url="postgresql+psycopg://exam@db/exam", log_origin="exam.example.cn/log",
                        certificate_issuer="CN-14")


def test_production_refuses_clear_text_beyond_loopback(tmp_path: Path) -> None:
    with pytest.raises(ServeRefused, match="without TLS"):
        transport_options(_args(ALL_INTERFACES), _production(tmp_path))
    assert transport_options(_args("127.0.0.1"), _production(tmp_path)) == {"proxy_headers": False}
    assert transport_options(_args("::1"), _production(tmp_path)) == {"proxy_headers": False}


def test_tls_files_or_a_named_proxy_allow_any_address_in_production(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    tls = transport_options(_args(ALL_INTERFACES, cert, key), _production(tmp_path))
    assert (tls["ssl_certfile"], tls["ssl_keyfile"]) == (str(cert), str(key))
    proxied = transport_options(_args(ALL_INTERFACES, proxy="10.0.0.5"), _production(tmp_path))
    assert proxied == {"proxy_headers": True, "forwarded_allow_ips": "10.0.0.5"}
    with pytest.raises(ServeRefused, match="go together"):
        transport_options(_args(ALL_INTERFACES, cert=cert), _production(tmp_path))
    with pytest.raises(ServeRefused, match="no such file"):
        transport_options(_args(ALL_INTERFACES, tmp_path / "none.pem", key), _production(tmp_path))


def test_serve_in_production_exits_before_touching_anything(tmp_path: Path) -> None:
    env = {**os.environ, "EXAMSVC_ENVIRONMENT": "production", "EXAMSVC_DATA_DIR": str(tmp_path / "data"),
           "EXAMSVC_DATABASE_URL": "postgresql+psycopg://exam@127.0.0.1:1/none",
           "EXAMSVC_LOG_ORIGIN": "exam.example.cn/log", "EXAMSVC_CERTIFICATE_ISSUER": "CN-14"}
    done = subprocess.run([sys.executable, "-m", "examsvc", "serve", "--host", ALL_INTERFACES], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--tls-cert FILE --tls-key FILE" in done.stderr
    assert not (tmp_path / "data").exists()


@contextmanager
def _server(tmp_path: Path, *extra: str, scheme: str, verify: ssl.SSLContext | bool = False) -> Iterator[str]:
    env = {**os.environ, "EXAMSVC_DATA_DIR": str(tmp_path / "data"), "EXAMSVC_PASSWORD_COST_LOG2": "10"}
    env.pop("EXAMSVC_DATABASE_URL", None)
    port = 19000 + os.getpid() % 1000
    base = f"{scheme}://127.0.0.1:{port}"
    process = subprocess.Popen([sys.executable, "-m", "examsvc", "serve", "--port", str(port), *extra], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", verify=verify).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=20)


def test_serve_speaks_https_with_the_given_certificate(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    trust = ssl.create_default_context(cafile=str(cert))
    with _server(tmp_path, "--tls-cert", str(cert), "--tls-key", str(key), scheme="https", verify=trust) as base:
        response = httpx.get(f"{base}/readyz", verify=trust)
        assert response.json() == {"status": "ok", "database": "ok"}
        assert response.headers["x-content-type-options"] == "nosniff"
        with pytest.raises(httpx.TransportError):  # no clear text on the same port
            httpx.get(base.replace("https://", "http://") + "/healthz")


def test_behind_a_named_proxy_the_forwarded_scheme_is_believed(tmp_path: Path) -> None:
    # The documented set-up: the proxy terminates TLS and forwards to examsvc on loopback with
    # X-Forwarded-Proto/-For; examsvc believes them from the proxy's address only.
    with _server(tmp_path, "--behind-proxy", "127.0.0.1", scheme="http") as base:
        redirect = httpx.get(f"{base}/sittings/", headers={"X-Forwarded-Proto": "https",
                                                           "X-Forwarded-For": "203.0.113.7"})
        assert redirect.status_code == 307 and redirect.headers["location"].startswith("https://")
    with _server(tmp_path, scheme="http") as base:
        redirect = httpx.get(f"{base}/sittings/", headers={"X-Forwarded-Proto": "https"})
        assert redirect.status_code == 307 and redirect.headers["location"].startswith("http://")
