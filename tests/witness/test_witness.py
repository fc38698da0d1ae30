"""The witness (C2SP tlog-witness §add-checkpoint) over HTTP: cosigns a log's checkpoints that extend what
it cosigned before, refuses everything else with the spec's status codes, and remembers across restarts."""

from __future__ import annotations

import base64
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.testclient import TestClient
from tlog_scales.signing import NoteSignature, Vkey
from tlog_scales.tlog import Checkpoint as ScalesCheckpoint

from examsvc.cli import main
from examsvc.crypto.signed_note import Ed25519Signer, sign_note, split_note, verifier_of
from examsvc.tlog.checkpoint import Checkpoint
from examsvc.tlog.cosignature import parse_cosigner_vkey
from examsvc.tlog.proofs import consistency_proof, root_from_nodes
from examsvc.tlog.rfc6962 import CompactRange, leaf_hash
from examsvc.tlog.witness_protocol import AddCheckpoint
from examsvc.witness.app import create_witness_app
from examsvc.witness.keys import KEY_FILE, WitnessSetupError, open_witness

ORIGIN = "test.example/log"
LOG = Ed25519Signer(ORIGIN, Ed25519PrivateKey.generate())


class Tree:
    """A log's tree kept in memory: every perfect subtree, as examsvc stores them."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        compact = CompactRange()
        for leaf in leaves:
            self.nodes.update(compact.append(leaf_hash(leaf)))
        self.size = len(leaves)

    def note(self, signer: Ed25519Signer = LOG) -> str:
        return sign_note(Checkpoint(ORIGIN, self.size, root_from_nodes(self.size, self.nodes)).body(), signer)

    def proof_from(self, old: int) -> list[bytes]:
        return consistency_proof(old, self.size, self.nodes) if 0 < old < self.size else []


def _leaves(n: int, tag: bytes = b"entry") -> list[bytes]:
    return [tag + b"-%d" % i for i in range(n)]


@pytest.fixture
def witness_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "witness"
    open_witness(folder, "witness.test/w1").store.add_log(verifier_of(LOG))
    return folder


def _client(folder: Path) -> TestClient:
    return TestClient(create_witness_app(open_witness(folder)))


def _add(client: TestClient, old: int, tree: Tree, note: str | None = None,
         proof: list[bytes] | None = None) -> httpx.Response:
    body = AddCheckpoint(old_size=old, proof=tree.proof_from(old) if proof is None else proof,
                         note=note or tree.note()).body()
    return client.post("/add-checkpoint", content=body)


def test_the_witness_cosigns_a_first_checkpoint_and_each_consistent_extension(witness_dir: Path) -> None:
    client = _client(witness_dir)
    cosigner = open_witness(witness_dir).signer.cosigner
    for old, tree in ((0, Tree(_leaves(5))), (5, Tree(_leaves(13))), (13, Tree(_leaves(64)))):
        response = _add(client, old, tree)
        assert response.status_code == 200, response.text
        body, _ = split_note(tree.note())
        line = response.text
        assert line.startswith("— witness.test/w1 ") and line.endswith("\n")
        from examsvc.crypto.signed_note import parse_signature_line
        timestamp = cosigner.verify(body, parse_signature_line(line))
        assert abs(timestamp - time.time()) < 60
        # An independent implementation (tlog-scales) checks the cosignature/v1 too.
        vkey = Vkey.from_string(cosigner.vkey())
        checkpoint = ScalesCheckpoint.from_text(tree.note())
        vkey.get_verifier().verify(NoteSignature.from_line(line.rstrip("\n")).payload, checkpoint)


def test_a_stale_old_size_gets_409_with_the_witness_size(witness_dir: Path) -> None:
    client = _client(witness_dir)
    assert _add(client, 0, Tree(_leaves(8))).status_code == 200
    response = _add(client, 0, Tree(_leaves(10)))
    assert response.status_code == 409
    assert response.headers["content-type"] == "text/x.tlog.size"
    assert response.text == "8\n"
    older = _add(client, 5, Tree(_leaves(6)))  # older than what it cosigned
    assert (older.status_code, older.text) == (409, "8\n")


def test_a_rewritten_log_is_refused_with_422_and_kept_as_evidence(witness_dir: Path) -> None:
    client = _client(witness_dir)
    assert _add(client, 0, Tree(_leaves(8))).status_code == 200
    rewritten = _leaves(12)
    rewritten[3] = b"entry-3 edited by the database owner"
    forged = Tree(rewritten)
    response = _add(client, 8, forged)  # a well-formed proof, but of the rewritten tree
    assert response.status_code == 422, response.text
    assert "一致性证明不成立" in response.text
    assert open_witness(witness_dir).store.refusals(ORIGIN)[0][0] == 422
    # Same size, other root: a fork, 409.
    same_size = _leaves(8)
    same_size[0] = b"other"
    assert _add(client, 8, Tree(same_size)).status_code == 409
    # The honest extension is still cosigned.
    assert _add(client, 8, Tree(_leaves(12))).status_code == 200


def test_unknown_origin_unknown_key_and_bad_requests_are_refused(witness_dir: Path) -> None:
    client = _client(witness_dir)
    tree = Tree(_leaves(4))
    stranger = Ed25519Signer(ORIGIN, Ed25519PrivateKey.generate())  # same origin, a key the witness never trusted
    assert _add(client, 0, tree, note=tree.note(stranger)).status_code == 403
    other_origin = sign_note(Checkpoint("other.example/log", 4, b"\x00" * 32).body(), LOG)
    assert _add(client, 0, tree, note=other_origin).status_code == 404
    assert _add(client, 9, tree, proof=[]).status_code == 400  # old size above the checkpoint size
    assert client.post("/add-checkpoint", content=b"old 01\n\n" + tree.note().encode()).status_code == 400
    assert client.post("/add-checkpoint", content=b"x" * 70_000).status_code == 413
    assert _add(client, 0, tree, proof=[b"\x00" * 32]).status_code == 400  # old 0 takes no proof
    # None of that moved the witness: the first honest checkpoint is still taken from 0.
    assert _add(client, 0, tree).status_code == 200


def test_a_restarted_witness_keeps_its_state_key_and_name(witness_dir: Path) -> None:
    vkey = open_witness(witness_dir).signer.cosigner.vkey()
    assert _add(_client(witness_dir), 0, Tree(_leaves(7))).status_code == 200
    restarted = _client(witness_dir)  # a new process would open the same folder
    assert open_witness(witness_dir).signer.cosigner.vkey() == vkey
    assert _add(restarted, 0, Tree(_leaves(9))).text == "7\n"
    assert _add(restarted, 7, Tree(_leaves(9))).status_code == 200
    assert stat.S_IMODE((witness_dir / KEY_FILE).stat().st_mode) == 0o600
    with pytest.raises(WitnessSetupError):
        open_witness(witness_dir, "another.name/w9")


def test_witness_commands_print_the_key_trust_a_log_and_serve(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    folder = tmp_path / "w"
    assert main(["witness", "key", "--data-dir", str(folder), "--name", "witness.test/cli"]) == 0
    vkey = capsys.readouterr().out.strip()
    assert parse_cosigner_vkey(vkey).name == "witness.test/cli"
    (tmp_path / "log.vkey").write_text(verifier_of(LOG).vkey() + "\n")
    assert main(["witness", "add-log", "--data-dir", str(folder), "not+a+key"]) == 1
    port = 18000 + (hash(str(tmp_path)) % 1000)
    server = subprocess.Popen([sys.executable, "-m", "examsvc", "witness", "serve", "--data-dir", str(folder),
                               "--port", str(port), "--origin-key", str(tmp_path / "log.vkey")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.post(f"http://127.0.0.1:{port}/add-checkpoint",
                                      content=AddCheckpoint(0, [], Tree(_leaves(3)).note()).body())
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.2)
        assert response.status_code == 200
        assert base64.b64decode(response.text.split()[2])[:4] == parse_cosigner_vkey(vkey).key_id
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert main(["witness", "logs", "--data-dir", str(folder)]) == 0
    assert f"{ORIGIN}\t3\t" in capsys.readouterr().out
