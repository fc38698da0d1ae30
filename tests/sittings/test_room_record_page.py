"""The printable room record (考场记录, issue 16 item 19): the site's local time to the second, people by
name, and everything the signed JSON document holds (each candidate's start, end and how the attempt
ended; what each proctor action did, a move's two seats included)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from examsvc.config import Settings
from examsvc.identity.models import UserAccount
from examsvc.localtime import local_text
from tests.attempts.exam import PASSPHRASE, SPARE_SEAT, Exam
from tests.sittings.conftest import Day


def _shanghai(text: str) -> str:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")


def test_the_printable_room_record_reads_in_local_time_with_names_and_every_fact(day: Day) -> None:
    exam = Exam(day, candidates=2)
    proctor = exam.crew.proctors["01"][0]
    day.db_session.execute(update(UserAccount).where(UserAccount.id == proctor.id).values(display_name="王监考"))
    day.db_session.commit()
    assert exam.start(0).status_code == 200 and exam.start(1).status_code == 200
    moved = exam.act(0, "move", "考试机死机", seat=SPARE_SEAT)
    assert moved.status_code == 200, moved.text
    exam.sign_in(0, moved.json()["one_time_code"], exam.credentials[("01", SPARE_SEAT)])
    assert exam.act(0, "resume", "换机完成").status_code == 200
    assert exam.act(1, "extra-time", "机器故障", minutes=5).status_code == 200
    assert exam.submit(0).status_code == 200
    assert exam.act(1, "removal", "使用手机").status_code == 200
    closed = exam.client.post(f"/sittings/{exam.code}/close", headers=exam.chief, json={"passphrase": PASSPHRASE})
    assert closed.status_code == 200, closed.text

    record = json.loads(exam.client.get(f"/sittings/{exam.code}/room-record", headers=exam.chief).content)
    move = next(i for i in record["incidents"] if i["kind"] == "move")
    assert (move["details"]["from_seat"], move["details"]["seat"]) == (1, SPARE_SEAT)
    page = exam.client.get(f"/sittings/{exam.code}/room-record.html", headers=exam.chief).text

    # No UTC stamps, no microseconds: every time as the site reads it, to the second.
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", page) and not re.search(r"\d\d:\d\d:\d\d\.\d", page)
    for moment in (record["scheduled_start"], record["opened_at"], record["closed_at"]):
        assert _shanghai(moment) in page
    for row in record["attendance"]:
        for field in ("checked_in_at", "signed_in_at", "started_at", "ended_at"):
            assert _shanghai(row[field]) in page, field
    assert "考生交卷" in page and "取消考试资格" in page  # how each attempt ended
    # A move's two seats, extra time and its new deadline, and who did it, by name.
    assert f"座位 1 → 座位 {SPARE_SEAT}" in page
    extra = next(i for i in record["incidents"] if i["kind"] == "extra_time")
    assert f"延长 5 分钟；新截止时间 {_shanghai(extra['details']['deadline'])}" in page
    assert page.count("王监考") >= 3  # the move, the resume and the extra time (and the staff table)
    assert "Asia/Shanghai" in page


def test_the_site_time_zone_is_a_setting_and_a_wrong_one_is_refused() -> None:
    assert local_text(datetime(2027, 1, 10, 1, 0, 0, 999999)) == "2027-01-10 09:00:00"  # naive is UTC; to the second
    assert local_text(datetime(2027, 1, 10, 1, 0, tzinfo=UTC), "Asia/Urumqi") == "2027-01-10 07:00:00"
    assert local_text(None, empty="未到岗") == "未到岗"
    assert Settings(_env_file=None, timezone="Europe/Berlin").timezone == "Europe/Berlin"  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        Settings(_env_file=None, timezone="Mars/Olympus")  # type: ignore[call-arg]
