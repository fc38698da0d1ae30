"""Issue 22's bad input and insiders: each refusal is a clear Chinese error naming the field, and changes
nothing (no row, no log entry); officers of another inspection and other roles are refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from examsvc.audit.models import AuditEntry
from examsvc.identity.roles import Role
from examsvc.sites import rooms
from examsvc.sites import service as sites_service
from examsvc.spot.models import Inspection, SpotPerson
from examsvc.spot.verify import verify_spot
from tests.builders import DEFAULT_PASSWORD, TEST_ACTOR, Actors, auth_header, login, make_user
from tests.spot.builders import SpotWorld, credit_code, id_number, people

TODAY = date.today().isoformat()


def _counts(db_session: Session) -> tuple[int, int, int]:
    db_session.expire_all()
    return (db_session.scalar(select(func.count()).select_from(Inspection)) or 0,
            db_session.scalar(select(func.count()).select_from(SpotPerson)) or 0,
            db_session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def _refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == code, body
    assert any("\u4e00" <= c <= "\u9fff" for c in body["message"])  # said in Chinese
    return body


def test_a_wrong_credit_code_or_rule_opens_nothing(actors: Actors, db_session: Session) -> None:
    world = SpotWorld(actors, db_session)
    before = _counts(db_session)
    good = credit_code()
    wrong_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    for code, expected in ((wrong_check, "bad_credit_code"), ("91140100MA0K5C7Q", "bad_credit_code"),
                           ("91140100MAOK5C7Q3X", "bad_credit_code")):
        response = world.client.post("/spot/inspections", headers=world.lead, json={
            "enterprise_name": "某公司", "credit_code": code, "industry": "coal_mine", "city": "太原市",
            "address": "某地", "inspected_on": TODAY, "blueprint_id": world.rule_id, "draw_count": 3})
        assert _refused(response, 422, expected)["detail"]["field"] == "credit_code"
    wrong_industry = world.client.post("/spot/inspections", headers=world.lead, json={
        "enterprise_name": "某化工公司", "credit_code": good, "industry": "hazardous_chemicals", "city": "太原市",
        "address": "某地", "inspected_on": TODAY, "blueprint_id": world.rule_id, "draw_count": 3})
    assert _refused(wrong_industry, 422, "inspection_invalid")["detail"]["field"] == "blueprint_id"
    assert _counts(db_session) == before


def test_an_enterprise_is_not_inspected_twice_at_once(actors: Actors, db_session: Session) -> None:
    world = SpotWorld(actors, db_session)
    world.inspection()
    again = world.client.post("/spot/inspections", headers=world.lead, json={
        "enterprise_name": "山西某煤业有限公司", "credit_code": credit_code(), "industry": "coal_mine",
        "city": "太原市", "address": "某地", "inspected_on": TODAY, "blueprint_id": world.rule_id, "draw_count": 3})
    _refused(again, 409, "inspection_exists")


def test_bad_lists_change_nothing_and_never_echo_an_id_number(actors: Actors, db_session: Session) -> None:
    world = SpotWorld(actors, db_session)
    inspection = world.inspection()
    url = f"/spot/inspections/{inspection['id']}/roster"
    before = _counts(db_session)
    listed = people(12)
    duplicate = _refused(world.client.put(url, headers=world.lead, json={"people": [*listed, listed[3]]}),
                         422, "roster_invalid")
    assert listed[3]["id_number"] not in str(duplicate)
    broken = dict(listed[5], id_number=listed[5]["id_number"][:-1] + ("0" if listed[5]["id_number"][-1] != "0"
                                                                      else "1"))
    failed = _refused(world.client.put(url, headers=world.lead, json={"people": [*listed[:5], broken]}),
                      422, "roster_invalid")
    assert broken["id_number"] not in str(failed)
    assert _counts(db_session) == before


def test_a_draw_needs_a_list_as_large_as_the_count(actors: Actors, db_session: Session) -> None:
    world = SpotWorld(actors, db_session)
    inspection = world.inspection(draw_count=5)
    world.second(inspection["id"])
    world.client.put(f"/spot/inspections/{inspection['id']}/roster", headers=world.lead, json={"people": people(4)})
    _refused(world.client.post(f"/spot/inspections/{inspection['id']}/draw", headers=world.lead), 409,
             "roster_too_small")


def test_the_second_officer_is_another_officer(actors: Actors, db_session: Session) -> None:
    world = SpotWorld(actors, db_session)
    inspection = world.inspection()
    url = f"/spot/inspections/{inspection['id']}/second-officer"
    proctor = make_user(db_session, Role.PROCTOR)
    _refused(world.client.post(url, headers=world.lead, json={"username": world.lead_user.username,
                                                              "password": DEFAULT_PASSWORD}), 422, "same_officer")
    _refused(world.client.post(url, headers=world.lead, json={"username": proctor.username,
                                                              "password": DEFAULT_PASSWORD}), 422, "not_an_officer")
    unknown = {"username": "nobody-such", "password": DEFAULT_PASSWORD}
    _refused(world.client.post(url, headers=world.lead, json=unknown), 422, "invalid_credentials")


def test_the_second_officer_form_tells_no_account_apart_without_its_password(actors: Actors,
                                                                              db_session: Session) -> None:
    """A lead cannot learn which user names exist or which accounts are officers by trying names: without the
    account's password an unknown name, a proctor and an officer get the same refusal (and not a 401, which
    would say the lead's own login ended)."""
    world = SpotWorld(actors, db_session)
    inspection = world.inspection()
    url = f"/spot/inspections/{inspection['id']}/second-officer"
    proctor = make_user(db_session, Role.PROCTOR)
    answers = []
    for username in ("nobody-such", proctor.username, world.second_user.username, world.lead_user.username):
        body = _refused(world.client.post(url, headers=world.lead, json={"username": username,
                                                                         "password": "wrong-password-1"}),
                        422, "invalid_credentials")
        answers.append((body["message"], body["detail"]))
    assert len(set(map(str, answers))) == 1 and answers[0][1] == {"field": "password"}


