"""Results: signed publication, correction only by review (复核), and verify-results catching edits."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from examsvc.audit.keys import load_signer
from examsvc.crypto.signed_note import open_note, verifier_of
from examsvc.results.verify import ResultsMismatch, verify_results
from tests.attempts.exam import PASSPHRASE, Exam


def _finish(exam: Exam) -> None:
    """Candidate 0 answers everything right but the first five; candidate 1 hands in a blank sheet."""
    for i in (0, 1):
        exam.start(i)
    right = exam.correct(0)
    exam.answer(0, [exam.wrong(response) if position < 5 else response for position, response in enumerate(right)])
    for i in (0, 1):
        assert exam.submit(i).status_code == 200
    assert exam.client.post(f"/sittings/{exam.code}/close", headers=exam.chief,
                            json={"passphrase": PASSPHRASE}).status_code == 200


def _verify(exam: Exam) -> None:
    app_signer = load_signer(exam.client.app.state.settings)  # type: ignore[attr-defined]
    verify_results(db_session=exam.day.db_session, code=exam.code, service_key=verifier_of(app_signer),
                   keys=exam.client.app.state.paper_keys)  # type: ignore[attr-defined]


def _publish(exam: Exam) -> dict:  # type: ignore[type-arg]
    published = exam.client.post(f"/sittings/{exam.code}/results/publish", headers=exam.chief,
                                 json={"passphrase": PASSPHRASE})
    assert published.status_code == 201, published.text
    return published.json()  # type: ignore[no-any-return]


def test_publishing_signs_a_manifest_both_keys_verify(exam: Exam) -> None:
    early = exam.client.post(f"/sittings/{exam.code}/results/publish", headers=exam.chief,
                             json={"passphrase": PASSPHRASE})
    assert early.json()["error"] == "sitting_not_closed"
    _finish(exam)
    wrong = exam.client.post(f"/sittings/{exam.code}/results/publish", headers=exam.chief,
                             json={"passphrase": "not my passphrase"})
    assert wrong.json()["error"] == "wrong_passphrase"
    manifest = _publish(exam)
    assert manifest["result_count"] == 2 and manifest["version"] == 1
    results = {r["admission_number"]: r for r in
               exam.client.get(f"/sittings/{exam.code}/results", headers=exam.day.admin).json()}
    assert results[exam.admissions[0]]["score"] == 950 and results[exam.admissions[0]]["passed"] is True
    assert results[exam.admissions[1]]["score"] == 0 and results[exam.admissions[1]]["passed"] is False
    note = exam.client.get(f"/sittings/{exam.code}/results/manifest", headers=exam.day.admin).text
    service_key = verifier_of(load_signer(exam.client.app.state.settings))  # type: ignore[attr-defined]
    assert "results 2" in open_note(note, service_key)
    from examsvc.examiners import service as examiners

    assert open_note(note, examiners.verifier_for(db_session=exam.day.db_session, user_id=exam.crew.chief.id))
    again = exam.client.post(f"/sittings/{exam.code}/results/publish", headers=exam.chief,
                             json={"passphrase": PASSPHRASE})
    assert again.json()["error"] == "results_published"
    _verify(exam)


def test_a_correction_goes_only_through_review(exam: Exam) -> None:
    _finish(exam)
    body = {"reason": "第1题答案有争议，经复核给分", "adjustments": [{"position": 0, "points": 10}],
            "passphrase": PASSPHRASE}
    before = exam.client.post(f"/sittings/{exam.code}/results/{exam.admissions[0]}/review", headers=exam.chief,
                              json=body)
    assert before.json()["error"] == "results_not_published"
    _publish(exam)
    too_much = exam.client.post(f"/sittings/{exam.code}/results/{exam.admissions[0]}/review", headers=exam.chief,
                                json=body | {"adjustments": [{"position": 0, "points": 11}]})
    assert (too_much.status_code, too_much.json()["error"]) == (422, "bad_adjustment")
    reviewed = exam.client.post(f"/sittings/{exam.code}/results/{exam.admissions[0]}/review", headers=exam.chief,
                                json=body)
    assert reviewed.status_code == 201, reviewed.text
    assert (reviewed.json()["version"], reviewed.json()["score"]) == (2, 960)
    note = exam.client.get(f"/sittings/{exam.code}/results/manifest", headers=exam.day.admin).text
    assert "version 2" in note
    _verify(exam)
    # The database itself refuses to change a result row.
    with pytest.raises(DBAPIError), exam.day.db_session.begin_nested():
        exam.day.db_session.execute(text("UPDATE result SET score = 1000"))
    proctor = exam.proctor("01")
    refused = exam.client.post(f"/sittings/{exam.code}/results/{exam.admissions[0]}/review", headers=proctor,
                               json=body)
    assert refused.status_code == 403


def _drop_guards(exam: Exam, table: str) -> None:
    """What a database owner can do: take the append-only triggers away."""
    db = exam.day.db_session
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
    else:
        db.execute(text(f"DROP TRIGGER {table}_no_update"))


def test_an_answer_edited_in_the_database_is_caught(exam: Exam) -> None:
    _finish(exam)
    _publish(exam)
    _verify(exam)
    exam.day.db_session.execute(text("UPDATE answer SET response = CASE WHEN response = 'T' THEN 'F' ELSE 'T' END "
                                     "WHERE position = 0"))
    with pytest.raises(ResultsMismatch, match=f"{exam.admissions[0]}: the stored answers"):
        _verify(exam)


def test_a_score_edited_in_the_database_is_caught(exam: Exam) -> None:
    _finish(exam)
    _publish(exam)
    _drop_guards(exam, "result")
    exam.day.db_session.execute(text("UPDATE result SET score = 1000, passed = true WHERE score = 0"))
    with pytest.raises(ResultsMismatch, match=f"{exam.admissions[1]}: result version 1: the stored score"):
        _verify(exam)


def test_a_rewritten_result_document_is_caught(exam: Exam) -> None:
    _finish(exam)
    _publish(exam)
    _drop_guards(exam, "result")
    db = exam.day.db_session
    row = db.execute(text("SELECT id, document FROM result WHERE score = 0")).one()
    forged = json.loads(row.document) | {"score": 1000, "passed": True}
    db.execute(text("UPDATE result SET document = :d, score = 1000, passed = true WHERE id = :i"),
               {"d": json.dumps(forged, sort_keys=True, separators=(",", ":")), "i": row.id})
    with pytest.raises(ResultsMismatch, match=exam.admissions[1]):
        _verify(exam)


def test_a_review_by_a_chief_examiner_of_another_sitting_is_refused_and_caught(
        exam: Exam, monkeypatch: pytest.MonkeyPatch) -> None:
    from examsvc.audit.actors import Actor
    from examsvc.identity.roles import Role
    from examsvc.results import service as results
    from tests.builders import auth_header, login, make_user

    _finish(exam)
    _publish(exam)
    outsider = make_user(exam.day.db_session, Role.CHIEF_EXAMINER)
    headers = auth_header(login(exam.client, outsider.username))
    assert exam.client.post("/examiners/me/key", headers=headers, json={"passphrase": PASSPHRASE}).status_code == 201
    body = {"reason": "改为合格", "adjustments": [{"position": n, "points": 10} for n in range(5)],
            "passphrase": PASSPHRASE}
    refused = exam.client.post(f"/sittings/{exam.code}/results/{exam.admissions[1]}/review", headers=headers,
                               json=body)
    assert (refused.status_code, refused.json()["error"]) == (403, "not_assigned")
    _verify(exam)
    # Had a service let them through (as before), the result would verify as signed, but not as signed by
    # the sitting's chief examiner: the verifier asks the log who that is.
    monkeypatch.setattr(results, "require_chief_of", lambda sitting, actor: None)
    results.review(db_session=exam.day.db_session, code=exam.code, admission_number=exam.admissions[1],
                   reason="改为合格", adjustments=[results.Adjustment(0, 10)], void=None, passphrase=PASSPHRASE,
                   service_signer=load_signer(exam.client.app.state.settings),  # type: ignore[attr-defined]
                   keys=exam.client.app.state.paper_keys,  # type: ignore[attr-defined]
                   actor=Actor.user(outsider.id, outsider.username, ("chief_examiner",)))
    exam.day.db_session.commit()
    with pytest.raises(ResultsMismatch, match="not the sitting's assigned chief examiner"):
        _verify(exam)
