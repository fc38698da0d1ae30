"""Issue 20's review: 考发分离 over everything a certificate rests on and every act on it, the officer's own
qualification, the refusal codes, bounded input, and what ``certificates check`` names of a row edited in
the database beside its signed form and its log."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from examsvc.audit.actors import Actor
from examsvc.certificates import consistency, service
from examsvc.certificates.models import Certificate
from examsvc.certificates.signed_form import key_id
from examsvc.cli import main
from examsvc.errors import InvalidInput
from examsvc.identity import service as identity_service
from examsvc.identity.models import UserAccount
from examsvc.identity.roles import Role
from examsvc.sittings.models import Sitting, StaffAssignment
from tests.builders import TEST_ACTOR, auth_header, login, make_user
from tests.certificates import vector
from tests.certificates.world import World


def _made_officer(world: World, user: UserAccount) -> dict[str, str]:
    db = world.day.db_session
    identity_service.grant_role(db_session=db, user_id=user.id, role=Role.CERTIFICATE_OFFICER, actor=TEST_ACTOR)
    db.commit()
    return auth_header(login(world.client, user.username))


def _row(world: World, number: str) -> dict[str, Any]:
    world.day.db_session.expire_all()
    found = world.day.db_session.query(Certificate).filter_by(number=number).one()
    return {"state": found.state, "sequence": found.sequence, "events": found.event_count}


def test_the_theory_sittings_staff_may_not_certify_through_the_practical_sittings_batch(world: World) -> None:
    client = world.client
    # The theory sitting's chief examiner, made an officer: the practical sitting's batch rests on their sitting.
    theory_chief = _made_officer(world, world.exam.crew.chief)
    refused = client.post("/certificates/batches", headers=theory_chief, json={"sitting": world.sitting})
    assert refused.status_code == 403 and refused.json()["error"] == "own_examinees", refused.text
    assert world.exam.code in refused.json()["message"]
    assert world.day.db_session.query(Certificate).count() == 0
    # A batch started before the assignment is checked again when it continues.
    started = client.post("/certificates/batches", headers=world.officer, json={"sitting": world.sitting}).json()
    db = world.day.db_session
    theory = db.query(Sitting).filter_by(code=world.exam.code).one()
    db.add(StaffAssignment(sitting_id=theory.id, user_id=world.officer_user.id, role="inspector"))
    db.commit()
    late = client.post(f"/certificates/batches/{started['id']}/continue", headers=world.officer)
    assert late.status_code == 403 and late.json()["error"] == "own_examinees", late.text
    assert world.day.db_session.query(Certificate).count() == 0


def test_the_staff_of_the_sittings_behind_a_certificate_may_not_act_on_it(world: World) -> None:
    client = world.client
    number = world.issue(world.ids[0]).json()["number"]
    assert client.post(f"/certificates/{number}/revoke", headers=world.officer,
                       json={"reason": "材料造假"}).status_code == 200
    before = _row(world, number)
    for staff in (world.practical.evaluators[0], world.exam.crew.proctors["01"][0]):
        headers = _made_officer(world, staff)
        for action, body in (("reinstate", {"reason": "复议撤销"}), ("replace", {"reason": "遗失"}),
                             ("review", {"reason": "复审"}), ("revoke", {"reason": "再次撤销"})):
            refused = client.post(f"/certificates/{number}/{action}", headers=headers, json=body)
            assert refused.status_code == 403 and refused.json()["error"] == "own_examinees", (action, refused.text)
    assert _row(world, number) == before
    assert client.post(f"/certificates/{number}/reinstate", headers=world.officer,
                       json={"reason": "复议撤销"}).status_code == 200


def test_an_officer_neither_certifies_nor_acts_on_their_own_certificate(world: World) -> None:
    client, db = world.client, world.day.db_session
    own_id = world.qualified[0]
    holder = make_user(db, Role.CERTIFICATE_OFFICER)
    holder.id_number = own_id
    db.commit()
    headers = auth_header(login(client, holder.username))
    refused = world.issue(own_id, headers=headers)
    assert refused.status_code == 403 and refused.json()["error"] == "own_certificate", refused.text
    assert own_id not in refused.text
    batch = client.post("/certificates/batches", headers=headers, json={"sitting": world.sitting})
    assert batch.status_code == 403 and batch.json()["error"] == "own_certificate", batch.text
    assert db.query(Certificate).count() == 0
    # Another candidate's certificate is theirs to issue; their own, issued by a colleague, is not theirs to touch.
    assert world.issue(world.qualified[1], headers=headers).status_code == 201
    number = world.issue(own_id).json()["number"]
    assert client.post(f"/certificates/{number}/revoke", headers=world.officer,
                       json={"reason": "材料造假"}).status_code == 200
    again = client.post(f"/certificates/{number}/reinstate", headers=headers, json={"reason": "本人申诉"})
    assert again.status_code == 403 and again.json()["error"] == "own_certificate"
    assert _row(world, number)["state"] == "revoked"


def test_refusals_carry_the_right_status(world: World) -> None:
    client = world.client
    started = client.post("/certificates/batches", headers=world.officer, json={"sitting": world.sitting}).json()
    other = auth_header(login(client, make_user(world.day.db_session, Role.CERTIFICATE_OFFICER).username))
    refused = client.post(f"/certificates/batches/{started['id']}/continue", headers=other)
    assert (refused.status_code, refused.json()["error"]) == (403, "not_your_batch")
    # A subject that is no item code nor category is bad input on its field, not a missing qualification.
    for subject in ("1.2; DROP", "安全员", "special_operations"):
        bad = client.post("/certificates", headers=world.officer, json={"id_number": world.ids[0], "subject": subject})
        assert bad.status_code == 422 and bad.json()["error"] == "bad_subject", (subject, bad.text)
        assert bad.json()["detail"]["field"] == "subject" and subject not in bad.json()["message"]
    missing = client.post("/certificates", headers=world.officer, json={"id_number": world.ids[0],
                                                                        "subject": "principal"})
    assert (missing.status_code, missing.json()["error"]) == (409, "not_qualified")


def test_the_review_basis_is_bounded_on_every_path(world: World) -> None:
    number = world.issue(world.ids[0]).json()["number"]
    db = world.day.db_session
    found = service.by_number(db, number)
    with pytest.raises(InvalidInput) as refused:
        service.review(db, found, keyring=world.client.app.state.certificate_keys,  # type: ignore[attr-defined]
                       settings=world.client.app.state.settings,  # type: ignore[attr-defined]
                        actor=Actor.system("test"), reason="复审", extended=True,
                       basis="连续从事本工种" * 200)
    assert refused.value.code == "basis_too_long" and refused.value.detail == {"field": "basis"}


@pytest.mark.parametrize(("edit", "named"), [
    ("UPDATE certificate SET holder_name = '李四' WHERE number = :n", ".holder_name: not the holder"),
    ("UPDATE certificate SET first_issued_on = '2010-01-01' WHERE number = :n", ".first_issued_on: '2010-01-01'"),
    ("UPDATE certificate SET item_name = '高压电工作业' WHERE number = :n", ".item_name: '高压电工作业'"),
    ("UPDATE certificate SET review_interval_months = 72 WHERE number = :n", ".review_interval_months: 72"),
    ("UPDATE certificate SET candidate_id = (SELECT MIN(id) FROM candidate WHERE id <> certificate.candidate_id) "
     "WHERE number = :n", ".candidate_id: not the holder"),
    ("UPDATE certificate SET sitting_id = (SELECT MIN(id) FROM sitting WHERE id <> certificate.sitting_id) "
     "WHERE number = :n", ".sitting_id: sitting"),
])
def test_the_register_check_names_a_row_edited_beside_its_signed_form(world: World, edit: str, named: str) -> None:
    db = world.day.db_session
    made = world.issue(world.ids[0]).json()
    assert consistency.check(db).problems == []
    db.execute(text(edit), {"n": made["number"]})
    db.expire_all()
    problems = consistency.check(db).problems
    assert any(p.startswith(f"certificate[{made['number']}]{named}") for p in problems), problems
    # Named, not quoted: the report goes to a terminal and to tickets.
    assert not any(world.ids[0] in p or made["holder_name"] in p for p in problems)


@pytest.mark.db_agnostic
def test_the_offline_check_counts_days_in_the_issuers_time_zone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """The vector's last valid day is 2032-12-05 in China; at 04:00 on the 6th there (20:00 UTC on the 5th) the
    card has expired, whatever the UTC date says."""
    class Then(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Then:
            moment = cls(2032, 12, 5, 20, 0, tzinfo=UTC)
            return moment if tz is None else moment.astimezone(tz)

    monkeypatch.setattr("examsvc.certificates.cli.datetime", Then)
    keys = tmp_path / "keys.json"
    kid = key_id(vector.PUBLIC).hex()
    keys.write_text(json.dumps({"issuer": vector.CLAIMS.issuer, "keys": [
        {"kid": kid, "crv": "Ed25519", "x": base64.urlsafe_b64encode(vector.PUBLIC).rstrip(b"=").decode()}]}))
    monkeypatch.setenv("EXAMSVC_TIMEZONE", "Asia/Shanghai")
    status = main(["certificates", "verify", vector.signed().text, "--keys", str(keys), "--json"])
    answer = json.loads(capsys.readouterr().out)
    assert (status, answer["standing"]) == (1, "expired"), answer
