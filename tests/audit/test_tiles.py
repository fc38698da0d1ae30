"""The log served as C2SP tlog-tiles, read by an independent client (tlog-scales, from PyPI): it rebuilds
the root from the tiles, matching the signed checkpoint, and computes proofs our verifier accepts. Hash
tiles are public; entry bundles are for auditors."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tlog_scales.backend import HttpBackend
from tlog_scales.reader import TilesReader
from tlog_scales.signing import Vkey, VkeySet

from examsvc.audit import log as audit_log
from examsvc.audit.actors import Actor
from examsvc.cli import main
from examsvc.crypto.signed_note import open_note, parse_vkey
from examsvc.identity.roles import Role
from examsvc.tlog.checkpoint import parse_checkpoint
from examsvc.tlog.rfc6962 import leaf_hash
from examsvc.tlog.tiles import parse_entry_bundle
from examsvc.tlog.verify import verify_consistency, verify_inclusion
from tests.builders import Actors
from tests.witness.running import running_witness


class ClientBackend:
    """tlog-scales' backend protocol over the test client: GET <prefix>/<path…>, None unless 200."""

    def __init__(self, client: TestClient, headers: dict[str, str] | None = None) -> None:
        self.client, self.headers = client, headers or {}
        self.fetched: list[str] = []

    def get(self, *path: str) -> bytes | None:
        url = "/audit/" + "/".join(path)
        self.fetched.append(url)
        response = self.client.get(url, headers=self.headers)
        return response.content if response.status_code == 200 else None


def _grow(db_session: Session, n: int) -> None:
    for i in range(n):
        audit_log.record(db_session=db_session, actor=Actor.system("test"), action="test.tile", subject_type="t",
                         subject_id=i)
    db_session.commit()