def test_officers_of_another_inspection_and_other_roles_are_refused(actors: Actors, db_session: Session) -> None:
    world = SpotWorld(actors, db_session)
    drawn = world.drawn()
    iid = drawn["id"]
    person = next(p for p in drawn["people"] if p["draw_order"])
    outsider = auth_header(login(world.client, make_user(db_session, Role.ENFORCEMENT_OFFICER).username))
    for method, path, body in (
            ("GET", f"/spot/inspections/{iid}", None),
            ("PUT", f"/spot/inspections/{iid}/roster", {"people": people(3)}),
            ("POST", f"/spot/inspections/{iid}/draw", None),
            ("POST", f"/spot/inspections/{iid}/people", {"name": "某人", "id_number": id_number(40), "post": "工人",
                                                          "reason": "现场发现"}),
            ("POST", f"/spot/inspections/{iid}/people/{person['id']}/exam", {}),
            ("POST", f"/spot/inspections/{iid}/close", None)):
        response = world.client.request(method, path, headers=outsider, json=body)
        _refused(response, 403, "not_your_inspection")
    # The province's readers read it, but do not act on it.
    assert world.client.get(f"/spot/inspections/{iid}", headers=world.auditor).status_code == 200
    assert world.client.post(f"/spot/inspections/{iid}/close", headers=world.auditor).status_code == 403
    # Nobody else starts an exam on the lead's behalf, and the outsider's own token is never locked.
    assert world.client.get("/spot/exam", headers=outsider).json()["error"] == "not_handed_over"


def test_an_undrawn_person_is_examined_only_when_added_by_hand(actors: Actors, db_session: Session) -> None:
    world = SpotWorld(actors, db_session)
    drawn = world.drawn()
    iid = drawn["id"]
    undrawn = next(p for p in drawn["people"] if not p["draw_order"])
    _refused(world.client.post(f"/spot/inspections/{iid}/people/{undrawn['id']}/exam", headers=world.lead, json={}),
             409, "person_not_drawn")
    listed = next(p for p in people(12) if p["name"] == undrawn["name"])
    added = world.client.post(f"/spot/inspections/{iid}/people", headers=world.lead,
                              json={**listed, "reason": "现场发现其无证上岗嫌疑，加考"})
    assert added.status_code == 201 and added.json()["manual"] is True and added.json()["id"] == undrawn["id"]
    again = world.client.post(f"/spot/inspections/{iid}/people", headers=world.lead,
                              json={**listed, "reason": "再次添加"})
    _refused(again, 409, "duplicate_person")
    started = world.client.post(f"/spot/inspections/{iid}/people/{undrawn['id']}/exam", headers=world.lead, json={})
    assert started.status_code == 201, started.text


