"""The signals API on a real closed sitting: two candidates whose collected answers are the same (a
similarity lead with seats and answers by key and bank label, no content), one answering everything right
in seconds (fast high score), one idle for half an hour then answering in a burst (its save journal); a
person's action is written to signal_action and the audit log; who may read and act."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from examsvc.analytics.signal_models import SignalAction
from examsvc.attempts.models import Attempt
from examsvc.audit.models import AuditEntry
from examsvc.banks.models import Question
from examsvc.candidates.models import Registration
from examsvc.identity.roles import Role
from tests.analytics.signal_sitting import CANDIDATES, ITEMS, WRONG, closed_sitting
from tests.attempts.exam import Exam
from tests.builders import Actors
from tests.sittings.conftest import Day, day  # noqa: F401  (the fixture)


@pytest.fixture
def sitting(day: Day) -> tuple[Exam, list[Question]]:  # noqa: F811
    return closed_sitting(day)


def _signals(exam: Exam, headers: dict[str, str], **query: str) -> list[dict[str, Any]]:
    response = exam.client.get("/analytics/signals", params={"sitting": exam.code, **query}, headers=headers)
    assert response.status_code == 200, response.text
    out: list[dict[str, Any]] = response.json()
    return out


def test_the_sittings_signals_carry_their_evidence_without_content(sitting: tuple[Exam, list[Question]]) -> None:
    exam, questions = sitting
    found = _signals(exam, exam.day.admin)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for s in found:
        by_kind.setdefault(s["kind"], []).append(s)
    (pair,) = by_kind["similarity"]
    assert sorted(pair["subjects"]) == sorted(exam.admissions[:2])
    evidence = pair["evidence"]
    assert evidence["common"] == evidence["matches"] == ITEMS and evidence["identical_wrong"] == len(WRONG)
    assert evidence["p_value"] < 1e-6
    assert {row["key"] for row in evidence["answers"]} == {q.key for q in questions}
    assert all(row["same"] for row in evidence["answers"])
    # neither which answers were right nor which identical ones were wrong is shown per question: an identical
    # answer not marked wrong would be the key; the count is in the summary only
    assert all(set(row) == {"key", "a", "b", "same"} for row in evidence["answers"])
    # seats of the check-ins: candidate 0 in room 01 seat 1, candidate 1 in room 02 seat 1
    assert evidence["seats"]["same_room"] is False
    assert {evidence["seats"]["a"]["room"], evidence["seats"]["b"]["room"]} == {"01", "02"}
    (fast,) = by_kind["fast_score"]
    assert fast["subjects"] == [exam.admissions[2]] and fast["evidence"]["reason"] == "floor"
    assert fast["statistic_name"] == "seconds_per_item" and fast["statistic"] < 3
    (burst,) = by_kind["idle_burst"]
    assert burst["subjects"][0] == exam.admissions[0]
    assert burst["evidence"]["idle_seconds"] >= 1790 and burst["evidence"]["burst_items"] == 20
    assert [p["position"] for p in burst["evidence"]["timeline"]] == list(range(20))
    text = json.dumps(found, ensure_ascii=False)
    assert not any(q.stem in text for q in questions)
    assert not any(text_ in text for q in questions for _, text_ in q.options if len(text_) > 3)
    assert _signals(exam, exam.day.admin, kind="similarity") == [pair]


def test_an_action_is_recorded_with_the_signal_and_in_the_log(sitting: tuple[Exam, list[Question]],
                                                              actors: Actors) -> None:
    exam, _ = sitting
    (pair,) = _signals(exam, exam.day.admin, kind="similarity")
    url = f"/analytics/signals/{pair['id']}/actions"
    db = exam.day.db_session
    size_before = len(db.scalars(select(AuditEntry.idx)).all())
    bad = exam.client.post(url, params={"sitting": exam.code}, headers=exam.day.admin,
                           json={"action": "punished", "note": "x"})
    assert bad.status_code == 422
    empty = exam.client.post(url, params={"sitting": exam.code}, headers=exam.day.admin,
                             json={"action": "referred", "note": ""})
    assert empty.status_code == 422
    unknown = exam.client.post("/analytics/signals/sg-" + "0" * 24 + "/actions", params={"sitting": exam.code},
                               headers=exam.day.admin, json={"action": "referred", "note": "调取录像"})
    assert unknown.status_code == 404 and unknown.json()["error"] == "signal_not_found"
    assert db.scalars(select(SignalAction)).all() == []
    done = exam.client.post(url, params={"sitting": exam.code}, headers=exam.day.admin,
                            json={"action": "referred", "note": "座位相邻，调取录像"})
    assert done.status_code == 201, done.text
    assert [a["action"] for a in done.json()["actions"]] == ["referred"]
    db.expire_all()
    (row,) = db.scalars(select(SignalAction)).all()
    assert (row.signal_id, row.action, row.note) == (pair["id"], "referred", "座位相邻，调取录像")
    entry = json.loads(db.get(AuditEntry, row.log_index).entry)  # type: ignore[union-attr]
    assert entry["action"] == "signal.referred" and entry["subject"] == {"type": "signal", "id": pair["id"]}
    assert "座位相邻" not in json.dumps(entry, ensure_ascii=False)  # the note's digest only
    assert len(db.scalars(select(AuditEntry.idx)).all()) == size_before + 1
    db.commit()
    # the same id after recomputation, now with its action
    again = exam.client.get(f"/analytics/signals/{pair['id']}", params={"sitting": exam.code},
                            headers=exam.day.admin).json()
    assert again["id"] == pair["id"] and again["actions"][0]["note"] == "座位相邻，调取录像"
    # auditors read, do not act; inspectors act; proctors neither
    auditor, inspector = actors.user_with(Role.AUDITOR), actors.user_with(Role.INSPECTOR)
    assert _signals(exam, auditor, kind="similarity")[0]["id"] == pair["id"]
    assert exam.client.post(url, params={"sitting": exam.code}, headers=auditor,
                            json={"action": "dismissed", "note": "n"}).status_code == 403
    assert exam.client.post(url, params={"sitting": exam.code}, headers=inspector,
                            json={"action": "reviewed", "note": "已看录像"}).status_code == 201
    assert exam.client.get("/analytics/signals", params={"sitting": exam.code},
                           headers=exam.proctor("01")).status_code == 403


def test_attempts_do_not_leak_between_sittings(sitting: tuple[Exam, list[Question]]) -> None:
    exam, _ = sitting
    db = exam.day.db_session
    ids = {a.id for a in db.scalars(select(Attempt))}
    regs = {r.admission_number for r in db.scalars(select(Registration))}
    assert len(ids) == CANDIDATES and set(exam.admissions) <= regs
    missing = exam.client.get("/analytics/signals", params={"sitting": "NO-SUCH"}, headers=exam.day.admin)
    assert missing.status_code == 404


def test_the_pages_list_filter_show_evidence_and_record_an_action(sitting: tuple[Exam, list[Question]],
                                                                  actors: Actors) -> None:
    exam, questions = sitting
    client = exam.client
    admin = exam.day.admin
    client.cookies.set("examsvc_staff", admin["Authorization"].removeprefix("Bearer "))
    listed = client.get("/staff/analysis/signals", params={"sitting": exam.code, "kind": "similarity"})
    assert listed.status_code == 200, listed.text
    (pair,) = _signals(exam, admin, kind="similarity")
    assert pair["id"] in listed.text and "答案雷同" in listed.text and "高分快答" in listed.text  # the filter's options
    assert f"/staff/analysis/signals/{_signals(exam, admin, kind='fast_score')[0]['id']}" not in listed.text
    assert client.get("/staff/analysis/signals", params={"sitting": exam.code, "kind": "nonsense"}).status_code == 422
    page = client.get(f"/staff/analysis/signals/{pair['id']}", params={"sitting": exam.code})
    assert page.status_code == 200 and questions[0].key in page.text and "提交处理" in page.text
    assert questions[0].stem not in page.text
    csrf = client.cookies.get("examsvc_csrf")
    url = f"/staff/analysis/signals/{pair['id']}/actions?sitting={exam.code}"
    refused = client.post(url, data={"csrf": csrf, "action": "dismissed", "note": "  "})
    assert refused.status_code == 422 and refused.headers["X-Error"] == "bad_note"
    done = client.post(url, data={"csrf": csrf, "action": "dismissed", "note": "两人为同一培训班，已核对录像"},
                       follow_redirects=False)
    assert done.status_code == 303, done.text
    shown = client.get(done.headers["location"])
    assert "已记录：排除" in shown.text and "两人为同一培训班" in shown.text
    client.cookies.clear()
