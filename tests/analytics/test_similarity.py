"""Answer similarity (docs/analytics.md (signals)): the exact p-value against enumeration, the wrong-answer
coincidence by hand, the screen never hides a lead, and the simulation's false-positive and detection rates
at the chosen threshold on a fixed seed."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bench.similarity import _weighted_tail
from examsvc.analytics import similarity as sim_mod
from examsvc.analytics.similarity import (
    P_THRESHOLD,
    Responses,
    _poisson_binomial_tail,
    seat_distance,
    similarity,
    wrong_coincidence,
)
from examsvc.analytics.simulation import PoolShape, pair_index, simulate_sitting

pytestmark = pytest.mark.db_agnostic


def _enumerated_tail(p: list[float], m: int) -> float:
    """P(Σ Bernoulli(p) ≥ m) by summing over all 2^n outcomes."""
    total = 0.0
    for outcome in itertools.product((0, 1), repeat=len(p)):
        if sum(outcome) >= m:
            total += float(np.prod([pk if o else 1 - pk for pk, o in zip(p, outcome, strict=True)]))
    return total


def test_poisson_binomial_tail_equals_enumeration() -> None:
    rng = np.random.default_rng(3)
    rows = [list(rng.random(8)) for _ in range(5)] + [[0.5] * 6 + [0.0, 0.0]]
    ms = np.array([0, 3, 5, 8, 9, 3])
    got = _poisson_binomial_tail(np.array(rows), ms)
    for row, m, value in zip(rows, ms, got, strict=True):
        assert value == pytest.approx(_enumerated_tail(row, int(m)), abs=1e-12)
    # six fair coins: P(M ≥ 3) = 42/64
    assert got[-1] == pytest.approx(42 / 64)


def test_weighted_tail_of_the_compared_index_equals_enumeration() -> None:
    # bench/similarity.py --compare's index (c): P(Σ units·Bernoulli(p) ≥ s), padding columns p = 0, units 0.
    rng = np.random.default_rng(4)
    p = rng.random((4, 7))
    units = rng.integers(0, 6, (4, 7))
    p[3, 5:], units[3, 5:] = 0.0, 0
    observed = np.array([0, 7, 12, 40])  # 40: above every row's largest sum
    got = _weighted_tail(p, units, observed)
    for row, (pr, ur, s) in enumerate(zip(p, units, observed, strict=True)):
        want = 0.0
        for outcome in itertools.product((0, 1), repeat=len(pr)):
            if int(np.dot(outcome, ur)) >= s:
                want += float(np.prod([pk if o else 1 - pk for pk, o in zip(pr, outcome, strict=True)]))
        assert got[row] == pytest.approx(want, abs=1e-12)
    assert got[0] == pytest.approx(1.0)
    assert got[3] == 0.0
    # above the largest possible sum (1 + 2): nothing, and not P(S = 3)
    assert _weighted_tail(np.array([[0.5, 0.5]]), np.array([[1, 2]]), np.array([4]))[0] == 0.0


def test_wrong_coincidence_from_distractor_frequencies() -> None:
    # item 0: wrong answers B, B, C (masks 2, 2, 4) -> (2² + 1²) / 3² = 5/9; a correct A does not count.
    # item 1: a single wrong answer: nothing to estimate from, 1 (conservative).
    r = Responses(candidate=np.array([0, 1, 2, 3, 0, 1]), item=np.array([0, 0, 0, 0, 1, 1]),
                  chosen=np.array([2, 2, 4, 1, 1, 2], dtype=np.uint8),
                  correct=np.array([False, False, False, True, True, False]), n_candidates=4, n_items=2)
    s = wrong_coincidence(r)
    assert s[0] == pytest.approx(5 / 9)
    assert s[1] == 1.0


def test_matches_count_bank_labels_on_common_questions_only() -> None:
    # candidate 0 and 1 share items 10 and 11 (ids), not 12/13; blanks (0) are not answers.
    qids = [np.array([10, 11, 12], dtype=np.int32), np.array([11, 10, 13], dtype=np.int32),
            np.array([10, 11, 13], dtype=np.int32)]
    chosen = [np.array([2, 1, 4], dtype=np.uint8), np.array([1, 2, 4], dtype=np.uint8),
              np.array([0, 1, 4], dtype=np.uint8)]
    correct = [np.array([False, True, True]), np.array([True, False, True]), np.array([False, True, True])]
    responses, ids = Responses.from_attempts(qids, chosen, correct)
    assert list(ids) == [10, 11, 12, 13]
    result = similarity(responses)
    by_pair = {(int(i), int(j)): k for k, (i, j) in enumerate(zip(result.i, result.j, strict=True))}
    k01, k02, k12 = by_pair[(0, 1)], by_pair[(0, 2)], by_pair[(1, 2)]
    assert (result.common[k01], result.matches[k01], result.identical_wrong[k01]) == (2, 2, 1)
    assert (result.common[k02], result.matches[k02]) == (1, 1)  # 10 is blank for candidate 2
    assert (result.common[k12], result.matches[k12], result.identical_wrong[k12]) == (2, 2, 0)
    assert np.all((result.p_value > 0) & (result.p_value <= 1))


def test_the_screen_never_hides_a_pair_the_exact_test_would_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    simulated = simulate_sitting(np.random.default_rng(11), 300, copying_pairs=40)
    screened = similarity(simulated.responses)
    monkeypatch.setattr(sim_mod, "Z_SCREEN", -1e9)
    everything = similarity(simulated.responses)
    assert everything.exact.all()
    leads = everything.p_value <= P_THRESHOLD
    assert leads.sum() > 40
    assert screened.exact[leads].all()
    np.testing.assert_allclose(screened.p_value[screened.exact], everything.p_value[screened.exact])
    assert np.all(screened.p_value[~screened.exact] > P_THRESHOLD)


def test_item_by_item_sums_equal_the_matrix_products(monkeypatch: pytest.MonkeyPatch) -> None:
    simulated = simulate_sitting(np.random.default_rng(8), 200, PoolShape(single_pool=120, multiple_pool=80),
                                 copying_pairs=20)
    monkeypatch.setattr(sim_mod, "_BY_ITEM_RATIO", 0.0)
    dense = similarity(simulated.responses)
    monkeypatch.setattr(sim_mod, "_BY_ITEM_RATIO", 1e9)
    by_item = similarity(simulated.responses)
    for name in ("common", "matches", "identical_wrong", "exact"):
        np.testing.assert_array_equal(getattr(dense, name), getattr(by_item, name))
    np.testing.assert_allclose(dense.expected, by_item.expected, rtol=1e-5)
    np.testing.assert_allclose(dense.p_value, by_item.p_value, rtol=1e-4, atol=1e-9)


def _rates(shape: PoolShape, seed: int, candidates: int = 600, pairs: int = 150) -> tuple[float, float, float]:
    simulated = simulate_sitting(np.random.default_rng(seed), candidates, shape, copying_pairs=pairs)
    result = similarity(simulated.responses)
    copied = pair_index(candidates, simulated.copiers, simulated.sources)
    honest = np.ones(len(result.p_value), dtype=bool)
    honest[copied] = False
    false_positive = float((result.p_value[honest] <= P_THRESHOLD).mean())
    detected = float((result.p_value[copied] <= P_THRESHOLD).mean())
    return false_positive, detected, float(result.common[copied].mean())


def test_simulated_honest_pairs_stay_below_one_percent_and_copiers_are_found() -> None:
    false_positive, detected, common = _rates(PoolShape(), seed=20261206)
    assert 90 <= common <= 100
    assert false_positive <= 0.01
    assert detected >= 0.90


def test_detection_falls_with_fewer_common_questions() -> None:
    _, full, _ = _rates(PoolShape(), seed=5)
    _, fewer, common = _rates(PoolShape(single_pool=120, multiple_pool=80), seed=5)
    assert common < 60
    assert fewer < full


def test_seat_distance_counts_neighbours_in_the_same_room_only() -> None:
    assert seat_distance(1, 4, 1, 5).neighbours
    assert seat_distance(1, 4, 1, 6).seats_apart == 2
    assert not seat_distance(1, 4, 1, 9).neighbours
    assert not seat_distance(1, 4, 2, 4).same_room
    assert seat_distance(None, None, 1, 1).seats_apart is None