def test_a_spot_rule_is_not_a_sittings_rule(actors: Actors, db_session: Session) -> None:
    world = SpotWorld(actors, db_session)
    sites_service.create_site(db_session=db_session, code="SPOT-S1", name="某考点", address="", actor=TEST_ACTOR)
    rooms.create_room(db_session=db_session, site_code="SPOT-S1", code="01", name="第01考场", seats=30,
                      actor=TEST_ACTOR)
    db_session.commit()
    created = world.client.post("/sittings", headers=world.admin, json={
        "code": "SPOT-SITTING-1", "title": "误用抽考规则", "blueprint_id": world.rule_id, "site_code": "SPOT-S1",
        "rooms": ["01"], "scheduled_start": f"{date.today() + timedelta(days=60):%Y-%m-%d}T01:00:00Z"})
    assert _refused(created, 422, "spot_rule")["detail"]["field"] == "blueprint_id"


def test_an_exam_unlocked_early_is_handed_over_again_never_restarted(actors: Actors, db_session: Session) -> None:
    world = SpotWorld(actors, db_session)
    drawn = world.drawn()
    person = next(p for p in drawn["people"] if p["draw_order"])
    url = f"/spot/inspections/{drawn['id']}/people/{person['id']}/exam"
    first = world.client.post(url, headers=world.lead, json={}).json()
    assert world.client.put("/spot/exam/answers/0", headers=world.lead,
                            json={"response": "T", "seq": 1}).status_code == 200
    state = world.client.get("/spot/exam/state", headers=world.lead).json()
    assert state["status"] == "in_progress" and "items" not in state
    assert world.client.post("/spot/unlock", headers=world.lead, json={"password": DEFAULT_PASSWORD}).status_code == 200
    again = world.client.post(url, headers=world.lead, json={})
    assert again.status_code == 201, again.text
    resumed = again.json()
    assert resumed["exam_id"] == first["exam_id"] and resumed["items"] == first["items"]
    assert resumed["answers"] == [{"position": 0, "response": "T", "flagged": False, "seq": 1}]
    assert resumed["clock"]["deadline"] == first["clock"]["deadline"]  # the clock never restarted
    assert world.client.post("/spot/exam/submit", headers=world.lead, json={"confirm": True}).status_code == 200
    assert world.client.post("/spot/unlock", headers=world.lead, json={"password": DEFAULT_PASSWORD}).status_code == 200
    _refused(world.client.post(url, headers=world.lead, json={}), 409, "spot_exam_taken")
    db_session.expire_all()
    keys = getattr(world.client.app, "state").paper_keys  # noqa: B009 - the ASGI type has no state
    verdict = verify_spot(db_session=db_session, codes=[drawn["code"]], keys=keys)[0]
    assert verdict.findings == [], [f.line() for f in verdict.findings]  # handing over again is no mismatch


def test_a_lock_whose_login_has_expired_does_not_block_the_archive(actors: Actors, db_session: Session) -> None:
    """A phone that died, or whose login ran out, while handed over: its token can no longer be unlocked, so its
    lock must not keep the inspection from being archived forever (a live lock still does)."""
    world = SpotWorld(actors, db_session)
    drawn = world.drawn()
    person = next(p for p in drawn["people"] if p["draw_order"])
    device = auth_header(login(world.client, world.lead_user.username))
    started = world.client.post(f"/spot/inspections/{drawn['id']}/people/{person['id']}/exam", headers=device, json={})
    assert started.status_code == 201, started.text
    assert world.client.post("/spot/exam/submit", headers=device, json={"confirm": True}).status_code == 200
    _refused(world.client.post(f"/spot/inspections/{drawn['id']}/close", headers=world.lead), 409,
             "device_still_locked")
    db_session.execute(text("UPDATE access_token SET expires_at = :past WHERE locked_spot_exam_id IS NOT NULL"),
                       {"past": datetime.now(UTC) - timedelta(minutes=1)})
    db_session.commit()
    closed = world.client.post(f"/spot/inspections/{drawn['id']}/close", headers=world.lead)
    assert closed.status_code == 200, closed.text


