"""The practical exam: eligibility, reproducible draws, evaluators' sealed sheets, the veto, disagreement
settled by the chief examiner, evidence checked against the log, signed results, qualification."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from examsvc.audit import repository
from examsvc.practical import evidence as evidence_store
from examsvc.practical import service as practical_banks
from examsvc.practical.exam import draw_items
from examsvc.practical.models import PracticalSeed
from tests.attempts.exam import PASSPHRASE, Exam
from tests.practical import media
from tests.practical.day import Practical, full_marks, passed_theory
from tests.sittings.conftest import Day
from tests.sittings.test_candidates import ident

JPEG = media.jpeg()


def _entries(practical: Practical, action: str) -> list[dict]:  # type: ignore[type-arg]
    db = practical.day.db_session
    return [e for e in (json.loads(r) for r in repository.entries(db, 0, repository.committed_size(db)))
            if e["action"] == action]


@pytest.fixture
def ready(day: Day) -> tuple[Exam, Practical]:
    exam = Exam(day, candidates=8)
    passed_theory(exam)
    practical = Practical(exam)
    practical.check_in_staff()
    registered = practical.register(exam.ids)
    assert registered.status_code == 201, registered.text
    practical.admissions = [r["admission_number"] for r in registered.json()]  # type: ignore[attr-defined]
    practical.open()
    practical.check_in_candidates(practical.admissions, exam.ids)  # type: ignore[attr-defined]
    return exam, practical


def test_a_practical_sitting_with_eight_candidates_and_two_evaluators(ready: tuple[Exam, Practical]) -> None:
    exam, practical = ready
    admissions: list[str] = practical.admissions  # type: ignore[attr-defined]
    client = practical.client
    drawn = {}
    for n, admission in enumerate(admissions):
        items = practical.draw(admission)
        assert items.status_code == 201, items.text
        drawn[admission] = {i["subject"]: i for i in items.json()}
        for subject, item in drawn[admission].items():
            veto = n == 2 and subject == "K2"  # candidate 2 fails a veto item, whatever the points
            first = full_marks(item, lose=1 if n == 2 else 0, veto=veto)
            apart = n == 3 and subject == "K4"  # candidate 3: the evaluators disagree beyond the margin
            second = ([{"code": c["code"], "points": c["points"] // 2} for c in item["criteria"]] if apart
                      else full_marks(item, lose=n % 2, veto=veto))
            for evaluator, marks in ((0, first), (1, second)):
                scored = practical.score(admission, subject, marks, evaluator)
                assert scored.status_code == 201, scored.text
    state = client.get(f"/sittings/{practical.code}/practical/candidates/{admissions[3]}",
                       headers=practical.chief).json()
    assert state["subjects"]["K4"]["waiting_for"] == "chief_examiner"
    early = client.post(f"/sittings/{practical.code}/practical/results/publish", headers=practical.chief,
                        json={"passphrase": PASSPHRASE})
    assert early.json()["error"] == "sitting_not_closed"
    decided = client.post(f"/sittings/{practical.code}/practical/candidates/{admissions[3]}/decisions/K4",
                          headers=practical.chief, json={"score": 180, "reason": "复看视频，按第二考评员意见扣2分"})
    assert decided.status_code == 201, decided.text
    uploaded = client.post(f"/sittings/{practical.code}/practical/candidates/{admissions[0]}/evidence/K2",
                           headers=practical.evaluator(0) | {"Content-Type": "image/jpeg"}, content=JPEG)
    assert uploaded.status_code == 201, uploaded.text

    closed = client.post(f"/sittings/{practical.code}/close", headers=practical.chief,
                         json={"passphrase": PASSPHRASE})
    assert closed.status_code == 200, closed.text
    seed = bytes.fromhex(practical.day.db_session.get(PracticalSeed, closed.json() and _sitting_id(practical))
                         .revealed_seed)  # type: ignore[union-attr]
    items = practical_banks.document_of(db_session=practical.day.db_session, version_id=practical.bank.id).items
    for admission in admissions:  # every draw follows from the revealed seed
        assert {str(s): k for s, k in draw_items(list(items), seed, admission).items()} == \
            {s: i["key"] for s, i in drawn[admission].items()}
    published = client.post(f"/sittings/{practical.code}/practical/results/publish", headers=practical.chief,
                            json={"passphrase": PASSPHRASE})
    assert published.status_code == 201, published.text
    assert f"results {len(admissions)}" in published.text
    results = {r["admission_number"]: r for r in client.get(f"/sittings/{practical.code}/practical/results",
                                                            headers=practical.day.admin).json()}
    assert results[admissions[0]]["score"] == 1000 and results[admissions[0]]["passed"]
    assert results[admissions[2]]["score"] >= 950 and results[admissions[2]]["veto_failed"]
    assert not results[admissions[2]]["passed"]
    assert results[admissions[3]]["subjects"]["K4"]["score"] == 180
    assert sum(r["passed"] for r in results.values()) == 7
    qualified = client.get("/qualifications", headers=practical.day.admin,
                           params={"id_number": exam.ids[0], "subject": "1.2"}).json()
    assert qualified["qualified"] is True and qualified["theory_passed_on"]
    failed = client.get("/qualifications", headers=practical.day.admin,
                        params={"id_number": exam.ids[2], "subject": "1.2"}).json()
    assert failed["qualified"] is False
    reviewed = client.post(f"/sittings/{practical.code}/practical/results/{admissions[2]}/review",
                           headers=practical.chief, json={"reason": "复核：否决项成立，维持不合格；K1 更正为 19 分",
                                                          "scores": {"K1": 190}, "passphrase": PASSPHRASE})
    assert reviewed.status_code == 201, reviewed.text
    assert (reviewed.json()["version"], reviewed.json()["passed"]) == (2, False)
    assert "version 2" in client.get(f"/sittings/{practical.code}/results/manifest", headers=practical.day.admin).text
    published_entry = _entries(practical, "results.published")[-1]
    assert published_entry["details"]["kind"] == "practical"
    assert [d["details"]["admission_number"] for d in _entries(practical, "practical.drawn")] == admissions


def _sitting_id(practical: Practical) -> int:
    from examsvc.sittings.service import get

    return get(db_session=practical.day.db_session, code=practical.code).id


def test_only_an_assigned_evaluator_on_site_scores_and_a_sheet_never_changes(day: Day) -> None:
    exam = Exam(day, candidates=1)
    passed_theory(exam)
    practical = Practical(exam)
    practical.check_in_staff(practical.chief_user, practical.proctor_user, practical.evaluators[0])
    [registered] = practical.register(exam.ids).json()
    admission = registered["admission_number"]
    late = practical.client.post(f"/sittings/{practical.code}/open", headers=practical.chief,
                                 json={"passphrase": PASSPHRASE})
    assert late.json()["error"] == "staff_missing"  # the rule wants two evaluators on site
    practical.check_in_staff(practical.evaluators[1])
    practical.open()
    practical.check_in_candidates([admission], exam.ids)
    outsider = exam.proctor("01")
    assert practical.client.post(f"/sittings/{practical.code}/practical/candidates/{admission}/draw",
                                 headers=outsider | practical.station, json={}).status_code == 403
    items = {i["subject"]: i for i in practical.draw(admission).json()}
    assert practical.draw(admission).json()["error"] == "already_drawn"
    from examsvc.identity.roles import Role
    from tests.builders import auth_header, login, make_user

    stranger = make_user(day.db_session, Role.EVALUATOR)
    token = auth_header(login(practical.client, stranger.username)) | practical.station
    refused = practical.client.post(f"/sittings/{practical.code}/practical/candidates/{admission}/scores/K1",
                                    headers=token, json={"marks": full_marks(items["K1"])})
    assert refused.json()["error"] == "not_assigned"
    assert practical.score(admission, "K1", full_marks(items["K1"]), 0).status_code == 201
    again = practical.score(admission, "K1", full_marks(items["K1"], lose=3), 0)
    assert (again.status_code, again.json()["error"]) == (409, "already_scored")
    with pytest.raises(DBAPIError), day.db_session.begin_nested():
        day.db_session.execute(text("UPDATE practical_mark SET tenths = 0"))
    bad = practical.score(admission, "K2", [{"code": 1, "points": 999}], 1)
    assert bad.json()["error"] == "bad_marks"
    assert practical.client.post(f"/sittings/{practical.code}/presence/{practical.evaluators[1].id}/check-out",
                                 headers=practical.chief, json={"reason": "临时离开"}).status_code == 200
    absent = practical.score(admission, "K2", full_marks(items["K2"]), 1)
    assert (absent.status_code, absent.json()["error"]) == (403, "evaluator_not_present")


def test_a_candidate_without_a_passed_theory_exam_is_refused(day: Day) -> None:
    exam = Exam(day, candidates=1)
    passed_theory(exam)
    practical = Practical(exam)
    refused = practical.register([exam.ids[0], ident("19850505", 55)])
    assert refused.status_code == 422
    [problem] = refused.json()["detail"]["problems"]
    assert problem["line"] == 3 and "理论考试合格成绩" in problem["message"]


def test_candidate_draws_are_recorded_and_checked(day: Day) -> None:
    from examsvc.practical.rule import DrawBy

    exam = Exam(day, candidates=1)
    passed_theory(exam)
    practical = Practical(exam, draw_by=DrawBy.CANDIDATE)
    practical.check_in_staff()
    [registered] = practical.register(exam.ids).json()
    admission = registered["admission_number"]
    practical.open()
    practical.check_in_candidates([admission], exam.ids)
    assert practical.draw(admission).json()["error"] == "draw_incomplete"
    wrong = practical.draw(admission, {"K1": "LV-K2-01", "K2": "LV-K2-02", "K3": "LV-K3-01", "K4": "LV-K4-01"})
    assert wrong.json()["error"] == "bad_draw"
    chosen = {"K1": "LV-K1-03", "K2": "LV-K2-02", "K3": "LV-K3-01", "K4": "LV-K4-02"}
    assert [i["key"] for i in practical.draw(admission, chosen).json()] == list(chosen.values())
    assert _entries(practical, "practical.drawn")[-1]["details"]["drawn_by"] == "candidate"


def test_evidence_whose_bytes_change_no_longer_matches_the_log(ready: tuple[Exam, Practical]) -> None:
    _, practical = ready
    admission = practical.admissions[0]  # type: ignore[attr-defined]
    bad = practical.client.post(f"/sittings/{practical.code}/practical/candidates/{admission}/evidence/K1",
                                headers=practical.evaluator(0) | {"Content-Type": "image/png"}, content=JPEG)
    assert bad.json()["error"] == "evidence_type"
    # Magic bytes followed by HTML are no JPEG; what the client declared is never echoed back.
    forged = practical.client.post(f"/sittings/{practical.code}/practical/candidates/{admission}/evidence/K1",
                                   headers=practical.evaluator(0) | {"Content-Type": "image/jpeg"},
                                   content=b"\xff\xd8\xff\xe0<html><script>alert(1)</script></html>")
    assert (forged.status_code, forged.json()["error"]) == (422, "evidence_type")
    echoed = practical.client.post(f"/sittings/{practical.code}/practical/candidates/{admission}/evidence/K1",
                                   headers=practical.evaluator(0) | {"Content-Type": "text/html; q=ECHOED"},
                                   content=JPEG)
    assert echoed.json()["detail"] == {"allowed_types": ["image/jpeg", "image/png", "video/mp4"]}
    assert "ECHOED" not in echoed.text and "text/html" not in echoed.text
    stored = practical.client.post(f"/sittings/{practical.code}/practical/candidates/{admission}/evidence/K1",
                                   headers=practical.evaluator(0) | {"Content-Type": "image/jpeg"}, content=JPEG)
    assert stored.status_code == 201, stored.text
    evidence_id, digest = stored.json()["id"], stored.json()["sha256"]
    [logged] = _entries(practical, "practical.evidence_uploaded")
    assert logged["details"]["sha256"] == digest
    url = f"/sittings/{practical.code}/practical/evidence/{evidence_id}"
    auditor = practical.day.client and _auditor(practical)
    early = practical.client.get(url, headers=auditor)  # auditors read a sitting once it is closed
    assert (early.status_code, early.json()["error"]) == (403, "sitting_not_closed")
    assert practical.client.get(url, headers=practical.chief).content == JPEG
    assert practical.client.get(url, headers=practical.evaluator(0)).status_code == 403
    elsewhere = practical.client.get(f"/sittings/NOPE/practical/evidence/{evidence_id}", headers=practical.chief)
    assert elsewhere.status_code == 404  # the sitting in the path is the evidence's own, or nothing
    settings = practical.client.app.state.settings  # type: ignore[attr-defined]
    path = evidence_store.path_of(settings.data_dir, digest)
    path.write_bytes(JPEG[:-1] + b"\x00")
    altered = practical.client.get(url, headers=practical.chief)
    assert (altered.status_code, altered.json()["error"]) == (409, "evidence_altered")
    rows = evidence_store.of_sitting(practical.day.db_session, _sitting_id(practical))
    assert [evidence_store.check(settings.data_dir, r).matches for r in rows] == [False]


def _auditor(practical: Practical) -> dict[str, str]:
    from examsvc.identity.roles import Role
    from tests.builders import auth_header, login, make_user

    return auth_header(login(practical.client, make_user(practical.day.db_session, Role.AUDITOR).username))


def test_seed_rows_exist_only_for_practical_sittings(ready: tuple[Exam, Practical]) -> None:
    _, practical = ready
    seeds = practical.day.db_session.scalars(select(PracticalSeed)).all()
    assert [s.sitting_id for s in seeds] == [_sitting_id(practical)]
    assert _entries(practical, "practical.seed_committed")[0]["details"]["seed_commitment"] == seeds[0].commitment


def test_the_second_evaluator_sees_nothing_of_the_first_sheet_until_the_subject_is_settled(
        ready: tuple[Exam, Practical]) -> None:
    _, practical = ready
    admission = practical.admissions[0]  # type: ignore[attr-defined]
    items = {i["subject"]: i for i in practical.draw(admission).json()}
    assert practical.score(admission, "K1", full_marks(items["K1"]), 0).status_code == 201
    url = f"/sittings/{practical.code}/practical/candidates/{admission}"

    def sheets(headers: dict[str, str]) -> list[int]:
        response = practical.client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        return [s["evaluator"] for s in response.json()["subjects"]["K1"]["sheets"]]

    first, second = (e.id for e in practical.evaluators)
    assert sheets(practical.evaluator(1)) == []  # blind: the first sheet is not shown to the second
    assert sheets(practical.evaluator(0)) == [first]
    assert sheets(practical.chief) == [first]
    assert practical.score(admission, "K1", full_marks(items["K1"]), 1).status_code == 201
    assert sorted(sheets(practical.evaluator(1))) == sorted([first, second])  # settled: both are shown
