"""Proctor actions: pause credit, room outage, extra time, move, reopen, warning, removal; who may act."""

from __future__ import annotations

import json
from datetime import timedelta

from examsvc.attempts.clock import deadline
from tests.attempts.exam import SPARE_SEAT, Exam


def test_a_pause_is_credited_exactly(exam: Exam) -> None:
    exam.start(0)
    before = deadline(exam.attempt(0))
    paused = exam.act(0, "pause", "考生身体不适")
    assert paused.status_code == 200, paused.text
    frozen = paused.json()["clock"]["remaining_seconds"]
    assert exam.save(0, 0, "T", seq=1).json()["error"] == "attempt_paused"
    exam.age(0, 10)  # ten minutes pass while paused (start and pause moved back alike)
    assert exam.client.get("/attempt", headers=exam.sessions[0]).json()["clock"]["remaining_seconds"] == frozen
    resumed = exam.act(0, "resume", "恢复作答")
    attempt = exam.attempt(0)
    # Ten minutes went by while paused: all of it is credited, and the remaining time is what it was.
    assert 10 * 60 * 1000 <= attempt.pause_credit_ms < 10 * 60 * 1000 + 5000
    assert deadline(attempt) - before == timedelta(milliseconds=attempt.pause_credit_ms) - timedelta(minutes=10)
    assert abs(resumed.json()["clock"]["remaining_seconds"] - frozen) < 1.0
    assert exam.save(0, 0, "T", seq=1).status_code == 200


def test_a_room_outage_pauses_and_resumes_everyone_in_the_room(exam: Exam) -> None:
    exam.start(0)  # room 01
    exam.start(1)  # room 02
    paused = exam.client.post(f"/sittings/{exam.code}/rooms/01/pause", headers=exam.proctor("01"),
                              json={"reason": "停电"})
    assert paused.json()["admission_numbers"] == [exam.admissions[0]]
    assert exam.attempt(0).paused_at is not None and exam.attempt(1).paused_at is None
    other_room = exam.client.post(f"/sittings/{exam.code}/rooms/01/resume", headers=exam.proctor("02"),
                                  json={"reason": "恢复"})
    assert (other_room.status_code, other_room.json()["error"]) == (403, "not_proctor_of_room")
    resumed = exam.client.post(f"/sittings/{exam.code}/rooms/01/resume", headers=exam.chief, json={"reason": "来电"})
    assert resumed.json()["admission_numbers"] == [exam.admissions[0]]
    assert exam.attempt(0).paused_at is None and exam.attempt(0).pause_credit_ms > 0


def test_extra_time_moves_the_deadline(exam: Exam) -> None:
    exam.start(0)
    before = deadline(exam.attempt(0))
    granted = exam.act(0, "extra-time", "考试机故障耽误", minutes=5)
    assert granted.status_code == 200
    assert (deadline(exam.attempt(0)) - before).total_seconds() == 300
    assert exam.act(0, "extra-time", "过多", minutes=0).status_code == 422


def test_moving_to_another_workstation_keeps_answers_and_time(exam: Exam) -> None:
    exam.start(0)
    exam.save(0, 3, "T", seq=1)
    moved = exam.act(0, "move", "考试机死机", seat=SPARE_SEAT)
    assert moved.status_code == 200, moved.text
    frozen = moved.json()["clock"]["remaining_seconds"]
    old_session = exam.sessions[0]
    assert exam.client.get("/attempt", headers=old_session).json()["error"] == "candidate_session_invalid"
    exam.age(0, 3)  # three minutes to walk over and sign in again
    exam.sign_in(0, moved.json()["one_time_code"], exam.credentials[("01", SPARE_SEAT)])
    again = exam.start(0).json()
    assert again["answers"][0]["response"] == "T" and again["clock"]["paused"] is True
    assert again["clock"]["remaining_seconds"] == frozen
    resumed = exam.act(0, "resume", "换机完成")
    assert abs(resumed.json()["clock"]["remaining_seconds"] - frozen) < 1.0
    assert exam.save(0, 4, "F", seq=1).status_code == 200
    exam.start(1)
    assert exam.act(1, "move", "原座位", seat=1).json()["error"] == "seat_unusable"  # its own seat


