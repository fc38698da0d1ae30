"""Issue 22 end to end over HTTP: an inspection, a draw of 3 of 12 people on duty, their spot exams (one of
them off line for part of it), the archive, the draw and the papers re-derived from the revealed seed, and
the log verified against its signed checkpoint."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.blueprints.models import BlueprintVersion
from examsvc.crypto.signed_note import open_note, parse_vkey
from examsvc.db import utcnow
from examsvc.identity.roles import Role
from examsvc.spot import draw as drawing
from examsvc.spot import endpoints, exams
from examsvc.spot.models import Inspection, SpotAnswerSave, SpotPerson
from examsvc.spot.verify import verify_spot
from examsvc.tlog.checkpoint import parse_checkpoint
from examsvc.tlog.rfc6962 import leaf_hash, root_of
from tests.builders import DEFAULT_PASSWORD, Actors
from tests.spot.builders import SpotWorld, people


def _entries(world: SpotWorld, auditor: dict[str, str], sysadmin: dict[str, str]) -> list[dict[str, Any]]:
    """Every entry of the log, after checking the whole tree against a freshly signed checkpoint."""
    note = world.client.post("/audit/checkpoint", headers=sysadmin).text
    checkpoint = parse_checkpoint(open_note(note, parse_vkey(world.client.get("/audit/key").text)))
    lines = world.client.get("/audit/entries", params={"start": 0, "end": checkpoint.size}, headers=auditor).content
    raw = lines.split(b"\n")[:-1]
    assert len(raw) == checkpoint.size
    assert root_of([leaf_hash(e) for e in raw]) == checkpoint.root  # RFC 6962 tree of exactly these entries
    entries = [json.loads(e) for e in raw]
    for before, entry in zip(raw, entries[1:], strict=False):
        assert entry["prev"] == leaf_hash(before).hex()
    return entries


def _answers(view: dict[str, Any], right: bool) -> list[tuple[int, str]]:
    """A response per question: "T" or "A" (some right, some wrong, whatever the paper)."""
    return [(item["position"], "T" if item["type"] == "true_false" else ("A" if right else "B"))
            for item in view["items"]]


def test_an_inspection_draws_examines_archives_and_re_derives(actors: Actors, db_session: Session,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    world = SpotWorld(actors, db_session)
    client, lead = world.client, world.lead
    auditor = actors.user_with(Role.AUDITOR)
    inspection = world.inspection(draw_count=3)
    iid = inspection["id"]

    # Two officers: the draw waits for the second one, who confirms with their own password.
    assert client.post(f"/spot/inspections/{iid}/draw", headers=lead).json()["error"] == "second_officer_missing"
    wrong = client.post(f"/spot/inspections/{iid}/second-officer", headers=lead,
                        json={"username": world.second_user.username, "password": "not theirs"})
    assert wrong.status_code == 422 and wrong.json()["error"] == "invalid_credentials"
    world.second(iid)

    # The people on duty: a list with a duplicate is refused whole, naming both rows; then the real list.
    listed = people(12)
    bad = client.put(f"/spot/inspections/{iid}/roster", headers=lead, json={"people": [*listed, listed[4]]})
    assert bad.status_code == 422
    assert listed[4]["id_number"] not in bad.text
    assert client.get(f"/spot/inspections/{iid}", headers=lead).json()["roster_size"] == 0
    assert client.put(f"/spot/inspections/{iid}/roster", headers=lead, json={"people": listed}).status_code == 200
    drawn = client.post(f"/spot/inspections/{iid}/draw", headers=lead).json()
    chosen = sorted((p for p in drawn["people"] if p["draw_order"]), key=lambda p: p["draw_order"])
    assert len(chosen) == 3 and drawn["status"] == "drawn"
    assert client.put(f"/spot/inspections/{iid}/roster", headers=lead,
                      json={"people": listed}).json()["error"] == "inspection_drawn"

    scores = {}
    for number, person in enumerate(chosen):
        started = client.post(f"/spot/inspections/{iid}/people/{person['id']}/exam", headers=lead, json={})
        assert started.status_code == 201, started.text
        view = started.json()
        assert len(view["items"]) == 15 and view["clock"]["remaining_seconds"] > 14 * 60
        # Handed over: the officer's functions are locked until their password.
        assert client.get(f"/spot/inspections/{iid}", headers=lead).status_code == 423
        assert client.post(f"/spot/inspections/{iid}/close", headers=lead).json()["error"] == "device_handed_over"
        answers = _answers(view, right=number != 1)
        if number == 2:
            # Off line for the second half: the device keeps those answers and sends them after the deadline
            # (the server's clock moved on), with the remaining time its own clock showed.
            half = len(answers) // 2
            for position, response in answers[:half]:
                assert client.put(f"/spot/exam/answers/{position}", headers=lead,
                                  json={"response": response, "seq": 1}).status_code == 200
            later = utcnow() + timedelta(minutes=16)
            monkeypatch.setattr(endpoints, "utcnow", lambda at=later: at)
            late = client.put(f"/spot/exam/answers/{answers[half][0]}", headers=lead,
                              json={"response": answers[half][1], "seq": 1})
            assert late.status_code == 409 and late.json()["error"] == "time_up"  # made after the deadline
            assert client.put(f"/spot/exam/answers/{answers[half][0]}", headers=lead,
                              json={"response": answers[half][1], "seq": 1,
                                    "made_remaining_ms": 0}).json()["error"] == "time_up"
            for k, (position, response) in enumerate(answers[half:]):
                kept = client.put(f"/spot/exam/answers/{position}", headers=lead,
                                  json={"response": response, "seq": 1, "made_remaining_ms": 300_000 - k * 1000})
                assert kept.status_code == 200, kept.text
            submitted = client.post("/spot/exam/submit", headers=lead, json={"confirm": True,
                                                                              "made_remaining_ms": 200_000})
            monkeypatch.undo()
        else:
            for position, response in answers:
                saved = client.put(f"/spot/exam/answers/{position}", headers=lead,
                                   json={"response": response, "seq": 1})
                assert saved.status_code == 200 and saved.json()["accepted"], saved.text
            submitted = client.post("/spot/exam/submit", headers=lead, json={"confirm": True})
        assert submitted.status_code == 200, submitted.text
        result = submitted.json()
        assert result["status"] == "submitted" and result["score"] is not None
        scores[person["person_digest"]] = (result["score"], result["passed"])
        assert client.put("/spot/exam/answers/0", headers=lead,
                          json={"response": "F", "seq": 9}).json()["error"] == "attempt_submitted"
        assert client.post("/spot/unlock", headers=lead, json={"password": "guess"}).status_code == 422
        assert client.get(f"/spot/inspections/{iid}", headers=lead).status_code == 423  # still locked
        assert client.post("/spot/unlock", headers=lead, json={"password": DEFAULT_PASSWORD}).status_code == 200

    # A second attempt at the same spot exam is refused.
    again = client.post(f"/spot/inspections/{iid}/people/{chosen[0]['id']}/exam", headers=lead, json={})
    assert again.status_code == 409 and again.json()["error"] == "spot_exam_taken"

    closed = client.post(f"/spot/inspections/{iid}/close", headers=lead)
    assert closed.status_code == 200, closed.text
    archive = closed.json()
    seed = bytes.fromhex(archive["revealed_seed"])

    # The auditor re-derives everything from the log and the revealed seed.
    entries = _entries(world, auditor, actors.user_with(Role.SYSTEM_ADMIN))
    mine = [e for e in entries if e["subject"] == {"type": "spot_inspection", "id": str(iid)}]
    opened = next(e for e in mine if e["action"] == "spot.inspection.opened")["details"]
    assert hashlib.sha256(seed).hexdigest() == opened["seed_commitment"] == archive["seed_commitment"]
    logged_draw = next(e for e in mine if e["action"] == "spot.draw")["details"]
    roster = logged_draw["roster"]
    assert roster == sorted(roster) and len(roster) == 12
    assert drawing.roster_digest(roster, [False] * 12) == logged_draw["roster_digest"]
    picked = [roster[i] for i in drawing.draw(seed, logged_draw["roster_digest"], 12, 3)]
    assert picked == logged_draw["chosen"] == [p["person_digest"] for p in chosen]

    started_entries = {e["details"]["person"]: e["details"] for e in entries if e["action"] == "spot.exam.started"
                       and e["details"]["inspection"] == archive["code"]}
    archived = {e["details"]["person"]: e["details"] for e in entries if e["action"] == "spot.exam.archived"
                and e["details"]["inspection"] == archive["code"]}
    assert set(started_entries) == set(archived) == set(picked)
    stored = db_session.scalars(select(Inspection).where(Inspection.id == iid)).one()
    rule_row = db_session.get(BlueprintVersion, stored.blueprint_version_id)
    assert rule_row is not None
    for digest in picked:
        person = db_session.scalars(select(SpotPerson).where(SpotPerson.person_digest == digest)).one()
        _, paper_digest = exams.paper_items(db_session, stored, person, rule_row, seed)
        assert paper_digest == started_entries[digest]["paper_digest"] == archived[digest]["paper_digest"]
        assert (archived[digest]["score"], archived[digest]["passed"]) == scores[digest]
        row = next(p for p in archive["people"] if p["person_digest"] == digest)["exam"]
        assert row["answer_sheet_digest"] == archived[digest]["answer_sheet_digest"]
        assert row["result_digest"] == archived[digest]["result_digest"]
        if not row["passed"]:
            assert row["retraining"] == "required"
    offline = db_session.scalars(select(SpotAnswerSave).where(SpotAnswerSave.made_remaining_ms.is_not(None))).all()
    assert len(offline) == 15 - 15 // 2
    closed_entry = next(e for e in mine if e["action"] == "spot.inspection.closed")["details"]
    assert closed_entry["seed"] == seed.hex() and closed_entry["exams"] == 3 and closed_entry["absent"] == []
    # The same, and every save, sheet and result, by the auditor's command's own code (audit verify-spot).
    verdict = verify_spot(db_session=db_session, codes=[archive["code"]], keys=world.client.app.state.paper_keys)[0]
    assert verdict.findings == [], [f.line() for f in verdict.findings]
