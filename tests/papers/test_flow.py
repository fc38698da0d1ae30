"""Rules approved with the chief examiner's own key; papers made, sealed, co-signed, opened, checked."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from examsvc.banks import files
from examsvc.banks import service as banks_service
from examsvc.crypto.envelope import EnvelopeError, open_sealed, seal
from examsvc.crypto.signed_note import open_note, parse_vkey
from examsvc.examiners import service as examiners
from examsvc.examiners.models import ExaminerKey
from examsvc.identity.roles import Role
from examsvc.papers import sealing, verification
from examsvc.papers import service as papers
from examsvc.papers.models import Paper, PaperSet
from tests.builders import (
    TEST_ACTOR,
    Actors,
    TheorySitting,
    auth_header,
    login,
    make_theory_sitting,
    make_user,
    register_candidates,
    release_without_opening,
)
from tests.papers.builders import ROOT

PASSPHRASE = "主考官本人的签名口令-2027"
CANDIDATES = range(30)  # how many candidates a world's sitting registers


def _banks(db_session: Session) -> dict[str, int]:
    results = files.import_paths(db_session=db_session, paths=[ROOT / "question_banks" / "low_voltage_electrician"],
                                 actor=TEST_ACTOR, publish=True)
    db_session.commit()
    return {r.version.part: r.version.id for r in results}


def _rule(banks: dict[str, int], **changes: Any) -> dict[str, Any]:
    body = {
        "code": "SX-LV-THEORY", "version": "2027.1", "title": "低压电工作业安全技术理论考试",
        "personnel_category": "special_operations", "operation_item": "1.2",
        "national_bank_version_id": banks["national"], "provincial_bank_version_id": banks["provincial"],
        "sections": [{"type": "true_false", "count": 70, "points": 10}, {"type": "single_choice", "count": 30,
                                                                          "points": 10}],
        "level_shares": {"了解": 20, "掌握": 30, "熟练掌握": 50}, "level_tolerance": 5, "provincial_min_share": 15,
    }
    body.update(changes)
    return body


class World:
    def __init__(self, actors: Actors, db_session: Session) -> None:
        self.client = actors.client
        self.db_session = db_session
        self.banks = _banks(db_session)
        self.admin = actors.user_with(Role.EXAM_ADMIN)
        self.chief_user = make_user(db_session, Role.CHIEF_EXAMINER)
        self.chief = auth_header(login(self.client, self.chief_user.username))
        self.auditor = actors.user_with(Role.AUDITOR)
        created = self.client.post("/examiners/me/key", headers=self.chief, json={"passphrase": PASSPHRASE})
        assert created.status_code == 201, created.text
        self.chief_vkey = created.text
        self.service_vkey = self.client.get("/audit/key").text

    def submitted_rule(self, **changes: Any) -> int:
        response = self.client.post("/blueprints", headers=self.admin, json=_rule(self.banks, **changes))
        assert response.status_code == 201, response.text
        rule_id: int = response.json()["id"]
        assert self.client.post(f"/blueprints/{rule_id}/submit", headers=self.admin).json()["status"] == "submitted"
        return rule_id

    def approved_rule(self) -> int:
        rule_id = self.submitted_rule()
        response = self.client.post(f"/blueprints/{rule_id}/approve", headers=self.chief,
                                    json={"passphrase": PASSPHRASE})
        assert response.status_code == 200, response.text
        return rule_id

    def sitting(self, candidates: int = len(CANDIDATES)) -> TheorySitting:
        """A scheduled theory sitting under a freshly approved rule, this world's chief examiner assigned."""
        return make_theory_sitting(self.client, self.db_session, admin=self.admin, blueprint_id=self.approved_rule(),
                                   chief_id=self.chief_user.id, candidates=candidates)

    def paper_set(self, candidates: int = len(CANDIDATES)) -> dict[str, Any]:
        self.made_for = self.sitting(candidates)
        response = self.client.post("/paper-sets", headers=self.admin, json={"sitting_code": self.made_for.code})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def approved_set(self) -> dict[str, Any]:
        made = self.paper_set()
        approved = self.client.post(f"/paper-sets/{made['id']}/approve", headers=self.chief,
                                    json={"passphrase": PASSPHRASE})
        assert approved.status_code == 200, approved.text
        body: dict[str, Any] = approved.json()
        return body

    def released_set(self) -> dict[str, Any]:
        """An approved set whose key was released as the sitting's opening does (the opening itself is in
        tests/papers/test_release.py)."""
        made = self.approved_set()
        release_without_opening(self.db_session, made["id"], self.chief_user, self.client.app.state.paper_keys,
                                PASSPHRASE)
        return made


