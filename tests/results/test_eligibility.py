"""Retakes: one within 12 months, re-training after a failed retake, a valid pass needs no retake;
a retake paper avoids the questions the candidate already saw."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest
from sqlalchemy import select, update

from examsvc.audit.actors import Actor
from examsvc.candidates.models import Candidate, Registration
from examsvc.crypto.signed_note import parse_vkey
from examsvc.papers import service as papers
from examsvc.papers import verification
from examsvc.results.eligibility import Outcome, add_months, retrained_on, theory_pass_valid, theory_refusal
from tests.attempts.exam import PASSPHRASE, Exam
from tests.audit.test_verify_sitting_facts import _drop_guards
from tests.builders import release_without_opening
from tests.sittings.test_candidates import csv_of, ident
from tests.sittings.test_presence import _start

D = date(2026, 3, 10)


def fail(day: date, published: bool = True) -> Outcome:
    return Outcome("S", day, published, False)


def pass_(day: date) -> Outcome:
    return Outcome("S", day, True, True)


def test_one_retake_then_retraining() -> None:
    assert theory_refusal([], None, D) is None
    assert theory_refusal([fail(D)], None, date(2026, 4, 1)) is None  # the one retake
    refused = theory_refusal([fail(D), fail(date(2026, 4, 1))], None, date(2026, 5, 1))
    assert refused is not None and "重新参加安全技术培训" in refused
    # Years later, still: a failed retake needs re-training first.
    assert theory_refusal([fail(D), fail(date(2026, 4, 1))], None, date(2028, 5, 1)) is not None
    assert theory_refusal([fail(D), fail(date(2026, 4, 1))], date(2026, 4, 20), date(2026, 5, 1)) is None


def test_a_first_failure_lapses_after_twelve_months() -> None:
    assert theory_refusal([fail(D), fail(date(2027, 4, 1))], None, date(2027, 5, 1)) is None


def test_a_valid_pass_needs_no_exam_and_pending_results_wait() -> None:
    refused = theory_refusal([pass_(D)], None, date(2026, 6, 1))
    assert refused is not None and "有效期" in refused
    assert theory_refusal([pass_(D)], None, date(2027, 3, 10)) is None  # expired
    pending = theory_refusal([fail(D, published=False)], None, date(2026, 4, 1))
    assert pending is not None and "尚未发布" in pending


def test_practical_needs_a_valid_theory_pass() -> None:
    assert theory_pass_valid([pass_(D)], date(2027, 3, 9))
    assert not theory_pass_valid([pass_(D)], date(2027, 3, 10))
    assert not theory_pass_valid([fail(D)], date(2026, 4, 1))


def test_add_months_clamps_the_day() -> None:
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


def test_registration_applies_the_retake_rules_and_the_retake_avoids_and_commits_seen_questions(exam: Exam) -> None:
    client, admin = exam.client, exam.day.admin
    for i in (0, 1):
        exam.start(i)
    exam.answer(1, exam.correct(1))  # candidate 1 passes; candidate 0 hands in a blank sheet
    first_keys = {i["key"] for i in client.get(f"/paper-sets/{exam.paper_set}/papers/{exam.admissions[0]}",
                                                 headers=exam.chief).json()["items"]}
    for i in (0, 1):
        exam.submit(i)
    exam.day.sitting("S-2", start=_start(300))
    sheet = csv_of(("考生0", exam.ids[0], "某培训学校"), ("考生1", exam.ids[1], "某培训学校"))
    pending = client.post("/sittings/S-2/candidates", params={"filename": "补考.csv"}, headers=admin, content=sheet)
    assert pending.status_code == 422 and "尚未发布" in pending.text
    client.post(f"/sittings/{exam.code}/close", headers=exam.chief, json={"passphrase": PASSPHRASE})
    client.post(f"/sittings/{exam.code}/results/publish", headers=exam.chief, json={"passphrase": PASSPHRASE})
    refused = client.post("/sittings/S-2/candidates", params={"filename": "补考.csv"}, headers=admin, content=sheet)
    assert refused.status_code == 422
    [problem] = refused.json()["detail"]["problems"]
    assert problem["line"] == 3 and "有效期" in problem["message"]  # the one who passed
    retake = client.post("/sittings/S-2/candidates", params={"filename": "补考.csv"}, headers=admin,
                         content=csv_of(("考生0", exam.ids[0], "某培训学校")))
    assert retake.status_code == 201, retake.text
    number = retake.json()[0]["admission_number"]
    assert exam.day.assign("S-2", exam.crew.chief.id, "chief_examiner").status_code == 201
    made = client.post("/paper-sets", headers=admin, json={"sitting_code": "S-2", "candidates": [number]}).json()
    client.post(f"/paper-sets/{made['id']}/approve", headers=exam.chief, json={"passphrase": PASSPHRASE})
    release_without_opening(exam.day.db_session, made["id"], exam.crew.chief, client.app.state.paper_keys,
                            PASSPHRASE)
    items = client.get(f"/paper-sets/{made['id']}/papers/{number}", headers=exam.chief).json()["items"]
    repeated = [i for i in items if i["key"] in first_keys]
    # 169 unseen 判断题 for 70 places: never repeated. 55 unseen 单选题 for 30 places: in a few draws
    # out of a hundred they cannot meet the rule's quotas alone (knowledge point 3.2 has 5 questions),
    # and the section is drawn from the whole pool, as the rule says ("where the pool allows").
    assert len(items) == 100 and all(i["type"] == "single_choice" for i in repeated)
    _the_retake_paper_commits_its_seen_set(exam, made["id"], number, first_keys)


def _the_retake_paper_commits_its_seen_set(exam: Exam, paper_set_id: int, number: str, first_keys: set[str]) -> None:
    """Issue 16 item 9: the paper names the digest of the seen set (docs/assembly.md §5, §7), computed here
    from the definition; re-derivation recomputes the seen set and refuses one that no longer matches."""
    client, db_session = exam.client, exam.day.db_session
    paper = client.get(f"/paper-sets/{paper_set_id}/papers/{number}", headers=exam.chief).json()
    expected = hashlib.sha256(json.dumps(sorted(first_keys), separators=(",", ":")).encode()).hexdigest()
    assert (paper["format"], paper["seen"]) == ("examsvc-paper/2", expected)
    keys = client.app.state.paper_keys
    chief = exam.crew.chief
    papers.close_set(db_session=db_session, paper_set_id=paper_set_id, keys=keys,
                     actor=Actor.user(chief.id, chief.username, ("chief_examiner",)))
    service_key = parse_vkey(client.get("/audit/key").text)
    assert verification.verify(db_session=db_session, paper_set_id=paper_set_id, service_key=service_key, keys=keys,
                               rederive=True).rederived
    # The history changed (the first sitting's registration now names another person): the committed seen
    # set is no longer what the earlier papers give, and re-derivation says so for that candidate.
    person = Candidate(id_number=ident("19800101", 9), name="另一人")
    db_session.add(person)
    db_session.flush()
    _drop_guards(exam, "registration")  # what a database owner can do
    db_session.execute(update(Registration).where(Registration.admission_number == exam.admissions[0])
                       .values(candidate_id=person.id))
    db_session.flush()
    with pytest.raises(verification.PaperSetMismatch, match=f"paper of {number}: its seen-question digest"):
        verification.verify(db_session=db_session, paper_set_id=paper_set_id, service_key=service_key, keys=keys,
                            rederive=True)


def test_retraining_is_recorded_for_a_known_candidate(exam: Exam) -> None:
    body = {"id_number": exam.ids[0], "subject": "1.2", "completed_on": "2027-02-01", "reference": "某培训学校 第12期"}
    recorded = exam.client.post("/retrainings", headers=exam.day.admin, json=body)
    assert recorded.status_code == 201, recorded.text
    person = exam.day.db_session.scalars(select(Candidate).where(Candidate.id_number == exam.ids[0])).one()
    assert retrained_on(exam.day.db_session, [person.id], "1.2") == {person.id: date(2027, 2, 1)}
    unknown = exam.client.post("/retrainings", headers=exam.day.admin, json=body | {"id_number": ident("19800101", 7)})
    assert (unknown.status_code, unknown.json()["error"]) == (404, "candidate_not_found")
    bad = exam.client.post("/retrainings", headers=exam.day.admin, json=body | {"id_number": "140105199001011230"})
    assert (bad.status_code, bad.json()["detail"]["field"]) == (422, "id_number")