def test_another_rule_for_an_exam_must_serve_the_persons_kind(actors: Actors, db_session: Session) -> None:
    """The officer may give a person of another kind another approved spot rule, not an easier one of their
    choosing: the rule must list the person's kind (a person whose kind was not recorded sits the
    inspection's rule). A refusal writes nothing and leaves the device unlocked."""
    world = SpotWorld(actors, db_session)
    directors = world.spot_rule(code="SX-SPOT-COAL-DIR", title="煤矿车间主任逢查必考抽考",
                                person_kinds=["workshop_director"], pass_mark=600,
                                sections=[{"type": "true_false", "count": 10, "points": 100}])
    drawn = world.drawn()
    added = {}
    for n, kind in ((42, "班组长"), (43, None), (44, "车间主任")):  # by hand: the draw's kinds are random
        person = {"name": f"现场人员{n}", "id_number": id_number(n), "post": "皮带司机", "reason": "名单外在岗人员"}
        response = world.client.post(f"/spot/inspections/{drawn['id']}/people", headers=world.lead,
                                     json={**person, "kind": kind})
        assert response.status_code == 201, response.text
        added[kind] = response.json()["id"]
    url = f"/spot/inspections/{drawn['id']}/people/{{}}/exam"
    before = _counts(db_session)
    for kind in ("班组长", None):
        body = _refused(world.client.post(url.format(added[kind]), headers=world.lead,
                                          json={"blueprint_id": directors}), 422, "rule_not_for_person")
        assert body["detail"]["field"] == "blueprint_id"
    assert _counts(db_session) == before
    assert world.client.get("/spot/inspections", headers=world.lead).status_code == 200  # not handed over
    started = world.client.post(url.format(added["车间主任"]), headers=world.lead, json={"blueprint_id": directors})
    assert started.status_code == 201, started.text
    assert started.json()["pass_mark"] == 600


def test_an_exam_is_never_on_two_devices_at_once(actors: Actors, db_session: Session) -> None:
    """Handing a running exam over again is for a device that was unlocked early: while another login is still
    locked to it (the person may still hold that device), a second device would let someone else answer too."""
    world = SpotWorld(actors, db_session)
    drawn = world.drawn()
    person = next(p for p in drawn["people"] if p["draw_order"])
    url = f"/spot/inspections/{drawn['id']}/people/{person['id']}/exam"
    device = auth_header(login(world.client, world.lead_user.username))
    assert world.client.post(url, headers=device, json={}).status_code == 201
    _refused(world.client.post(url, headers=world.lead, json={}), 409, "exam_on_another_device")
    assert world.client.get("/spot/inspections", headers=world.lead).status_code == 200  # not locked
    assert world.client.post("/spot/unlock", headers=device, json={"password": DEFAULT_PASSWORD}).status_code == 200
    assert world.client.post(url, headers=world.lead, json={}).status_code == 201


def test_an_inspection_abandoned_before_the_draw_can_be_archived(actors: Actors, db_session: Session) -> None:
    """Opened with a wrong count or rule, or the second officer never came: before the draw it can be archived
    as abandoned, so the enterprise can be inspected again (otherwise one open inspection blocks it for good);
    the seed is revealed and verify-spot finds nothing to name."""
    from examsvc.spot.verify import verify_spot

    world = SpotWorld(actors, db_session)
    opened = world.inspection(draw_count=40)
    assert world.client.put(f"/spot/inspections/{opened['id']}/roster", headers=world.lead,
                            json={"people": people(3)}).status_code == 200
    closed = world.client.post(f"/spot/inspections/{opened['id']}/close", headers=world.lead)
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["revealed_seed"]
    keys = getattr(world.client.app, "state").paper_keys  # noqa: B009 - the ASGI type has no state
    verdict = verify_spot(db_session=db_session, codes=[opened["code"]], keys=keys)[0]
    db_session.commit()
    assert verdict.findings == [], [f.line() for f in verdict.findings]
    _refused(world.client.post(f"/spot/inspections/{opened['id']}/draw", headers=world.lead), 409, "inspection_drawn")
    again = world.inspection()
    assert again["code"] != opened["code"]


def test_an_exam_whose_time_ran_out_is_not_handed_over_again_and_says_why(actors: Actors,
                                                                          db_session: Session) -> None:
    """Unlocked early, then the time ran out before the officer handed the device back: the refusal says the
    time is up (not that the person already sat the exam), and nothing is written."""
    world = SpotWorld(actors, db_session)
    drawn = world.drawn()
    person = next(p for p in drawn["people"] if p["draw_order"])
    url = f"/spot/inspections/{drawn['id']}/people/{person['id']}/exam"
    exam_id = world.client.post(url, headers=world.lead, json={}).json()["exam_id"]
    assert world.client.post("/spot/unlock", headers=world.lead, json={"password": DEFAULT_PASSWORD}).status_code == 200
    db_session.execute(text("UPDATE spot_exam SET started_at = :then WHERE id = :id"),
                       {"then": datetime.now(UTC) - timedelta(hours=1), "id": exam_id})
    db_session.commit()
    before = _counts(db_session)
    body = _refused(world.client.post(url, headers=world.lead, json={}), 409, "time_up")
    assert "时间已到" in body["message"] and _counts(db_session) == before