@pytest.fixture
def world(actors: Actors, db_session: Session) -> World:
    return World(actors, db_session)


def test_a_rule_is_approved_with_the_chief_examiners_own_signature(world: World) -> None:
    rule_id = world.approved_rule()
    rule = world.client.get(f"/blueprints/{rule_id}", headers=world.auditor).json()
    assert rule["status"] == "approved"
    signed = open_note(rule["approval_note"], parse_vkey(world.chief_vkey))
    assert f"blueprint {rule['digest']}" in signed
    assert "bank national SX-ELEC-LV 2026.1" in signed


def test_the_author_cannot_approve_their_own_rule(actors: Actors, world: World) -> None:
    both = actors.user_with(Role.EXAM_ADMIN, Role.CHIEF_EXAMINER)
    world.client.post("/examiners/me/key", headers=both, json={"passphrase": PASSPHRASE})
    response = world.client.post("/blueprints", headers=both, json=_rule(world.banks))
    rule_id = response.json()["id"]
    world.client.post(f"/blueprints/{rule_id}/submit", headers=both)
    refused = world.client.post(f"/blueprints/{rule_id}/approve", headers=both, json={"passphrase": PASSPHRASE})
    assert (refused.status_code, refused.json()["error"]) == (403, "self_approval")


def test_an_infeasible_rule_cannot_be_approved(world: World) -> None:
    rule_id = world.submitted_rule(level_shares={"了解": 80, "掌握": 10, "熟练掌握": 10}, level_tolerance=0)
    report = world.client.get(f"/blueprints/{rule_id}/feasibility", headers=world.chief).json()
    assert not report["feasible"]
    assert {"section": "true_false", "quota": "level 了解", "need": 56, "pool": 46, "ok": False} in report["cells"]
    refused = world.client.post(f"/blueprints/{rule_id}/approve", headers=world.chief, json={"passphrase": PASSPHRASE})
    assert (refused.status_code, refused.json()["error"]) == (409, "blueprint_infeasible")
    assert world.client.get(f"/blueprints/{rule_id}", headers=world.chief).json()["status"] == "submitted"


def test_a_wrong_passphrase_approves_nothing(world: World) -> None:
    rule_id = world.submitted_rule()
    refused = world.client.post(f"/blueprints/{rule_id}/approve", headers=world.chief,
                                json={"passphrase": "not the passphrase"})
    assert (refused.status_code, refused.json()["error"]) == (403, "wrong_passphrase")
    assert world.client.get(f"/blueprints/{rule_id}", headers=world.chief).json()["approval_note"] is None


def test_the_server_alone_cannot_produce_an_approval(world: World) -> None:
    # Everything the server holds (the database row, the log key, the papers' key-encryption key)
    # does not open the chief examiner's key; only the passphrase does.
    row = world.db_session.scalars(select(ExaminerKey)).one()
    assert PASSPHRASE.encode() not in row.sealed_private_key
    settings = world.client.app.state.settings
    for server_key in ((settings.keys_dir / "paper-kek.bin").read_bytes(), bytes(32)):
        with pytest.raises(EnvelopeError):
            open_sealed(server_key, row.sealed_private_key, b"")
    for guess in ("", "admin", PASSPHRASE[:-1]):
        with pytest.raises(Exception, match="签名口令不正确"):
            examiners.unlock(db_session=world.db_session, user_id=row.user_id, passphrase=guess)
    signer = examiners.unlock(db_session=world.db_session, user_id=row.user_id, passphrase=PASSPHRASE)
    assert signer.public_key == bytes(row.public_key)


def test_an_approved_rule_cannot_be_edited(world: World) -> None:
    rule_id = world.approved_rule()
    again = world.client.post("/blueprints", headers=world.admin, json=_rule(world.banks))
    assert (again.status_code, again.json()["error"]) == (409, "blueprint_version_exists")
    for statement in ("UPDATE blueprint_version SET document = '{}' WHERE id = :i",
                      "UPDATE blueprint_version SET status = 'draft' WHERE id = :i",
                      "DELETE FROM blueprint_version WHERE id = :i"):
        with pytest.raises(DBAPIError, match="immutable"), world.db_session.begin_nested():
            world.db_session.execute(text(statement), {"i": rule_id})
    assert world.client.post(f"/blueprints/{rule_id}/retire", headers=world.admin).json()["status"] == "retired"


