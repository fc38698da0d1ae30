"""Item analysis against an independent computation: a plain loop per question with numpy and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from examsvc.analytics.items import QuestionKeys, analyse, paper_set_statistics
from tests.analytics.builders import Item, responses

pytestmark = pytest.mark.db_agnostic


def _simulated(seed: int, candidates: int = 400, pool: int = 60,
               length: int = 20) -> tuple[list[list[Item]], QuestionKeys]:
    """Each candidate a different paper from the pool; abilities drive correctness; question 0 of each
    paper is multiple choice worth 2 points with partial credit (so x is not only 0/1)."""
    rng = np.random.default_rng(seed)
    answers = rng.integers(0, 4, size=pool)
    difficulty = rng.normal(0, 1, size=pool)
    papers = []
    for ability in rng.normal(0, 1, size=candidates):
        drawn = rng.choice(pool, size=length, replace=False)
        paper: list[Item] = []
        for slot, q in enumerate(drawn):
            right = rng.random() < 1 / (1 + np.exp(difficulty[q] - ability))
            if slot == 0:
                awarded = 20 if right else int(rng.choice([0, 10]))
                paper.append((int(q) + 1, 1 << int(answers[q]), awarded, 20))
            else:
                chosen = answers[q] if right else (answers[q] + rng.integers(1, 4)) % 4
                paper.append((int(q) + 1, 1 << int(chosen), 10 if right else 0, 10))
        papers.append(paper)
    keys = QuestionKeys(np.arange(1, pool + 1, dtype=np.int32), (1 << answers).astype(np.uint8),
                        np.full(pool, 4, dtype=np.int64))
    return papers, keys


@pytest.mark.parametrize("seed", [1, 2])
def test_question_statistics_agree_with_a_loop_over_questions(seed: int) -> None:
    papers, keys = _simulated(seed)
    stats = analyse(responses(papers), keys)
    checked = 0
    for question in stats.question_ids.tolist():
        x, rest, full, whole = [], [], [], []
        for paper in papers:
            held = [item for item in paper if item[0] == question]
            if not held:
                continue
            _, _, awarded, possible = held[0]
            total = sum(item[2] for item in paper)
            points = sum(item[3] for item in paper)
            x.append(awarded / possible)
            rest.append((total - awarded) / (points - possible))
            full.append(int(awarded == possible))
            whole.append(total / points)
        xs, rs = np.array(x), np.array(rest)
        i = stats.index_of(question)
        assert stats.exposure[i] == len(x)
        assert stats.facility[i] == pytest.approx(xs.mean())
        assert stats.sd[i] == pytest.approx(xs.std(ddof=1))
        assert stats.discrimination_index[i] == pytest.approx(100 * np.corrcoef(xs, rs)[0, 1])
        c_max = np.cov(np.sort(xs), np.sort(rs))[0, 1]
        assert stats.discriminative_efficiency[i] == pytest.approx(100 * np.cov(xs, rs)[0, 1] / c_max)
        if 0 < sum(full) < len(full):
            assert stats.point_biserial[i] == pytest.approx(scipy_stats.pointbiserialr(full, whole).statistic)
        checked += 1
    assert checked == 60


@pytest.mark.parametrize("seed", [3, 4])
def test_paper_set_statistics_agree_with_scipy(seed: int) -> None:
    papers, _ = _simulated(seed, candidates=300)
    stats = paper_set_statistics(responses(papers))
    scores = np.array([[item[2] / 10 for item in paper] for paper in papers])
    total = scores.sum(axis=1)
    assert stats.mean == pytest.approx(total.mean()) and stats.median == pytest.approx(np.median(total))
    assert stats.sd == pytest.approx(total.std(ddof=1))
    # Moodle's skewness and kurtosis are the bias-corrected sample statistics (G1, excess G2).
    assert stats.skewness == pytest.approx(scipy_stats.skew(total, bias=False))
    assert stats.kurtosis == pytest.approx(scipy_stats.kurtosis(total, bias=False, fisher=True))
    k = scores.shape[1]
    alpha = k / (k - 1) * (1 - scores.var(axis=0, ddof=1).sum() / total.var(ddof=1))  # Cronbach's α
    assert stats.cic == pytest.approx(100 * alpha)
    assert stats.error_ratio == pytest.approx(100 * np.sqrt(1 - alpha))
    assert stats.standard_error == pytest.approx(np.sqrt(1 - alpha) * total.std(ddof=1))


def test_the_upper_and_lower_groups_agree_with_a_sort_per_question() -> None:
    papers, keys = _simulated(5)
    stats = analyse(responses(papers), keys)
    for question in (1, 17, 42):
        holders = [(sum(it[2] for it in p) / sum(it[3] for it in p), row, next(it for it in p if it[0] == question))
                   for row, p in enumerate(papers) if any(it[0] == question for it in p)]
        holders.sort(key=lambda h: (h[0], h[1]))
        g = int(0.27 * len(holders) + 0.5)  # round half up, as the module documents
        lower, upper = holders[:g], holders[len(holders) - g:]
        i = stats.index_of(question)
        assert stats.group_size[i] == g
        p_upper = sum(h[2][2] == h[2][3] for h in upper) / g
        p_lower = sum(h[2][2] == h[2][3] for h in lower) / g
        assert stats.upper_lower[i] == pytest.approx(p_upper - p_lower)
        for bit in range(4):
            assert stats.upper_share[i, bit] == pytest.approx(sum(bool(h[2][1] >> bit & 1) for h in upper) / g)
            assert stats.lower_share[i, bit] == pytest.approx(sum(bool(h[2][1] >> bit & 1) for h in lower) / g)
