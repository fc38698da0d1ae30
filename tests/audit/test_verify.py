"""``examsvc audit verify`` catches every tampering of an export and names where; it also monitors a
running server over HTTP, remembering the last head it trusted."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from examsvc.audit.offline import verify_export
from examsvc.cli import main
from examsvc.crypto.signed_note import Ed25519Signer, sign_note, verifier_of
from examsvc.tlog.checkpoint import Checkpoint
from examsvc.tlog.rfc6962 import leaf_hash, root_of

ORIGIN = "examsvc.localhost/dev-log"


@pytest.fixture
def exported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    """An export of a small real log (site creations by the CLI), with the trusted key beside it."""
    monkeypatch.setenv("EXAMSVC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("EXAMSVC_DATABASE_URL", raising=False)
    assert main(["db", "upgrade"]) == 0
    for n in range(6):
        assert main(["sites", "create", f"T-{n}", "--name", f"考点{n}"]) == 0
    assert main(["audit", "export", str(tmp_path / "export")]) == 0
    capsys.readouterr()
    assert main(["audit", "key"]) == 0
    (tmp_path / "trusted.vkey").write_text(capsys.readouterr().out)
    return tmp_path


def _tampered(base: Path, change: Callable[[list[bytes]], list[bytes]]) -> Path:
    folder = base / f"tampered-{len(list(base.iterdir()))}"
    shutil.copytree(base / "export", folder)
    lines = (folder / "entries.jsonl").read_bytes().splitlines(keepends=True)
    (folder / "entries.jsonl").write_bytes(b"".join(change(lines)))
    return folder


def _failure(base: Path, folder: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    capsys.readouterr()
    code = main(["audit", "verify", str(folder), "--key", str(base / "trusted.vkey"), *extra])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "VERIFICATION FAILED" in err
    return err


def test_an_untouched_export_verifies(exported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["audit", "verify", str(exported / "export"), "--key", str(exported / "trusted.vkey"),
                 "--strict"]) == 0
    assert re.search(r"OK: 6 entries match", capsys.readouterr().out)


def test_one_changed_byte_is_caught_and_named(exported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def change(lines: list[bytes]) -> list[bytes]:
        lines[2] = lines[2].replace("考点2".encode(), "考点9".encode())
        return lines

    assert "entry 2:" in _failure(exported, _tampered(exported, change), capsys)


def test_a_changed_last_entry_is_caught_by_the_root(exported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def change(lines: list[bytes]) -> list[bytes]:
        lines[-1] = lines[-1].replace(b"T-5", b"T-X")
        return lines

    assert "entry 5:" in _failure(exported, _tampered(exported, change), capsys)


def test_a_deleted_entry_is_caught_and_named(exported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "entry 3:" in _failure(exported, _tampered(exported, lambda lines: lines[:3] + lines[4:]), capsys)


def test_an_inserted_entry_is_caught_and_named(exported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _failure(exported, _tampered(exported, lambda lines: [*lines[:3], lines[2], *lines[3:]]), capsys)
    assert "entry 3:" in err


def test_two_swapped_entries_are_caught_and_named(exported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _failure(exported, _tampered(exported, lambda lines: [*lines[:1], lines[2], lines[1], *lines[3:]]), capsys)
    assert "entry 1:" in err


def test_a_truncated_tail_is_caught(exported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "covers 6 entries but there are 4" in _failure(exported, _tampered(exported, lambda lines: lines[:4]),
                                                          capsys)


def test_truncated_and_re_signed_with_a_forged_key_is_caught(exported: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    folder = _tampered(exported, lambda lines: lines[:4])
    entries = (folder / "entries.jsonl").read_bytes().splitlines()
    forged = Ed25519Signer(ORIGIN, Ed25519PrivateKey.generate())
    root = root_of([leaf_hash(e) for e in entries])
    (folder / "checkpoint").write_text(sign_note(Checkpoint(ORIGIN, len(entries), root).body(), forged))
    err = _failure(exported, folder, capsys)
    assert "signature" in err
    # Even trusting the forged export's own key, the older checkpoint held by the auditor catches it.
    (folder / "log.vkey").write_text(verifier_of(forged).vkey())
    capsys.readouterr()
    code = main(["audit", "verify", str(folder), "--since", str(exported / "export" / "checkpoint")])
    assert code == 1 and "older checkpoint" in capsys.readouterr().err


def test_a_longer_log_must_extend_the_older_checkpoint(exported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = exported / "old-checkpoint"
    shutil.copy(exported / "export" / "checkpoint", old)
    assert main(["sites", "create", "T-LATE", "--name", "后来的考点"]) == 0
    assert main(["audit", "export", str(exported / "export2")]) == 0
    capsys.readouterr()
    assert main(["audit", "verify", str(exported / "export2"), "--key", str(exported / "trusted.vkey"),
                 "--since", str(old)]) == 0
    assert "extends the older checkpoint of 6 entries" in capsys.readouterr().out


def test_verify_export_is_a_library_function_too(exported: Path) -> None:
    verified = verify_export(exported / "export", vkey=(exported / "trusted.vkey").read_text())
    assert verified.checkpoint.size == 6 and not verified.key_from_export


def test_monitoring_a_running_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "EXAMSVC_DATA_DIR": str(data), "EXAMSVC_PASSWORD_COST_LOG2": "10",
           "EXAMSVC_CHECKPOINT_INTERVAL_SECONDS": "0.2"}
    env.pop("EXAMSVC_DATABASE_URL", None)
    monkeypatch.setenv("EXAMSVC_DATA_DIR", str(data))
    monkeypatch.setenv("EXAMSVC_PASSWORD_COST_LOG2", "10")
    monkeypatch.delenv("EXAMSVC_DATABASE_URL", raising=False)
    port = 19000 + os.getpid() % 1000
    server = subprocess.Popen([sys.executable, "-m", "examsvc", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/healthz")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.2)
        monkeypatch.setattr(sys, "stdin", io.StringIO("monitor passphrase\n"))
        assert main(["users", "create", "aud", "--name", "审计员", "--role", "auditor", "--password-stdin"]) == 0
        token = httpx.post(f"{base}/auth/login", json={"username": "aud", "password": "monitor passphrase"}).json()
        monkeypatch.setenv("EXAMSVC_AUDITOR_TOKEN", token["access_token"])
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        state = tmp_path / "monitor.checkpoint"
        for round_ in range(2):
            httpx.post(f"{base}/audit/checkpoint", headers=headers)
            capsys.readouterr()
            assert main(["audit", "verify", "--url", base, "--state", str(state)]) == 0, capsys.readouterr().err
            out = capsys.readouterr().out
            assert ("now trusted" if round_ == 0 else "extends the trusted checkpoint") in out
            httpx.post(f"{base}/auth/login", json={"username": "aud", "password": "monitor passphrase"})
    finally:
        server.terminate()
        server.wait(timeout=20)