def test_papers_are_sealed_co_signed_released_and_verified(world: World) -> None:
    made = world.paper_set()
    assert made["status"] == "sealed" and made["paper_count"] == len(CANDIDATES)
    assert made["sealed_to_user_id"] == world.chief_user.id
    assert open_note(made["manifest"], parse_vkey(world.service_vkey)).startswith("examsvc paper manifest\n")
    approved = world.client.post(f"/paper-sets/{made['id']}/approve", headers=world.chief,
                                 json={"passphrase": PASSPHRASE}).json()
    # One note, two signature lines: any C2SP verifier holding either key accepts it.
    text_service = open_note(approved["manifest"], parse_vkey(world.service_vkey))
    assert open_note(approved["manifest"], parse_vkey(world.chief_vkey)) == text_service
    keys = world.client.app.state.paper_keys
    before = verification.verify(db_session=world.db_session, paper_set_id=made["id"],
                                 service_key=parse_vkey(world.service_vkey), keys=keys)
    assert (before.papers, before.examiner_signed, before.content_checked) == (30, True, False)
    release_without_opening(world.db_session, made["id"], world.chief_user, keys, PASSPHRASE)
    paper = world.client.get(f"/paper-sets/{made['id']}/papers/{world.made_for.admissions[0]}",
                             headers=world.chief).json()
    assert len(paper["items"]) == 100 and paper["candidate"] == world.made_for.admissions[0]
    after = verification.verify(db_session=world.db_session, paper_set_id=made["id"],
                                service_key=parse_vkey(world.service_vkey), keys=keys)
    assert after.content_checked


@pytest.mark.parametrize("role", list(Role))
def test_no_role_reads_a_paper_before_the_set_is_opened(actors: Actors, world: World, role: Role) -> None:
    made = world.approved_set()
    headers = world.chief if role == Role.CHIEF_EXAMINER else actors.user_with(role)  # the sitting's own chief too
    response = world.client.get(f"/paper-sets/{made['id']}/papers/{world.made_for.admissions[0]}", headers=headers)
    assert response.status_code in (403, 409)
    assert "items" not in response.text and "LVN-" not in response.text


def test_a_database_dump_shows_no_paper_content_or_seed(world: World) -> None:
    made = world.paper_set()
    for paper in world.db_session.scalars(select(Paper).where(Paper.paper_set_id == made["id"])):
        assert b"LVN-" not in paper.sealed and b"LVP-" not in paper.sealed
    paper_set = world.db_session.get(PaperSet, made["id"])
    assert paper_set is not None and paper_set.revealed_seed is None and paper_set.wrapped_data_key == b""


def test_late_candidates_get_a_supplement_with_its_own_seed_and_approval(world: World) -> None:
    made = world.paper_set()
    sitting = world.made_for
    duplicate = world.client.post(f"/paper-sets/{made['id']}/supplements", headers=world.admin,
                                  json={"candidates": [sitting.admissions[0]]})
    assert (duplicate.status_code, duplicate.json()["error"]) == (409, "candidate_has_paper")
    unknown = world.client.post(f"/paper-sets/{made['id']}/supplements", headers=world.admin,
                                json={"candidates": ["14019999"]})
    assert (unknown.status_code, unknown.json()["error"]) == (422, "candidates_not_registered")
    assert unknown.json()["detail"]["unregistered"] == ["14019999"]
    nobody = world.client.post(f"/paper-sets/{made['id']}/supplements", headers=world.admin, json={})
    assert (nobody.status_code, nobody.json()["error"]) == (409, "no_candidates_without_paper")
    [late], _ = register_candidates(world.client, world.admin, sitting.code, 1, first=900)
    extra = world.client.post(f"/paper-sets/{made['id']}/supplements", headers=world.admin, json={}).json()
    assert extra["status"] == "sealed" and extra["parent_id"] == made["id"] and extra["paper_count"] == 1
    assert f"supplement-of {made['id']}" in open_note(extra["manifest"], parse_vkey(world.service_vkey))
    # Its own seed: the parent's is sealed under a key nobody holds before the opening (docs/assembly.md).
    assert extra["seed_commitment"] != made["seed_commitment"]
    paper = world.db_session.scalars(select(Paper).where(Paper.paper_set_id == extra["id"])).one()
    assert paper.candidate == late


