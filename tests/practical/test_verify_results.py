"""``audit verify-results`` checks a practical sitting: draws, sheets, decisions, results, manifests."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from examsvc.audit.keys import load_signer
from examsvc.crypto.signed_note import verifier_of
from examsvc.results.manifest_check import ResultsMismatch, ResultsVerification
from examsvc.results.verify import verify_results
from tests.attempts.exam import PASSPHRASE, Exam
from tests.practical.day import Practical, full_marks, passed_theory
from tests.sittings.conftest import Day


@pytest.fixture
def published(day: Day) -> tuple[Practical, list[str]]:
    """Two candidates scored by both evaluators (the second loses a point in K1), results published,
    and the second candidate's K1 reviewed (复核)."""
    exam = Exam(day, candidates=2)
    passed_theory(exam)
    practical = Practical(exam)
    practical.check_in_staff()
    admissions = [r["admission_number"] for r in practical.register(exam.ids).json()]
    practical.open()
    practical.check_in_candidates(admissions, exam.ids)
    for n, admission in enumerate(admissions):
        drawn = practical.draw(admission)
        assert drawn.status_code == 201, drawn.text
        for item in drawn.json():
            for evaluator in (0, 1):
                marks = full_marks(item, lose=1 if n == 1 and item["subject"] == "K1" else 0)
                assert practical.score(admission, item["subject"], marks, evaluator).status_code == 201
    client = practical.client
    assert client.post(f"/sittings/{practical.code}/close", headers=practical.chief,
                       json={"passphrase": PASSPHRASE}).status_code == 200
    assert client.post(f"/sittings/{practical.code}/practical/results/publish", headers=practical.chief,
                       json={"passphrase": PASSPHRASE}).status_code == 201
    reviewed = client.post(f"/sittings/{practical.code}/practical/results/{admissions[1]}/review",
                           headers=practical.chief, json={"reason": "复核：K1 扣分有误，更正为满分",
                                                          "scores": {"K1": 200}, "passphrase": PASSPHRASE})
    assert reviewed.status_code == 201, reviewed.text
    return practical, admissions


def _verify(practical: Practical) -> ResultsVerification:
    app = practical.client.app
    return verify_results(db_session=practical.day.db_session, code=practical.code,
                          service_key=verifier_of(load_signer(app.state.settings)),  # type: ignore[attr-defined]
                          keys=app.state.paper_keys)  # type: ignore[attr-defined]


def _drop_guard(practical: Practical, table: str) -> None:
    """What a database owner can do: take the append-only trigger away."""
    db = practical.day.db_session
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
    else:
        db.execute(text(f"DROP TRIGGER {table}_no_update"))


def test_a_practical_sittings_results_verify(published: tuple[Practical, list[str]]) -> None:
    practical, _ = published
    found = _verify(practical)
    # 2 candidates × 4 subjects × 2 evaluators; 2 first results and 1 review; 2 manifest versions.
    assert (found.sheets, found.results, found.manifests) == (16, 3, 2)


def test_a_practical_score_edited_in_the_database_is_named(published: tuple[Practical, list[str]]) -> None:
    practical, admissions = published
    _drop_guard(practical, "practical_result")
    practical.day.db_session.execute(text("UPDATE practical_result SET score = score - 100, passed = false "
                                          "WHERE version = 1 AND score = 1000"))
    with pytest.raises(ResultsMismatch, match=f"{admissions[0]}: result version 1: the stored score"):
        _verify(practical)


def test_an_evaluators_sheet_edited_in_the_database_is_named(published: tuple[Practical, list[str]]) -> None:
    practical, admissions = published
    _drop_guard(practical, "practical_mark")
    db = practical.day.db_session
    db.execute(text("UPDATE practical_mark SET tenths = tenths - 10 WHERE id = (SELECT min(id) FROM practical_mark)"))
    with pytest.raises(ResultsMismatch, match=f"{admissions[0]} K[1-4]: evaluator \\d+'s sheet: the stored score"):
        _verify(practical)


def test_a_review_without_its_log_entry_is_named(published: tuple[Practical, list[str]]) -> None:
    practical, admissions = published
    _drop_guard(practical, "practical_result")
    practical.day.db_session.execute(text("UPDATE practical_result SET digest = 'x' || substr(digest, 2) "
                                          "WHERE version = 2"))
    with pytest.raises(ResultsMismatch, match=f"{admissions[1]}: result version 2: no review"):
        _verify(practical)
