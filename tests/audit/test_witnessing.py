"""Checkpoints leave the system: the log submits each new checkpoint to its witnesses, keeps their
cosignatures, exports and serves the cosigned checkpoint; ``audit verify`` requires the quorum. An owner
who rewrites the log consistently with the service's own key is refused by the witness and caught."""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from examsvc.cli import main
from examsvc.config import Settings
from examsvc.crypto.signed_note import Ed25519Signer, split_note, verifier_of
from examsvc.identity.roles import Role
from examsvc.tlog.cosignature import CosignatureSigner
from examsvc.tlog.rfc6962 import CompactRange, leaf_hash
from tests.builders import Actors
from tests.witness.running import RunningWitness, running_witness

DB_FILE = "examsvc.sqlite3"


@dataclass
class Deployment:
    base: Path
    data: Path
    witness: RunningWitness
    capsys: pytest.CaptureFixture[str]

    def run(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(list(argv))
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def verify(self, folder: Path, *extra: str) -> tuple[int, str, str]:
        return self.run("audit", "verify", str(folder), "--key", str(self.base / "trusted.vkey"), *extra)


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
               ) -> Iterator[Deployment]:
    """A small real log (sites made by the CLI) whose checkpoints a witness on 127.0.0.1 cosigns."""
    data = tmp_path / "data"
    monkeypatch.setenv("EXAMSVC_DATA_DIR", str(data))
    monkeypatch.delenv("EXAMSVC_DATABASE_URL", raising=False)
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["audit", "key"]) == 0
    log_vkey = capsys.readouterr().out
    (tmp_path / "trusted.vkey").write_text(log_vkey)
    with running_witness(tmp_path / "witness", log_vkey) as witness:
        (tmp_path / "witness.vkey").write_text(witness.vkey + "\n")
        monkeypatch.setenv("EXAMSVC_WITNESSES", witness.entry)
        for n in range(5):
            assert main(["sites", "create", f"W-{n}", "--name", f"考点{n}"]) == 0
        yield Deployment(base=tmp_path, data=data, witness=witness, capsys=capsys)


def _cosigners(note: str) -> list[str]:
    return [line.name for line in split_note(note)[1]]


def test_the_export_carries_the_witness_cosignature_and_verify_requires_it(deployment: Deployment) -> None:
    code, out, err = deployment.run("audit", "export", str(deployment.base / "export"))
    assert code == 0 and "carries 1 witness cosignature(s), quorum 1" in out, err
    note = (deployment.base / "export" / "checkpoint").read_text()
    assert _cosigners(note) == ["examsvc.localhost/dev-log", "witness.test/w1"]
    code, out, err = deployment.verify(deployment.base / "export", "--witness", str(deployment.base / "witness.vkey"))
    assert code == 0, err
    assert "cosigned by 1 trusted witness(es) (quorum 1): witness.test/w1" in out
    # The log submits each later checkpoint from the size the witness cosigned: it keeps cosigning.
    assert main(["sites", "create", "W-9", "--name", "考点9"]) == 0
    code, out, err = deployment.run("audit", "export", str(deployment.base / "export2"))
    assert code == 0 and "carries 1 witness cosignature" in out, err
    assert deployment.witness.witness.store.logs()[0][2] == 6


def test_verify_fails_naming_the_missing_cosignature(deployment: Deployment) -> None:
    deployment.run("audit", "export", str(deployment.base / "export"))
    folder = deployment.base / "export"
    # The log's own signature only: the witness line removed.
    note = (folder / "checkpoint").read_text()
    (folder / "checkpoint").write_text(note[:note.rindex("— witness.test/w1")])
    code, _, err = deployment.verify(folder, "--witness", deployment.witness.vkey)
    assert code == 1
    assert "VERIFICATION FAILED: the checkpoint carries 0 of the 1 required witness cosignatures: no " \
           "cosignature by witness witness.test/w1" in err
    # A witness the auditor trusts but who never cosigned: also refused, by name.
    other = "witness.other/w2+" + _other_witness_vkey_tail(deployment)
    code, _, err = deployment.verify(folder, "--witness", other, "--quorum", "1")
    assert code == 1 and "no cosignature by witness witness.other/w2" in err
    # Garbage as a witness key is a FAILED line too, not a traceback.
    code, _, err = deployment.verify(folder, "--witness", "nonsense+00+AAAA")
    assert code == 1 and err.startswith("VERIFICATION FAILED: witness key")
    code, _, err = deployment.verify(folder, "--witness", str(deployment.base / "no-such.vkey"))
    assert code == 1 and err.startswith("VERIFICATION FAILED: witness key")
    (folder / "checkpoint").write_bytes(b"\xff\xfe not a note")
    code, _, err = deployment.verify(folder, "--witness", deployment.witness.vkey)
    assert code == 1 and err.startswith("VERIFICATION FAILED: checkpoint")


def _other_witness_vkey_tail(deployment: Deployment) -> str:
    return CosignatureSigner("witness.other/w2", Ed25519PrivateKey.generate()).cosigner.vkey().split("+", 1)[1]


