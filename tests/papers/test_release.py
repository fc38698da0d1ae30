"""Issue 14 items 1, 2, 13 and 12 (key file modes): a paper set belongs to its sitting, is approved and
read only by that sitting's chief examiner, opens only through the sitting's opening, and until then
its data key is sealed to the chief examiner: nothing the server holds opens it."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from examsvc.app import create_app
from examsvc.audit import repository
from examsvc.audit.keys import KeyFileError, key_path, load_signer
from examsvc.audit.models import AuditEntry
from examsvc.config import Settings
from examsvc.crypto.envelope import EnvelopeError, FileKeyProvider, KeyFileModeError, open_sealed, seal
from examsvc.crypto.recipient import hkdf_sha256, open_from
from examsvc.examiners import service as examiners
from examsvc.examiners.exchange import INFO
from examsvc.examiners.models import ExaminerExchangeKey, ExaminerKey
from examsvc.identity.roles import Role
from examsvc.papers import sealing
from examsvc.papers.models import Paper, PaperSet
from tests.attempts.exam import PASSPHRASE, Exam
from tests.builders import (
    Actors,
    auth_header,
    login,
    make_theory_sitting,
    make_user,
    open_sitting,
    register_candidates,
)
from tests.sittings.conftest import Day, day  # noqa: F401  (the fixture, shared)


def _set(db_session: Session, paper_set_id: int) -> PaperSet:
    db_session.expire_all()
    row = db_session.get(PaperSet, paper_set_id)
    assert row is not None
    return row


def test_a_chief_examiner_of_another_sitting_cannot_approve_or_read(actors: Actors, day: Day) -> None:  # noqa: F811
    exam = Exam(day, candidates=1)
    stranger = actors.user_with(Role.CHIEF_EXAMINER)
    assert actors.client.post("/examiners/me/key", headers=stranger, json={"passphrase": PASSPHRASE}).status_code == 201
    for method, path, body in (
            ("POST", f"/paper-sets/{exam.paper_set}/approve", {"passphrase": PASSPHRASE}),
            ("GET", f"/paper-sets/{exam.paper_set}/papers/{exam.admissions[0]}", None),
            ("GET", f"/paper-sets/{exam.paper_set}", None)):
        refused = exam.client.request(method, path, headers=stranger, json=body)
        assert (refused.status_code, refused.json()["error"]) == (403, "not_assigned"), path
    assert len(exam.client.get(f"/paper-sets/{exam.paper_set}/papers/{exam.admissions[0]}",
                               headers=exam.chief).json()["items"]) == 100


def test_there_is_no_route_that_opens_or_closes_a_set_by_itself(day: Day) -> None:  # noqa: F811
    exam = Exam(day, candidates=1, open_sitting=False)
    for action in ("open", "close"):
        response = exam.client.post(f"/paper-sets/{exam.paper_set}/{action}", headers=exam.chief, json={})
        assert response.status_code in (404, 405), action
    assert _set(day.db_session, exam.paper_set).status == "approved"
    assert _set(day.db_session, exam.paper_set).wrapped_data_key == b""


@pytest.mark.parametrize("tampering", [{"status": "opened"}, {"status": "closed"}, {"revealed_seed": "00" * 32}])
def test_a_sitting_whose_set_was_opened_early_in_the_database_refuses_to_open(
        day: Day, tampering: dict[str, Any]) -> None:  # noqa: F811
    exam = Exam(day, candidates=1, open_sitting=False)
    day.db_session.execute(update(PaperSet).where(PaperSet.id == exam.paper_set).values(**tampering))
    day.db_session.commit()
    refused = open_sitting(exam.client, exam.code, exam.chief, PASSPHRASE)
    assert (refused.status_code, refused.json()["error"]) == (409, "paper_set_opened_early")
    assert refused.json()["detail"]["paper_set_ids"] == [exam.paper_set]
    assert "泄露" in refused.json()["message"]
    assert exam.client.get(f"/sittings/{exam.code}", headers=exam.chief).json()["status"] == "scheduled"


def test_a_sitting_whose_set_is_not_approved_refuses_to_open(day: Day) -> None:  # noqa: F811
    exam = Exam(day, candidates=1, open_sitting=False)
    [late], _ = register_candidates(exam.client, day.admin, exam.code, 1, first=700)
    assert exam.client.post(f"/paper-sets/{exam.paper_set}/supplements", headers=day.admin,
                            json={"candidates": [late]}).status_code == 201  # unapproved supplements may wait
    day.db_session.execute(update(PaperSet).where(PaperSet.id == exam.paper_set).values(status="sealed"))
    day.db_session.commit()
    refused = open_sitting(exam.client, exam.code, exam.chief, PASSPHRASE)
    assert (refused.status_code, refused.json()["error"]) == (409, "paper_set_not_approved")


def _written(db_session: Session) -> tuple[int, int, int]:
    counts = (db_session.scalar(select(func.count()).select_from(PaperSet)),
              db_session.scalar(select(func.count()).select_from(Paper)),
              db_session.scalar(select(func.count()).select_from(AuditEntry)))
    db_session.commit()
    return counts  # type: ignore[return-value]


def test_papers_only_for_an_existing_sitting_under_its_rule_for_its_registered_candidates(
        actors: Actors, day: Day) -> None:  # noqa: F811
    chief = actors.user_with(Role.CHIEF_EXAMINER)
    assert actors.client.post("/examiners/me/key", headers=chief, json={"passphrase": PASSPHRASE}).status_code == 201
    chief_id = actors.client.get("/auth/me", headers=chief).json()["id"]
    sitting = make_theory_sitting(actors.client, day.db_session, admin=day.admin, blueprint_id=day.rule.id,
                                  chief_id=chief_id, candidates=2)
    before = _written(day.db_session)
    refusals = [
        ({"sitting_code": "NOPE-01", "candidates": ["14010001"] * 1}, 404, "sitting_not_found", "sitting_code"),
        ({"sitting_code": sitting.code, "blueprint_id": day.rule.id + 1000}, 409, "blueprint_not_the_sittings",
         "blueprint_id"),
        ({"sitting_code": sitting.code, "candidates": [sitting.admissions[0], "14019999", "FAKE-0001"]}, 422,
         "candidates_not_registered", "candidates"),
    ]
    for body, status, error, field in refusals:
        refused = actors.client.post("/paper-sets", headers=day.admin, json=body)
        assert (refused.status_code, refused.json()["error"]) == (status, error), refused.text
        assert refused.json()["detail"]["field"] == field
    unknown = actors.client.post("/paper-sets", headers=day.admin, json=refusals[2][0]).json()["detail"]
    assert unknown["unregistered"] == ["14019999", "FAKE-0001"]
    assert _written(day.db_session) == before  # nothing written, not even a log entry
    made = actors.client.post("/paper-sets", headers=day.admin,
                              json={"sitting_code": sitting.code, "blueprint_id": day.rule.id})
    assert made.status_code == 201, made.text
    assert made.json()["paper_count"] == 2 and made.json()["blueprint_version_id"] == day.rule.id


def test_papers_need_the_sittings_chief_examiner_to_have_a_key(actors: Actors, day: Day) -> None:  # noqa: F811
    without_key = actors.user_with(Role.CHIEF_EXAMINER)
    chief_id = actors.client.get("/auth/me", headers=without_key).json()["id"]
    sitting = make_theory_sitting(actors.client, day.db_session, admin=day.admin, blueprint_id=day.rule.id,
                                  chief_id=chief_id, candidates=1)
    refused = actors.client.post("/paper-sets", headers=day.admin, json={"sitting_code": sitting.code})
    assert (refused.status_code, refused.json()["error"]) == (409, "examiner_key_missing")
    nobody = make_theory_sitting(actors.client, day.db_session, admin=day.admin, blueprint_id=day.rule.id,
                                 chief_id=None, candidates=1)
    refused = actors.client.post("/paper-sets", headers=day.admin, json={"sitting_code": nobody.code})
    assert (refused.status_code, refused.json()["error"]) == (409, "chief_examiner_not_assigned")


def test_before_opening_nothing_the_server_holds_unwraps_the_data_key(day: Day) -> None:  # noqa: F811
    exam = Exam(day, candidates=2, open_sitting=False)
    settings = exam.client.app.state.settings  # type: ignore[attr-defined]
    keys = FileKeyProvider(settings.keys_dir / "paper-kek.bin")  # the KEK file, read as its operator would
    kek = (settings.keys_dir / "paper-kek.bin").read_bytes()
    log_key = serialization.load_pem_private_key(key_path(settings).read_bytes(), password=None)
    log_private = log_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                        serialization.NoEncryption())
    paper_set = _set(day.db_session, exam.paper_set)
    binding = sealing.set_binding(paper_set)
    # The database holds no key-encryption-key-only wrap, and the API refuses the content.
    assert paper_set.wrapped_data_key == b"" and paper_set.chief_sealed_data_key
    with pytest.raises(Exception, match="尚未释放"):
        sealing.data_key(paper_set, keys)
    # The KEK takes off its own layer only: what is left is sealed to the chief examiner.
    inner = keys.unwrap(bytes(paper_set.chief_sealed_data_key), binding + b"sealed-to-chief\n")
    examiner_key = day.db_session.scalars(select(ExaminerKey).where(ExaminerKey.user_id == exam.crew.chief.id)).one()
    exchange_row = day.db_session.get(ExaminerExchangeKey, exam.crew.chief.id)
    assert exchange_row is not None
    held = [kek, log_private, bytes(examiner_key.sealed_private_key)[:32], bytes(examiner_key.public_key),
            bytes(exchange_row.public_key), bytes(paper_set.sealed_seed)[:32], bytes(32)]
    candidates = [X25519PrivateKey.from_private_bytes(hkdf_sha256(secret, INFO)) for secret in held] + \
                 [X25519PrivateKey.from_private_bytes(secret[:32]) for secret in held]
    for guess in candidates:
        with pytest.raises(EnvelopeError):
            open_from(guess, inner, binding + b"sealed-to-chief\n")
    paper = day.db_session.scalars(select(Paper).where(Paper.paper_set_id == exam.paper_set)).first()
    assert paper is not None
    for secret in held:
        for sealed, associated in ((paper.sealed, sealing.paper_binding(exam.code, paper.candidate, paper.digest)),
                                   (bytes(paper_set.sealed_seed), binding + b"seed")):
            with pytest.raises(EnvelopeError):
                open_sealed(hashlib.sha256(secret).digest() if len(secret) != 32 else secret, sealed, associated)
    day.db_session.commit()
    # The chief examiner's passphrase at the opening is what releases it.
    assert open_sitting(exam.client, exam.code, exam.chief, PASSPHRASE).json()["status"] == "open"
    released = _set(day.db_session, exam.paper_set)
    assert len(open_sealed(sealing.data_key(released, keys), paper.sealed,
                           sealing.paper_binding(exam.code, paper.candidate, paper.digest))) > 100


def test_after_opening_with_the_passphrase_candidates_start_and_papers_open(day: Day) -> None:  # noqa: F811
    exam = Exam(day, candidates=2)
    assert exam.client.get(f"/paper-sets/{exam.paper_set}", headers=exam.chief).json()["status"] == "opened"
    started = exam.start(0)
    assert started.status_code == 200, started.text
    assert len(exam.correct(0)) == 100
    entries = [json.loads(e) for e in repository.entries(day.db_session, 0,
                                                         repository.committed_size(day.db_session))]
    [release] = [e for e in entries if e["action"] == "papers.opened"]
    assert release["details"]["released_by"] == exam.crew.chief.id and release["details"]["sealed_to_chief"]
    [opening] = [e for e in entries if e["action"] == "sitting.opened"]
    assert opening["details"]["paper_sets_opened"] == [exam.paper_set]


def test_a_wrong_passphrase_at_opening_opens_nothing(day: Day) -> None:  # noqa: F811
    exam = Exam(day, candidates=1, open_sitting=False)
    refused = open_sitting(exam.client, exam.code, exam.chief, "not the chief's passphrase")
    assert (refused.status_code, refused.json()["error"]) == (403, "wrong_passphrase")
    assert exam.client.get(f"/sittings/{exam.code}", headers=exam.chief).json()["status"] == "scheduled"
    paper_set = _set(day.db_session, exam.paper_set)
    assert (paper_set.status, paper_set.wrapped_data_key, paper_set.opened_at) == ("approved", b"", None)
    day.db_session.commit()
    assert open_sitting(exam.client, exam.code, exam.chief, PASSPHRASE).json()["status"] == "open"


def test_auditors_read_papers_only_after_the_sitting_closed(actors: Actors, day: Day) -> None:  # noqa: F811
    exam = Exam(day, candidates=1)
    auditor = actors.user_with(Role.AUDITOR)
    url = f"/paper-sets/{exam.paper_set}/papers/{exam.admissions[0]}"
    early = exam.client.get(url, headers=auditor)
    assert (early.status_code, early.json()["error"]) == (403, "sitting_not_closed")
    closed = exam.client.post(f"/sittings/{exam.code}/close", headers=exam.chief, json={"passphrase": PASSPHRASE})
    assert closed.status_code == 200, closed.text
    assert len(exam.client.get(url, headers=auditor).json()["items"]) == 100
    revealed = exam.client.get(f"/paper-sets/{exam.paper_set}", headers=auditor).json()
    assert hashlib.sha256(bytes.fromhex(revealed["revealed_seed"])).hexdigest() == revealed["seed_commitment"]


def test_a_supplement_approved_in_an_open_sitting_is_released_at_once(day: Day) -> None:  # noqa: F811
    exam = Exam(day, candidates=1, open_sitting=False)
    [late], _ = register_candidates(exam.client, day.admin, exam.code, 1, first=800)
    made = exam.client.post(f"/paper-sets/{exam.paper_set}/supplements", headers=day.admin, json={})
    assert made.status_code == 201, made.text
    assert open_sitting(exam.client, exam.code, exam.chief, PASSPHRASE).json()["status"] == "open"
    assert exam.client.get(f"/paper-sets/{made.json()['id']}", headers=exam.chief).json()["status"] == "sealed"
    approved = exam.client.post(f"/paper-sets/{made.json()['id']}/approve", headers=exam.chief,
                                json={"passphrase": PASSPHRASE})
    assert approved.json()["status"] == "opened", approved.text
    assert exam.client.get(f"/paper-sets/{made.json()['id']}/papers/{late}", headers=exam.chief).status_code == 200


def _group_readable(path: Path) -> None:
    os.chmod(path, 0o640)


def test_a_key_file_readable_by_others_is_refused_at_start_up(settings: Settings) -> None:
    settings.ensure_data_dir()
    kek = settings.keys_dir / "paper-kek.bin"
    FileKeyProvider(kek)
    load_signer(settings)
    _group_readable(kek)
    with pytest.raises(KeyFileModeError, match=f"{kek}.*640.*chmod 600"):
        create_app(settings)
    os.chmod(kek, 0o600)
    _group_readable(key_path(settings))
    with pytest.raises(KeyFileError, match=f"{key_path(settings)}.*chmod 600"):
        create_app(settings)
    os.chmod(key_path(settings), 0o600)
    assert create_app(settings) is not None


def test_a_key_made_before_exchange_keys_existed_gets_one_at_its_next_unlock(actors: Actors,
                                                                             day: Day) -> None:  # noqa: F811
    chief_user = make_user(day.db_session, Role.CHIEF_EXAMINER)
    chief = auth_header(login(actors.client, chief_user.username))
    # A key as examsvc made it before: the sealed Ed25519 key and no examiner_exchange_key row.
    private, salt = Ed25519PrivateKey.generate(), os.urandom(16)
    name = examiners.key_name("test.example/log", chief_user.username)
    day.db_session.add(ExaminerKey(
        user_id=chief_user.id, key_name=name, public_key=private.public_key().public_bytes_raw(), kdf_salt=salt,
        kdf_cost_log2=10, sealed_private_key=seal(examiners._derive(PASSPHRASE, salt, 10), private.private_bytes_raw(),
                                                  examiners._binding(chief_user.id, name))))
    day.db_session.commit()
    sitting = make_theory_sitting(actors.client, day.db_session, admin=day.admin, blueprint_id=day.rule.id,
                                  chief_id=chief_user.id, candidates=1)
    refused = actors.client.post("/paper-sets", headers=day.admin, json={"sitting_code": sitting.code})
    assert (refused.status_code, refused.json()["error"]) == (409, "examiner_key_missing")
    assert refused.json()["detail"]["signing_key"] is True and "/examiners/me/key/exchange" in refused.json()["message"]
    wrong = actors.client.post("/examiners/me/key/exchange", headers=chief, json={"passphrase": "the wrong passphrase"})
    assert (wrong.status_code, wrong.json()["error"]) == (403, "wrong_passphrase")
    recorded = actors.client.post("/examiners/me/key/exchange", headers=chief, json={"passphrase": PASSPHRASE})
    assert recorded.status_code == 200, recorded.text
    derived = X25519PrivateKey.from_private_bytes(hkdf_sha256(private.private_bytes_raw(), INFO))
    assert recorded.text.strip() == derived.public_key().public_bytes_raw().hex()
    made = actors.client.post("/paper-sets", headers=day.admin, json={"sitting_code": sitting.code})
    assert made.status_code == 201, made.text
