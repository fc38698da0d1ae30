"""A scripted exam morning, end to end, and the room record checked against the log."""

from __future__ import annotations

import hashlib
import json

from examsvc.audit import repository
from examsvc.crypto.signed_note import open_note, parse_vkey
from tests.sittings.test_candidates import csv_of, ident
from tests.sittings.test_checkin import PHOTO, Morning

PASSPHRASE = "the chief examiner's own passphrase"


def test_an_exam_morning_from_schedule_to_room_record(morning: Morning) -> None:
    day, crew = morning.day, morning.crew
    chief = crew.tokens[crew.chief.id]
    absent = day.client.post("/sittings/S-1/candidates", params={"filename": "补报.csv"},
                             content=csv_of(("缺考人", ident("19910101", 21), "某校")), headers=day.admin).json()
    vkey = day.client.post("/examiners/me/key", headers=chief, json={"passphrase": PASSPHRASE}).text
    made = day.client.post("/paper-sets", headers=day.admin, json={
        "sitting_code": "S-1", "candidates": [morning.admission, absent[0]["admission_number"]]}).json()
    assert day.client.post(f"/paper-sets/{made['id']}/approve", headers=chief,
                           json={"passphrase": PASSPHRASE}).status_code == 200

    opened = day.client.post("/sittings/S-1/open", headers=chief, json={"passphrase": PASSPHRASE})
    assert opened.json()["status"] == "open"
    assert day.client.get(f"/paper-sets/{made['id']}", headers=chief).json()["status"] == "opened"

    code = morning.check_in().json()["one_time_code"]
    assert morning.sign_in(code).status_code == 201

    wrong = day.client.post("/sittings/S-1/close", headers=chief, json={"passphrase": "not my passphrase"})
    assert wrong.json()["error"] == "wrong_passphrase"
    closed = day.client.post("/sittings/S-1/close", headers=chief, json={"passphrase": PASSPHRASE})
    assert closed.json()["status"] == "closed", closed.text
    assert day.client.get(f"/paper-sets/{made['id']}", headers=chief).json()["revealed_seed"]

    record = day.client.get("/sittings/S-1/room-record", headers=day.admin)
    document = json.loads(record.content)
    assert (document["registered"], document["present"]) == (2, 1)
    present = {a["admission_number"]: a for a in document["attendance"]}
    assert present[morning.admission]["seat"] == 1 and present[morning.admission]["signed_in_at"]
    assert present[absent[0]["admission_number"]]["present"] is False
    assert {s["role"] for s in document["staff"]} == {"chief_examiner", "proctor"}
    assert PHOTO not in record.text  # the photo digest is in the log's check-in entry, not needed here

    digest = hashlib.sha256(record.content).hexdigest()
    assert record.headers["X-Record-SHA256"] == digest
    entries = [json.loads(e) for e in repository.entries(day.db_session, 0, repository.committed_size(day.db_session))]
    [closing] = [e for e in entries if e["action"] == "sitting.closed"]
    assert closing["details"]["room_record_digest"] == digest
    signed = day.client.get("/sittings/S-1/room-record/signature", headers=day.admin).text
    assert f"sha256 {digest}" in open_note(signed, parse_vkey(vkey))
    page = day.client.get("/sittings/S-1/room-record.html", headers=day.admin).text
    assert "考场记录" in page and "缺考 1 人" in page