def _unguard(db_session: Session) -> None:
    """What a database owner can do: switch the guard off."""
    if db_session.get_bind().dialect.name == "postgresql":
        db_session.execute(text("ALTER TABLE paper DISABLE TRIGGER paper_immutable"))
    else:
        db_session.execute(text("DROP TRIGGER paper_no_update"))


def _tampered(world: World, change: Any) -> str:
    made = world.released_set()
    keys = world.client.app.state.paper_keys
    paper_set = world.db_session.get(PaperSet, made["id"])
    assert paper_set is not None
    data_key = sealing.data_key(paper_set, keys)
    rows = papers.papers_of(world.db_session, made["id"])
    _unguard(world.db_session)
    change(world.db_session, rows, data_key, paper_set)
    world.db_session.flush()
    world.db_session.expire_all()
    with pytest.raises(verification.PaperSetMismatch) as raised:
        verification.verify(db_session=world.db_session, paper_set_id=made["id"],
                            service_key=parse_vkey(world.service_vkey), keys=keys)
    return str(raised.value)


def _reseal(db_session: Session, row: Paper, data_key: bytes, paper_set: PaperSet, document: bytes,
            digest: str) -> None:
    sealed = seal(data_key, document, sealing.paper_binding(paper_set.sitting_code, row.candidate, digest))
    db_session.execute(text("UPDATE paper SET sealed = :s, digest = :d WHERE id = :i"),
                       {"s": sealed, "d": digest, "i": row.id})


def _document(data_key: bytes, row: Paper, paper_set: PaperSet) -> bytes:
    return open_sealed(data_key, row.sealed, sealing.paper_binding(paper_set.sitting_code, row.candidate, row.digest))


def test_a_changed_question_is_caught(world: World) -> None:
    def change(db_session: Session, rows: list[Paper], data_key: bytes, paper_set: PaperSet) -> None:
        document = _document(data_key, rows[3], paper_set)
        first_key = document.split(b'"key":"')[1].split(b'"')[0]
        forged = document.replace(first_key, b"LVN-9999", 1)
        _reseal(db_session, rows[3], data_key, paper_set, forged, rows[3].digest)

    message = _tampered(world, change)
    assert world.made_for.admissions[3] in message and "does not match its digest" in message


def test_a_changed_option_order_even_with_a_new_digest_is_caught(world: World) -> None:
    def change(db_session: Session, rows: list[Paper], data_key: bytes, paper_set: PaperSet) -> None:
        document = _document(data_key, rows[5], paper_set)
        for order in (b'"options":"ABCD"', b'"options":"ABDC"', b'"options":"BACD"', b'"options":"DCBA"'):
            if order in document:
                document = document.replace(order, b'"options":"CDAB"', 1)
                break
        else:
            document = document.replace(b'"options":"', b'"options":"X', 1)
        _reseal(db_session, rows[5], data_key, paper_set, document, hashlib.sha256(document).hexdigest())

    assert "Merkle root" in _tampered(world, change)


def test_a_moved_paper_row_is_caught(world: World) -> None:
    def change(db_session: Session, rows: list[Paper], data_key: bytes, paper_set: PaperSet) -> None:
        db_session.execute(text("UPDATE paper SET candidate = :c WHERE id = :i"), {"c": "14019998", "i": rows[0].id})

    message = _tampered(world, change)
    assert world.made_for.admissions[0] not in message and "does not open" in message


def test_before_opening_verify_still_catches_a_changed_digest(world: World) -> None:
    made = world.approved_set()
    rows = papers.papers_of(world.db_session, made["id"])
    _unguard(world.db_session)
    forged = hashlib.sha256(b"another paper").hexdigest()
    world.db_session.execute(text("UPDATE paper SET digest = :d WHERE id = :i"), {"d": forged, "i": rows[2].id})
    world.db_session.flush()
    world.db_session.expire_all()
    with pytest.raises(verification.PaperSetMismatch, match="Merkle root"):
        verification.verify(db_session=world.db_session, paper_set_id=made["id"],
                            service_key=parse_vkey(world.service_vkey), keys=world.client.app.state.paper_keys)


def test_no_papers_from_a_retired_bank_version(world: World) -> None:
    sitting = world.sitting(candidates=2)
    banks_service.retire(db_session=world.db_session, version_id=world.banks["national"], actor=TEST_ACTOR)
    world.db_session.commit()
    refused = world.client.post("/paper-sets", headers=world.admin, json={"sitting_code": sitting.code})
    assert (refused.status_code, refused.json()["error"]) == (409, "bank_version_not_published")
