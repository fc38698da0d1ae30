"""The seat map and the province board read through the API (what the staff console polls): each seat's
state from the rows the exam day writes, the answered count, and the board's per-room counts."""

from __future__ import annotations

from datetime import datetime

from examsvc import localtime
from tests.attempts.conftest import exam  # noqa: F401  (the fixture)
from tests.attempts.exam import SPARE_SEAT, Exam


def seats(exam: Exam, room: str = "01") -> dict[int, dict[str, object]]:  # noqa: F811
    answer = exam.client.get(f"/sittings/{exam.code}/rooms/{room}/seats", headers=exam.proctor(room))
    assert answer.status_code == 200, answer.text
    return {s["seat"]: s for s in answer.json()["map"]["seats"]}


def test_each_seat_shows_the_state_the_exam_day_wrote(exam: Exam) -> None:  # noqa: F811
    first = seats(exam)[1]  # candidate 0: checked in and signed in (exam.check_in signs in)
    assert (first["state"], first["admission_number"], first["remaining_seconds"]) == (
        "signed_in", exam.admissions[0], None)
    assert seats(exam)[2]["state"] == "absent"
    assert exam.start(0).status_code == 200
    assert exam.save(0, 0, "T", 1).status_code == 200
    answering = seats(exam)[1]
    assert answering["state"] == "answering" and answering["answered"] == 1 and answering["items"] > 1
    assert 0 < float(answering["remaining_seconds"]) <= 120 * 60  # type: ignore[arg-type]
    assert exam.act(0, "move", seat=SPARE_SEAT).status_code == 200
    moved = seats(exam)
    assert moved[1]["state"] == "absent" and moved[SPARE_SEAT]["state"] == "paused"
    assert exam.act(0, "removal", reason="夹带").status_code == 200
    assert seats(exam)[SPARE_SEAT]["state"] == "removed"
    incidents = exam.client.get(f"/sittings/{exam.code}/rooms/01/incidents?q=夹带", headers=exam.proctor("01")).json()
    assert incidents["total"] == 1 and incidents["incidents"][0]["kind"] == "removal"


def test_the_board_counts_each_room_and_refuses_a_proctor(exam: Exam) -> None:  # noqa: F811
    assert exam.start(0).status_code == 200 and exam.act(0, "pause").status_code == 200
    headers = exam.day.admin  # exam admins read the board as inspectors do
    # The board's day is the site's local day of the sitting's start (EXAMSVC_TIMEZONE).
    start = datetime.fromisoformat(exam.client.get(f"/sittings/{exam.code}", headers=headers).json()["scheduled_start"])
    day = start.astimezone(localtime.zone("Asia/Shanghai")).date().isoformat()
    board = exam.client.get(f"/inspection/board?day={day}", headers=headers)
    assert board.status_code == 200, board.text
    rooms = {r["room"]: r for r in board.json()["rooms"] if r["sitting"] == exam.code}
    assert rooms["01"]["paused"] == 1 and rooms["01"]["room_paused"] and rooms["01"]["checked_in"] == 1
    assert rooms["02"]["checked_in"] == 1 and rooms["02"]["answering"] == 0
    assert rooms["01"]["incidents_30min"] == 1
    refused = exam.client.get("/inspection/board", headers=exam.proctor("01"))
    assert (refused.status_code, refused.json()["error"]) == (403, "forbidden")
