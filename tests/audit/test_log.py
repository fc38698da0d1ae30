"""The log through the service: one entry per action in the same transaction, append-only tables,
proofs that verify against signed checkpoints, and a signer that refuses an altered log."""

from __future__ import annotations

import base64
import itertools
import json
import threading
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from examsvc.audit import log as audit_log
from examsvc.audit import repository
from examsvc.audit.actors import Actor
from examsvc.audit.checkpoints import InconsistentLog, sign_if_grown
from examsvc.audit.models import AuditEntry
from examsvc.audit.offline import verify_entries
from examsvc.bootstrap import transaction
from examsvc.crypto.signed_note import Ed25519Signer, open_note, parse_vkey, verifier_of
from examsvc.identity.roles import Role
from examsvc.sites import service as sites_service
from examsvc.sites.models import Site
from examsvc.tlog.checkpoint import parse_checkpoint
from examsvc.tlog.proofs import inclusion_proof, nodes_for_inclusion
from examsvc.tlog.rfc6962 import leaf_hash
from examsvc.tlog.verify import verify_consistency, verify_inclusion
from tests.builders import DEFAULT_PASSWORD, TEST_ACTOR, Actors, make_user


def _entry(db_session: Session, index: int) -> dict[str, Any]:
    [raw] = repository.entries(db_session, index, index + 1)
    entry: dict[str, Any] = json.loads(raw)
    return entry


def test_an_action_answers_with_the_index_of_its_entry(actors: Actors, db_session: Session) -> None:
    admin = actors.user_with(Role.SYSTEM_ADMIN)
    response = actors.client.post("/sites", headers=admin, json={"code": "LOG-1", "name": "日志考点"})
    index = int(response.headers["Audit-Entry"])
    entry = _entry(db_session, index)
    assert entry["index"] == index
    assert entry["action"] == "site.created"
    site_id = db_session.scalars(select(Site.id).where(Site.code == "LOG-1")).one()
    assert entry["subject"] == {"type": "site", "id": str(site_id)}
    assert entry["actor"]["type"] == "user" and entry["actor"]["roles"] == ["system_admin"]
    assert entry["request_id"] == response.headers["X-Request-ID"]
    assert entry["time"].endswith("Z")
    assert "enrolment_code" not in json.dumps(entry) and response.json()["enrolment_code"] not in json.dumps(entry)


def test_refused_actions_leave_no_entry_and_no_header(actors: Actors, db_session: Session) -> None:
    before = repository.committed_size(db_session)
    response = actors.client.post("/sites", headers=actors.user_with(Role.PROCTOR), json={"code": "X", "name": "x"})
    assert response.status_code == 403 and "Audit-Entry" not in response.headers
    assert repository.committed_size(db_session) == before + 2  # only the proctor's creation and login


@pytest.mark.parametrize(("request_args", "action"), [
    (("post", "/users", {"username": "newuser", "display_name": "新", "password": "a long passphrase"}),
     "user.created"),
    (("post", "/sites", {"code": "S-9", "name": "考点"}), "site.created"),
])
def test_each_action_writes_its_named_entry(actors: Actors, db_session: Session,
                                            request_args: tuple[str, str, dict[str, str]], action: str) -> None:
    method, path, body = request_args
    response = actors.client.request(method, path, headers=actors.user_with(Role.SYSTEM_ADMIN), json=body)
    assert _entry(db_session, int(response.headers["Audit-Entry"]))["action"] == action


def test_logins_and_failures_are_logged_without_secrets(actors: Actors, db_session: Session) -> None:
    user = make_user(db_session, Role.PROCTOR)
    failed = actors.client.post("/auth/login", json={"username": user.username, "password": "wrong-secret-1"})
    ok = actors.client.post("/auth/login", json={"username": user.username, "password": DEFAULT_PASSWORD})
    entries = [_entry(db_session, int(r.headers["Audit-Entry"])) for r in (failed, ok)]
    assert [e["action"] for e in entries] == ["auth.login_failed", "auth.logged_in"]
    text_of_log = json.dumps(entries)
    assert "wrong-secret-1" not in text_of_log and ok.json()["access_token"] not in text_of_log


