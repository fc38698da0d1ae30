"""Timing and leak signals (docs/analytics.md (signals)): thresholds, minimum counts, and the tests' statistics
against scipy computed independently."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from examsvc.analytics import leaks, timing

pytestmark = pytest.mark.db_agnostic


def test_a_high_score_far_faster_than_its_band_is_a_lead_and_a_slow_one_is_not() -> None:
    n = 60
    share = np.full(n, 0.92)
    seconds = 3600 * np.exp(np.linspace(-0.3, 0.3, n))  # MAD of the logs 0.15, robust SD 0.22
    seconds[0] = 900.0  # log ratio −1.39: z ≈ −6
    share[1], seconds[1] = 0.6, 600.0  # fast but not a high score
    items = np.full(n, 100)
    found = timing.fast_high_scores(share, seconds, items)
    assert [f.index for f in found] == [0]
    assert found[0].reason == "band" and found[0].robust_z is not None and found[0].robust_z <= timing.FAST_Z


def test_a_small_band_is_judged_only_by_the_seconds_per_question_floor() -> None:
    share = np.array([0.95, 0.95, 0.96])
    seconds = np.array([200.0, 400.0, 3000.0])
    found = timing.fast_high_scores(share, seconds, np.array([100, 100, 100]))
    assert [(f.index, f.reason) for f in found] == [(0, "floor")]  # 2 s per question; 4 s is not under 3


def test_idle_then_burst_needs_both_the_gap_and_the_burst() -> None:
    steady = np.arange(1, 101) * 60.0
    assert timing.idle_then_burst(steady, np.arange(100)) == []
    burst_times = np.concatenate([np.arange(1, 11) * 30.0, 300 + 1200 + np.arange(20) * 5.0])
    positions = np.concatenate([np.arange(10), np.arange(10, 30)])
    (found,) = timing.idle_then_burst(burst_times, positions)
    assert found.idle_from == 300.0 and found.idle_seconds == 1200.0
    assert found.burst_items == 20 and found.burst_seconds == 95.0
    # the same gap followed by saves to the same few questions is not a burst
    assert timing.idle_then_burst(burst_times, np.concatenate([np.arange(10), np.arange(20) % 3])) == []


def test_facility_jump_matches_the_pooled_two_proportion_test() -> None:
    test = leaks.facility_jump(np.array([40, 40, 10]), np.array([36, 22, 10]),
                               np.array([400, 400, 400]), np.array([200, 200, 200]))
    # independent: pooled z by hand, one-sided p from scipy
    pooled = (36 + 200) / 440
    z = (36 / 40 - 0.5) / np.sqrt(pooled * (1 - pooled) * (1 / 40 + 1 / 400))
    assert test.z[0] == pytest.approx(z)
    assert test.p_value[0] == pytest.approx(stats.norm.sf(z), rel=1e-9)
    assert list(test.flagged) == [True, False, False]  # second: small rise; third: under MIN_GROUP


def test_facility_jumps_by_group_compares_a_group_with_the_others_history() -> None:
    rng = np.random.default_rng(2)
    hist_q = np.repeat([1, 2], 300)
    hist_g = np.tile([10, 20, 30], 200)
    hist_ok = rng.random(600) < 0.5
    cur_q = np.repeat([1, 2], 60)
    cur_g = np.tile(np.repeat([10, 20], 30), 2)
    cur_ok = np.concatenate([np.ones(30, bool), rng.random(90) < 0.5])  # question 1 at site 10: everyone right
    q, g, test = leaks.facility_jumps_by_group(np.concatenate([hist_q, cur_q]), np.concatenate([hist_g, cur_g]),
                                               np.concatenate([hist_ok, cur_ok]),
                                               np.concatenate([np.ones(600, bool), np.zeros(120, bool)]))
    flagged = {(int(a), int(b)) for a, b, f in zip(q, g, test.flagged, strict=True) if f}
    assert flagged == {(1, 10)}
    k = next(i for i, (a, b) in enumerate(zip(q, g, strict=True)) if (a, b) == (1, 10))
    assert test.n_history[k] == 200  # the other sites' history only


def test_score_jump_is_welch_against_scipy() -> None:
    rng = np.random.default_rng(3)
    history = rng.normal(0.7, 0.1, 200)
    now = rng.normal(0.92, 0.05, 25)
    jump = leaks.score_jump(now, history)
    welch = stats.ttest_ind(now, history, equal_var=False)
    assert jump.z == pytest.approx(welch.statistic)
    assert jump.flagged
    assert not leaks.score_jump(now[:5], history).flagged  # under MIN_SITTING


def test_funnel_flags_both_directions_and_skips_small_institutions() -> None:
    rows = leaks.funnel(["甲", "乙", "丙", "丁"], np.array([100, 100, 400, 5]),
                        np.array([0.99, 0.5, 0.8, 0.0]), 0.8, None)
    by_name = {r.institution: r for r in rows}
    assert "丁" not in by_name
    assert by_name["甲"].direction == "high"  # limit 0.8 + 3.09·0.4/10 = 0.9236
    assert by_name["甲"].upper == pytest.approx(0.8 + 3.09 * 0.4 / 10)
    assert by_name["乙"].direction == "low" and by_name["丙"].direction == ""
