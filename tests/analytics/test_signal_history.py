"""A sitting's leak and institution signals against its history, on collected attempts made up in memory (the
database only answers question keys): one institution's candidates all right on a question the others get
half right, its scores far above its own past and outside the province's funnel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session

from examsvc.analytics.signal_data import CollectedAttempt
from examsvc.analytics.signals import Kind, _leaks
from examsvc.sittings.models import Sitting

START = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def _attempt(k: int, institution: str, right: list[bool], passed: bool, sitting_id: int) -> CollectedAttempt:
    n = len(right)
    return CollectedAttempt(
        attempt_id=k, sitting_id=sitting_id, admission_number=f"A{k:05d}", institution=institution,
        question_ids=np.arange(1, n + 1, dtype=np.int32), chosen=np.ones(n, np.uint8),
        correct=np.array(right), score=10 * sum(right), total_points=10 * n, passed=passed, started_at=START,
        submitted_at=START + timedelta(minutes=60), pause_credit_ms=0)


def test_an_institution_whose_candidates_suddenly_know_one_question_is_a_lead(db_session: Session) -> None:
    rng = np.random.default_rng(4)
    history = [_attempt(k, name, list(rng.random(10) < 0.5), bool(rng.random() < 0.6), 1)
               for k, name in enumerate(["甲", "乙", "丙"] * 60)]
    now = [_attempt(1000 + k, "甲", [True] * 10, True, 2) for k in range(30)]
    now += [_attempt(2000 + k, "乙", list(rng.random(10) < 0.5), bool(rng.random() < 0.6), 2) for k in range(30)]
    sitting = Sitting(code="NOW-1")
    found = _leaks(db_session, sitting, now, history, history + now, set(Kind))
    kinds = {(s.kind, tuple(s.subjects)) for s in found}
    jumps = {s.subjects[1] for s in found if s.kind == Kind.FACILITY_JUMP and s.subjects[0] == "institution"}
    assert jumps == {"甲"}  # 乙 answers as before
    assert (Kind.SCORE_JUMP, ("甲",)) in kinds and (Kind.SCORE_JUMP, ("乙",)) not in kinds
    outlier = [s for s in found if s.kind == Kind.INSTITUTION_OUTLIER]
    assert [s.subjects for s in outlier] == [["甲"]]
    # 90 candidates at a pass rate of about 0.73 stay inside the pass-rate funnel; their mean score does not
    assert outlier[0].evidence["direction"] == "" and outlier[0].evidence["score_direction"] == "high"
    jump = next(s for s in found if s.kind == Kind.SCORE_JUMP)
    assert jump.evidence["n_sitting"] == 30 and jump.evidence["n_history"] == 60
    assert all(s.id.startswith("sg-") for s in found)


def test_the_evidence_page_names_the_history_in_chinese() -> None:
    from examsvc.web.pages import ENV

    signal = _leaks_for_page()
    html = ENV.get_template("staff/signal.html").render(
        csrf="x", static=lambda name: f"/static/{name}", user=None, sitting=Sitting(code="NOW-1"), signal=signal,
        kinds={k: k for k in Kind}, actions=[], action_names={}, may_act=False, error=None, form={}, max_note=10,
        done="")
    assert "本场平均得分率" in html and "历史平均得分率" in html and "mean_sitting" not in html


def _leaks_for_page() -> object:
    rng = np.random.default_rng(4)
    history = [_attempt(k, "甲", list(rng.random(10) < 0.5), True, 1) for k in range(60)]
    now = [_attempt(1000 + k, "甲", [True] * 10, True, 2) for k in range(30)]
    found = _leaks(None, Sitting(code="NOW-1"), now, history, [], {Kind.SCORE_JUMP})  # type: ignore[arg-type]
    (jump,) = found
    return jump