def test_the_action_and_its_entry_vanish_together_when_the_action_fails(app: FastAPI, actors: Actors,
                                                                        db_session: Session) -> None:
    before = repository.committed_size(db_session)

    admin = actors.user_with(Role.SYSTEM_ADMIN)
    size_after_login = repository.committed_size(db_session)
    original = sites_service.create_site

    def create_then_fail(**kwargs: Any) -> Any:
        original(**kwargs)
        raise RuntimeError("the action fails after its entry was written")

    import examsvc.sites.endpoints as endpoints

    endpoints.service.create_site = create_then_fail  # type: ignore[assignment]
    try:
        response = actors.client.post("/sites", headers=admin, json={"code": "GONE", "name": "失败"})
    finally:
        endpoints.service.create_site = original  # type: ignore[assignment]
    assert response.status_code == 500 and "Audit-Entry" not in response.headers
    db_session.expire_all()
    assert repository.committed_size(db_session) == size_after_login > before
    assert db_session.scalars(select(Site).where(Site.code == "GONE")).all() == []


def test_no_action_without_its_entry(actors: Actors, db_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    admin = actors.user_with(Role.SYSTEM_ADMIN)
    size = repository.committed_size(db_session)

    def broken_log(**_: Any) -> int:
        raise RuntimeError("the log cannot be written")

    monkeypatch.setattr(audit_log, "record", broken_log)
    monkeypatch.setattr(sites_service.audit, "record", broken_log)
    response = actors.client.post("/sites", headers=admin, json={"code": "NOLOG", "name": "无日志"})
    assert response.status_code == 500
    db_session.expire_all()
    assert db_session.scalars(select(Site).where(Site.code == "NOLOG")).all() == []
    assert repository.committed_size(db_session) == size


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entry SET entry = entry WHERE idx = :i",
    "DELETE FROM audit_entry WHERE idx = :i",
    "UPDATE audit_node SET hash = hash",
    "DELETE FROM audit_node",
    "UPDATE audit_checkpoint SET note = 'forged'",
    "DELETE FROM audit_checkpoint",
])
def test_the_database_refuses_changes_to_the_log(db_session: Session, statement: str) -> None:
    audit_log.record(db_session=db_session, actor=TEST_ACTOR, action="test.action", subject_type="test",
                     subject_id=1)
    index = int(_sign(db_session).split("\n")[1]) - 1
    with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
        db_session.execute(text(statement), {"i": index})


def test_the_database_refuses_truncate_of_the_log_on_postgresql(db_session: Session) -> None:
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    for table in ("audit_entry", "audit_node", "audit_checkpoint"):
        with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
            db_session.execute(text(f"TRUNCATE {table}"))


SIGNER = Ed25519Signer("test.example/log", Ed25519PrivateKey.generate())


def _sign(db_session: Session) -> str:
    return sign_if_grown(db_session=db_session, signer=SIGNER).note