def test_an_independent_tile_client_rebuilds_the_signed_root(actors: Actors, db_session: Session) -> None:
    auditor = actors.user_with(Role.AUDITOR)
    first = parse_checkpoint(open_note(actors.client.post("/audit/checkpoint", headers=auditor).text,
                                       parse_vkey(actors.client.get("/audit/key").text)))
    _grow(db_session, 70_000 // 100)  # past a full level-0 tile and into level 1
    note = actors.client.post("/audit/checkpoint", headers=auditor).text
    verifier = parse_vkey(actors.client.get("/audit/key").text)
    signed = parse_checkpoint(open_note(note, verifier))
    assert signed.size > 512
    anonymous = ClientBackend(actors.client)
    reader = TilesReader(anonymous)
    checkpoint = reader.get_checkpoint()
    checkpoint.verify(Vkey.from_string(verifier.vkey()))  # their signed-note code, our log signature
    assert (checkpoint.size, checkpoint.root_hash) == (signed.size, signed.root)
    assert reader.calculate_root_hash() == signed.root
    assert any(".p/" in url for url in anonymous.fetched) and any("/tile/1/" in url for url in anonymous.fetched)
    proof = reader.get_consistency_proof(first.size, signed.size)
    verify_consistency(first.size, signed.size, first.root, signed.root, proof.node_hashes)
    # Entries: auditors only. Their bundles hash to the level-0 tiles and prove inclusion.
    with pytest.raises(RuntimeError):
        reader.get_entry(3)  # the anonymous reader is refused the bundle
    entries_reader = TilesReader(ClientBackend(actors.client, auditor))
    entries_reader.get_checkpoint()
    for index in (0, 255, 256, signed.size - 1):
        entry = entries_reader.get_entry(index)
        inclusion = entries_reader.get_inclusion_proof(index, signed.size)
        verify_inclusion(index, signed.size, leaf_hash(entry), inclusion.node_hashes, signed.root)


def test_tile_requests_name_their_problem(actors: Actors, db_session: Session) -> None:
    _grow(db_session, 10)
    auditor = actors.user_with(Role.AUDITOR)
    size = int(actors.client.post("/audit/checkpoint", headers=auditor).text.split("\n")[1])
    tile = actors.client.get(f"/audit/tile/0/000.p/{size}")
    assert tile.status_code == 200 and len(tile.content) == 32 * size
    assert tile.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert actors.client.get("/audit/tile/0/000").json()["error"] == "no_such_tile"  # not full yet
    assert actors.client.get(f"/audit/tile/0/000.p/{size + 1}").status_code == 404  # beyond the signed tree
    assert actors.client.get("/audit/tile/0/x000/000").json()["error"] == "bad_tile_path"
    assert actors.client.get("/audit/tile/64/000.p/1").json()["error"] == "bad_tile_path"
    assert actors.client.get("/audit/tile/entries/000.p/3").status_code == 401
    bundle = actors.client.get("/audit/tile/entries/000.p/3", headers=auditor | {"Accept-Encoding": "gzip"})
    assert bundle.status_code == 200 and bundle.headers["content-encoding"] == "gzip"
    entries = parse_entry_bundle(bundle.content)  # httpx undid the gzip
    assert [leaf_hash(e) for e in entries] == [tile.content[i * 32:(i + 1) * 32] for i in range(3)]


def test_a_running_service_serves_the_witness_cosigned_checkpoint_and_its_tiles(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """End to end: ``examsvc serve``'s background loop signs and submits to a witness on 127.0.0.1; the
    public checkpoint is the cosigned one, which an independent client verifies (log key and witness
    cosignature) and whose root it rebuilds from the tiles."""
    data = tmp_path / "data"
    monkeypatch.setenv("EXAMSVC_DATA_DIR", str(data))
    monkeypatch.delenv("EXAMSVC_DATABASE_URL", raising=False)
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["audit", "key"]) == 0
    log_vkey = capsys.readouterr().out.strip()
    (tmp_path / "log.vkey").write_text(log_vkey + "\n")
    monkeypatch.setenv("EXAMSVC_PASSWORD_COST_LOG2", "10")
    with running_witness(tmp_path / "witness", log_vkey) as witness:
        env = {**os.environ, "EXAMSVC_DATA_DIR": str(data), "EXAMSVC_CHECKPOINT_INTERVAL_SECONDS": "0.2",
               "EXAMSVC_PASSWORD_COST_LOG2": "10",
               "EXAMSVC_WITNESSES": witness.entry}
        env.pop("EXAMSVC_DATABASE_URL", None)
        port = 20000 + os.getpid() % 1000
        server = subprocess.Popen([sys.executable, "-m", "examsvc", "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for n in range(4):
                assert main(["sites", "create", f"E-{n}", "--name", "考点"]) == 0
            deadline = time.monotonic() + 30
            answer = httpx.Response(0)
            while True:
                try:
                    answer = httpx.get(f"{base}/audit/checkpoint")
                    if answer.status_code == 200 and int(answer.text.split("\n")[1]) >= 4:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline and server.poll() is None, f"no cosigned checkpoint: {answer.text}"
                time.sleep(0.2)
            note = answer.text
            reader = TilesReader(HttpBackend(f"{base}/audit"))
            checkpoint = reader.get_checkpoint()
            trusted = VkeySet(Vkey.from_string(log_vkey), Vkey.from_string(witness.vkey))
            valid = trusted.verify(checkpoint.signatures, checkpoint)
            assert {vkey.name for vkey, _ in valid} == {"examsvc.localhost/dev-log", "witness.test/w1"}
            assert reader.calculate_root_hash() == base64.b64decode(note.split("\n")[2])
            # A monitor with an auditor's token checks the same cosigned checkpoint and every entry.
            monkeypatch.setattr(sys, "stdin", io.StringIO("monitor passphrase\n"))
            assert main(["users", "create", "aud", "--name", "审计员", "--role", "auditor", "--password-stdin"]) == 0
            token = httpx.post(f"{base}/auth/login", json={"username": "aud", "password": "monitor passphrase"})
            monkeypatch.setenv("EXAMSVC_AUDITOR_TOKEN", token.json()["access_token"])
            capsys.readouterr()
            assert main(["audit", "verify", "--url", base, "--key", str(tmp_path / "log.vkey"), "--witness",
                         witness.vkey, "--state", str(tmp_path / "monitor")]) == 0, capsys.readouterr().err
            assert "cosigned by witness.test/w1" in capsys.readouterr().out
        finally:
            server.terminate()
            server.wait(timeout=20)