def _rewrite_consistently(db_file: Path, index: int, old: bytes, new: bytes) -> None:
    """What an insider with the database (and, below, the log key) does: drops the guards, edits entry
    ``index``, recomputes every later prev, every leaf and subtree hash and the head, and deletes the
    stored checkpoints and cosignatures that no longer match."""
    con = sqlite3.connect(db_file)
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'audit_%'"):
        con.execute(f"DROP TRIGGER {name}")
    entries = [bytes(e) for (e,) in con.execute("SELECT entry FROM audit_entry ORDER BY idx")]
    assert old in entries[index]
    entries[index] = entries[index].replace(old, new)
    compact = CompactRange()
    nodes: list[tuple[int, bytes]] = []
    for i, entry in enumerate(entries):
        if i > 0:
            entry = re.sub(rb'"prev":"[0-9a-f]*"', b'"prev":"%s"' % leaf_hash(entries[i - 1]).hex().encode(), entry)
            entries[i] = entry
        nodes += [(level << 40 | position, digest) for (level, position), digest in compact.append(leaf_hash(entry))]
        con.execute("UPDATE audit_entry SET entry = ?, leaf_hash = ? WHERE idx = ?", (entry, leaf_hash(entry), i))
    con.execute("DELETE FROM audit_node")
    con.executemany("INSERT INTO audit_node (id, hash) VALUES (?, ?)", nodes)
    # The head's record of what was signed goes too: the insider makes the log look never signed.
    con.execute("UPDATE audit_head SET size = ?, last_leaf_hash = ?, frontier = ?, signed_size = 0, signed_count = 0 "
                "WHERE id = 1", (len(entries), leaf_hash(entries[-1]), b"".join(compact.hashes)))
    con.execute("DELETE FROM audit_cosignature")
    con.execute("DELETE FROM audit_checkpoint")
    con.commit()
    con.close()


def test_a_consistent_rewrite_by_the_database_owner_is_refused_by_the_witness_and_caught_by_verify(
        deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    honest = deployment.base / "honest"
    assert deployment.run("audit", "export", str(honest))[0] == 0  # the witness has now cosigned size 5
    # The insider works on a copy of the real deployment: database and the service's own signing key.
    insider = deployment.base / "insider"
    shutil.copytree(deployment.data, insider)
    _rewrite_consistently(insider / DB_FILE, 2, "考点2".encode(), "考点X".encode())
    monkeypatch.setenv("EXAMSVC_DATA_DIR", str(insider))
    assert main(["sites", "create", "W-7", "--name", "考点7"]) == 0  # the forged history goes on growing
    forged = deployment.base / "forged"
    code, _, err = deployment.run("audit", "export", str(forged))
    # The log believes it is fine and signs, but the witness refuses: its proof from 5 does not verify.
    assert code == 0
    assert "witness witness.test/w1 refused checkpoint 6 (422)" in err and "the log was rewritten" in err
    assert "0 of 1 required witness cosignatures" in err
    assert deployment.witness.witness.store.refusals("examsvc.localhost/dev-log")[0][0] == 422
    # Signed with the real key, the forgery passes a check of the log signature alone …
    assert deployment.verify(forged, "--quorum", "0")[0] == 0
    # … but not the witness requirement, which names why.
    code, _, err = deployment.verify(forged, "--witness", deployment.witness.vkey)
    assert code == 1
    assert "VERIFICATION FAILED: the checkpoint carries 0 of the 1 required witness cosignatures" in err
    # The insider cannot borrow the honest cosignature either: it signs the honest root, not the forged one.
    honest_line = (honest / "checkpoint").read_text().split("\n")[-2] + "\n"
    (forged / "checkpoint").write_text((forged / "checkpoint").read_text() + honest_line)
    code, _, err = deployment.verify(forged, "--witness", deployment.witness.vkey)
    assert code == 1 and "does not verify for this checkpoint" in err
    # The honest log still passes with the witness.
    monkeypatch.setenv("EXAMSVC_DATA_DIR", str(deployment.data))
    assert deployment.verify(honest, "--witness", deployment.witness.vkey)[0] == 0


def test_a_same_size_rewrite_is_refused_as_a_fork(deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    assert deployment.run("audit", "export", str(deployment.base / "honest"))[0] == 0
    insider = deployment.base / "insider"
    shutil.copytree(deployment.data, insider)
    _rewrite_consistently(insider / DB_FILE, 4, "考点4".encode(), "考点Y".encode())
    monkeypatch.setenv("EXAMSVC_DATA_DIR", str(insider))
    _, _, err = deployment.run("audit", "export", str(deployment.base / "forged"))
    assert "it cosigned a different tree of size 5 (409)" in err


def test_the_served_checkpoint_waits_for_the_quorum(app: FastAPI, settings: Settings, actors: Actors) -> None:
    signed = actors.client.post("/audit/checkpoint", headers=actors.user_with(Role.AUDITOR)).text
    vkey = CosignatureSigner("witness.test/w3", Ed25519PrivateKey.generate()).cosigner.vkey()
    witnesses = (f"{vkey} http://127.0.0.1:9",)
    app.state.settings = settings.model_copy(update={"witnesses": witnesses})
    response = actors.client.get("/audit/checkpoint")
    assert (response.status_code, response.json()["error"]) == (404, "no_cosigned_checkpoint")
    assert response.json()["detail"]["latest_signed_size"] == int(signed.split("\n")[1])
    app.state.settings = settings.model_copy(update={"witnesses": witnesses, "witness_quorum": 0})
    assert actors.client.get("/audit/checkpoint").text == signed


def test_witness_settings_are_checked_at_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="expected '<witness vkey> <URL>'"):
        Settings(_env_file=None, data_dir=tmp_path, witnesses="just-one-word")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="not an Ed25519 cosignature/v1 verifier key"):
        log_key = verifier_of(Ed25519Signer("a.example/log", Ed25519PrivateKey.generate())).vkey()
        Settings(_env_file=None, data_dir=tmp_path, witnesses=f"{log_key} http://x")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="EXAMSVC_WITNESS_QUORUM is 1 but only 0"):
        Settings(_env_file=None, data_dir=tmp_path, witness_quorum=1)  # type: ignore[call-arg]