def test_http_proofs_verify_against_the_signed_checkpoint(actors: Actors, app: FastAPI) -> None:
    admin = actors.user_with(Role.SYSTEM_ADMIN)
    first_note = actors.client.post("/audit/checkpoint", headers=admin).text
    for n in range(3):
        actors.client.post("/sites", headers=admin, json={"code": f"P-{n}", "name": "考点"})
    note = actors.client.post("/audit/checkpoint", headers=admin).text
    assert actors.client.get("/audit/checkpoint").text == note
    verifier = parse_vkey(actors.client.get("/audit/key").text)
    old = parse_checkpoint(open_note(first_note, verifier))
    new = parse_checkpoint(open_note(note, verifier))
    auditor = actors.user_with(Role.AUDITOR)
    lines = actors.client.get("/audit/entries", params={"start": 0, "end": new.size}, headers=auditor).content
    entries = lines.split(b"\n")[:-1]
    assert len(entries) == new.size and lines.endswith(b"\n")
    for index in (0, new.size // 2, new.size - 1):
        proof = actors.client.get("/audit/proofs/inclusion", params={"index": index, "tree_size": new.size},
                                  headers=auditor).json()
        verify_inclusion(index, new.size, leaf_hash(entries[index]), [base64.b64decode(h) for h in proof["hashes"]],
                         new.root)
    consistency = actors.client.get("/audit/proofs/consistency", params={"first": old.size, "second": new.size},
                                    headers=auditor).json()
    verify_consistency(old.size, new.size, old.root, new.root, [base64.b64decode(h) for h in consistency["hashes"]])


def test_proof_requests_beyond_the_log_are_refused(actors: Actors) -> None:
    auditor = actors.user_with(Role.AUDITOR)
    response = actors.client.get("/audit/proofs/inclusion", params={"index": 0, "tree_size": 10**9}, headers=auditor)
    assert (response.status_code, response.json()["error"]) == (422, "beyond_log_size")
    bad = actors.client.get("/audit/proofs/consistency", params={"first": 5, "second": 2}, headers=auditor)
    assert bad.status_code == 422


def test_the_signer_refuses_a_log_that_no_longer_extends_its_last_checkpoint(fresh_engine: Engine) -> None:
    with transaction(fresh_engine) as db_session:
        for n in range(5):
            audit_log.record(db_session=db_session, actor=TEST_ACTOR, action="test.action", subject_type="t",
                             subject_id=n)
        _sign(db_session)
        audit_log.record(db_session=db_session, actor=TEST_ACTOR, action="test.action", subject_type="t",
                         subject_id=5)
    # A database owner disables the guard and rewrites the stored hash of leaves 0-3, part of the signed tree.
    with fresh_engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_node DISABLE TRIGGER audit_node_append_only"))
        else:
            connection.execute(text("DROP TRIGGER audit_node_no_update"))
        connection.execute(text("UPDATE audit_node SET hash = :h WHERE id = :id"),
                           {"h": b"\x00" * 32, "id": repository.node_id((2, 0))})
    with pytest.raises(InconsistentLog), transaction(fresh_engine) as db_session:
        _sign(db_session)


def test_concurrent_writers_get_gapless_indices(fresh_engine: Engine) -> None:
    writers, per_writer = 8, 10
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for n in range(per_writer):
                with transaction(fresh_engine) as db_session:
                    audit_log.record(db_session=db_session, actor=Actor.system(f"worker {worker}"),
                                     action="test.concurrent", subject_type="t", subject_id=n)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with transaction(fresh_engine) as db_session:
        indices = list(db_session.scalars(select(AuditEntry.idx).order_by(AuditEntry.idx)))
        assert indices == list(range(writers * per_writer))
        assert repository.committed_size(db_session) == writers * per_writer
        # The chain and the tree are intact: every entry names its predecessor's hash.
        entries = repository.entries(db_session, 0, writers * per_writer)
        for previous, current in itertools.pairwise(entries):
            assert json.loads(current)["prev"] == leaf_hash(previous).hex()
        # Whatever wrote them (Python on SQLite, audit_append() on PostgreSQL), the entries are canonical
        # and the signed root and the stored proofs agree with a verifier that trusts none of it.
        note = _sign(db_session)
        checkpoint = parse_checkpoint(open_note(note, verifier_of(SIGNER)))
        verify_entries([e + b"\n" for e in entries], checkpoint, strict=True)
        stored = repository.nodes(db_session, nodes_for_inclusion(37, len(entries)))
        verify_inclusion(37, len(entries), leaf_hash(entries[37]), inclusion_proof(37, len(entries), stored),
                         checkpoint.root)
        assert db_session.scalar(select(func.count()).select_from(AuditEntry)) == writers * per_writer