def test_reopen_after_a_crash_issues_a_new_code_on_the_same_seat(exam: Exam) -> None:
    exam.start(0)
    exam.save(0, 0, "F", seq=1)
    reopened = exam.act(0, "reopen", "浏览器崩溃")
    code = reopened.json()["one_time_code"]
    assert len(code) == 6
    exam.sign_in(0, code, exam.sessions[0]["X-Workstation-Token"])
    exam.act(0, "resume", "重新登录完成")
    assert exam.client.get("/attempt", headers=exam.sessions[0]).json()["answers"][0]["response"] == "F"


def test_removal_voids_the_score(exam: Exam) -> None:
    exam.start(0)
    exam.answer(0, exam.correct(0))
    assert exam.act(0, "warning", "交头接耳").status_code == 200
    removed = exam.act(0, "removal", "使用手机查阅答案")
    assert removed.status_code == 200 and removed.json()["clock"]["status"] == "removed"
    assert exam.submit(0).json()["error"] == "attempt_submitted"
    results = exam.client.get(f"/sittings/{exam.code}/results", headers=exam.chief).json()
    [mine] = [r for r in results if r["admission_number"] == exam.admissions[0]]
    assert (mine["score"], mine["void"], mine["passed"]) == (1000, True, False)


def test_only_proctors_of_the_room_and_the_chief_act(exam: Exam) -> None:
    exam.start(0)
    from examsvc.identity.roles import Role
    from tests.builders import auth_header, login, make_user

    outsider = auth_header(login(exam.client, make_user(exam.day.db_session, Role.PROCTOR).username))
    refused = exam.client.post(f"/sittings/{exam.code}/attempts/{exam.admissions[0]}/pause", headers=outsider,
                               json={"reason": "x"})
    assert (refused.status_code, refused.json()["error"]) == (403, "not_assigned")
    wrong_room = exam.client.post(f"/sittings/{exam.code}/attempts/{exam.admissions[0]}/pause",
                                  headers=exam.proctor("02"), json={"reason": "x"})
    assert wrong_room.json()["error"] == "not_proctor_of_room"
    assert exam.act(0, "pause", "").status_code == 422  # a reason is required


def test_incidents_reach_the_room_record(exam: Exam) -> None:
    exam.start(0)
    exam.act(0, "warning", "左顾右盼")
    exam.act(0, "extra-time", "机器故障", minutes=2)
    exam.submit(0)
    exam.start(1)
    exam.submit(1)
    closed = exam.client.post(f"/sittings/{exam.code}/close", headers=exam.chief, json={"passphrase": "the chief "
                                                                                       "examiner's own passphrase"})
    assert closed.status_code == 200, closed.text
    record = json.loads(exam.client.get(f"/sittings/{exam.code}/room-record", headers=exam.chief).content)
    assert [(i["kind"], i["reason"]) for i in record["incidents"]] == [("warning", "左顾右盼"),
                                                                        ("extra_time", "机器故障")]
    assert {a["ended_how"] for a in record["attendance"]} == {"candidate"}
    page = exam.client.get(f"/sittings/{exam.code}/room-record.html", headers=exam.chief).text
    assert "警告" in page and "左顾右盼" in page


def test_a_sitting_with_a_candidate_still_answering_does_not_close(exam: Exam) -> None:
    exam.start(0)
    refused = exam.client.post(f"/sittings/{exam.code}/close", headers=exam.chief,
                               json={"passphrase": "the chief examiner's own passphrase"})
    assert (refused.status_code, refused.json()["error"]) == (409, "attempts_in_progress")
    exam.age(0, 121)  # time is up: closing submits it first
    closed = exam.client.post(f"/sittings/{exam.code}/close", headers=exam.chief,
                              json={"passphrase": "the chief examiner's own passphrase"})
    assert closed.status_code == 200, closed.text
    assert exam.attempt(0).submitted_how == "deadline"


def test_no_new_start_in_an_understaffed_room(exam: Exam) -> None:
    for proctor in exam.crew.proctors["01"]:
        assert exam.client.post(f"/sittings/{exam.code}/presence/{proctor.id}/check-out", headers=exam.chief,
                                json={"reason": "临时离岗"}).status_code == 200
    refused = exam.start(0)
    assert (refused.status_code, refused.json()["error"]) == (409, "room_understaffed")
    assert exam.start(1).status_code == 200  # room 02 is fully staffed
