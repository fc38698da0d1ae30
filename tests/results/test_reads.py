"""What the chief examiner and the auditor can read back over HTTP (issue 16 items 11, 15, 16): a sitting's
paper sets, one candidate's result, the paper as the candidate saw it; rooms and seats by code; Merkle
roots named by their encoding."""

from __future__ import annotations

import base64
import hashlib

from examsvc.identity.roles import Role
from tests.attempts.exam import PASSPHRASE, Exam, seat_of
from tests.builders import Actors, open_sitting
from tests.results.test_results import _finish, _publish
from tests.sittings.conftest import Day
from tests.sittings.test_presence import Crew, _start


def _root_line(note: str) -> str:
    return next(line.split(" ", 1)[1] for line in note.splitlines() if line.startswith("root "))


def test_a_sitting_names_its_paper_sets_and_they_are_listed_by_sitting(exam: Exam) -> None:
    admin = exam.day.admin
    sitting = exam.client.get(f"/sittings/{exam.code}", headers=admin).json()
    assert sitting["paper_set_ids"] == [exam.paper_set]
    listed = exam.client.get("/paper-sets", params={"sitting": exam.code}, headers=admin)
    assert listed.status_code == 200, listed.text
    (paper_set,) = listed.json()
    assert paper_set["id"] == exam.paper_set and paper_set["sitting_code"] == exam.code
    # One root, two encodings, each named: hex in JSON, base64 in the signed note.
    assert base64.b64decode(_root_line(paper_set["manifest"])).hex() == paper_set["merkle_root_hex"]
    assert "merkle_root" not in paper_set
    nowhere = exam.client.get("/paper-sets", params={"sitting": "NO-SUCH"}, headers=admin)
    assert (nowhere.status_code, nowhere.json()["error"]) == (404, "sitting_not_found")
    unnamed = exam.client.get("/paper-sets", headers=admin)
    assert unnamed.status_code == 422


def test_rooms_staff_rooms_and_seats_are_named_by_code(day: Day) -> None:
    exam = Exam(day, candidates=1, open_sitting=False)
    sitting = exam.client.get(f"/sittings/{exam.code}", headers=day.admin).json()
    assert sitting["rooms"] == ["01", "02"] and "room_ids" not in sitting
    rooms = {s["user_id"]: s["room"] for s in sitting["staff"]}
    assert rooms[exam.crew.chief.id] is None
    assert {rooms[p.id] for p in exam.crew.proctors["02"]} == {"02"}
    assert open_sitting(exam.client, exam.code, exam.chief, PASSPHRASE).status_code == 200
    room, seat = seat_of(0)
    checked = exam.client.post(f"/sittings/{exam.code}/check-ins", headers=exam.proctor(room), json={
        "admission_number": exam.admissions[0], "id_number": exam.ids[0], "room": room, "seat": seat,
        "photo_digest": hashlib.sha256(b"photo").hexdigest()})
    assert checked.status_code == 201, checked.text
    body = checked.json()
    assert (body["room"], body["seat"]) == (room, seat) and "seat_id" not in body


def test_one_candidates_result_is_readable_by_the_roles_that_read_all_results(exam: Exam, actors: Actors) -> None:
    _finish(exam)
    _publish(exam)
    manifest = exam.client.get(f"/sittings/{exam.code}/results/manifest", headers=exam.day.admin).text
    everyone = exam.client.get(f"/sittings/{exam.code}/results", headers=exam.day.admin).json()
    auditor = actors.user_with(Role.AUDITOR)
    for headers in (exam.day.admin, exam.chief, auditor):
        one = exam.client.get(f"/sittings/{exam.code}/results/{exam.admissions[0]}", headers=headers)
        assert one.status_code == 200, one.text
        assert one.json() == everyone[0] and one.json()["score"] == 950
    missing = exam.client.get(f"/sittings/{exam.code}/results/ZZ99", headers=exam.day.admin)
    assert (missing.status_code, missing.json()["error"]) == (404, "result_not_found")
    published = exam.client.post(f"/sittings/{exam.code}/results/{exam.admissions[1]}/review", headers=exam.chief,
                                 json={"reason": "复核", "adjustments": [], "void": False, "passphrase": PASSPHRASE})
    assert published.status_code == 201, published.text
    assert _root_line(manifest)  # the results manifest's root, base64 like every signed note's


def test_the_results_manifest_names_its_root_encoding(exam: Exam) -> None:
    _finish(exam)
    manifest = _publish(exam)
    assert "merkle_root" not in manifest
    assert base64.b64decode(_root_line(manifest["note"])).hex() == manifest["merkle_root_hex"]


def test_the_paper_as_the_candidate_saw_it_for_the_chief_and_the_auditor_after_the_close(exam: Exam,
                                                                                         actors: Actors) -> None:
    seen_on_screen = exam.start(0).json()["items"]
    url = f"/sittings/{exam.code}/papers/{exam.admissions[0]}"
    auditor = actors.user_with(Role.AUDITOR)
    early = exam.client.get(url, headers=auditor)
    assert (early.status_code, early.json()["error"]) == (403, "sitting_not_closed")
    for_chief = exam.client.get(url, headers=exam.chief)
    assert for_chief.status_code == 200, for_chief.text
    _finish(exam)
    after = exam.client.get(url, headers=auditor)
    assert after.status_code == 200, after.text
    paper = after.json()
    assert paper == for_chief.json()
    assert paper["admission_number"] == exam.admissions[0] and paper["paper_set_id"] == exam.paper_set
    assert len(paper["paper_digest"]) == 64
    # Exactly the screen: texts, in the candidate's option order, relabelled; plus where each came from.
    assert [{k: v for k, v in item.items() if k not in ("part", "key")} for item in paper["items"]] == seen_on_screen
    assert all(item["part"] in ("national", "provincial") and item["key"] for item in paper["items"])
    assert not any("answer" in item for item in paper["items"])
    other = exam.client.get(url, headers=actors.user_with(Role.EXAM_ADMIN))
    assert other.status_code == 403  # exam admins run the sitting; they do not read its papers


def test_a_refused_opening_names_the_understaffed_rooms_by_code(day: Day) -> None:
    day.sitting("S-9", start=_start(10))
    crew = Crew(day, "S-9")
    refused = open_sitting(day.client, "S-9", crew.tokens[crew.chief.id])
    assert (refused.status_code, refused.json()["error"]) == (409, "staff_missing")
    assert sorted(m["room"] for m in refused.json()["detail"]["missing"] if m["role"] == "proctor") == ["01", "02"]
