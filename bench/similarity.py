"""Answer similarity for one sitting of 2,000 candidates (issue 21, goal ≤ 10 s), against baselines measured
in the same run on the same arrays:

- the floor: the bare matrix product that counts identical answers for every pair (one-hot of
  (question, bank labels) times its transpose), which any pairwise index over a sitting has to pay;
- a naive pair loop (per pair: common questions, null probabilities, exact Poisson-binomial by
  convolution) on a subset of candidates, scaled by the number of pairs.

With ``--rates`` it first prints the simulation's false-positive and detection rates (30 % copiers) for
several pool/paper shapes, i.e. how detection falls with fewer common questions (docs/analytics.md (signals)).
With ``--compare`` it prints, for the same shapes and seed, the rates of candidate indices against the one in
use (on a random sample of honest pairs: a measurement, not the product's code path).
The simulated sitting is tests' model (examsvc/analytics/simulation.py), default shape: papers of 100
(60 单选 + 40 多选) from a pool of 105. The last line is the ratio to the floor.

    .venv/bin/python -m bench.similarity [--candidates 2000] [--subset 100] [--rates]

``run(candidates)`` returns the figures for bench/analytics.py.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from examsvc.analytics.similarity import (
    P_THRESHOLD,
    Responses,
    _poisson_binomial_tail,
    _sigmoid,
    fit_rasch,
    pair_probabilities,
    similarity,
    wrong_coincidence,
)
from examsvc.analytics.simulation import PoolShape, pair_index, simulate_sitting

SEED = 20261206


@dataclass(frozen=True)
class Figures:
    candidates: int
    pairs: int
    seconds: float
    floor_seconds: float
    naive_seconds_scaled: float

    @property
    def ratio_to_floor(self) -> float:
        return self.seconds / self.floor_seconds


def _floor(r: Responses) -> float:
    start = time.perf_counter()
    a = r.answered()
    key = a.item * 256 + a.chosen.astype(np.int64)
    _, column = np.unique(key, return_inverse=True)
    onehot = np.zeros((a.n_candidates, int(column.max()) + 1), dtype=np.float32)
    onehot[a.candidate, column] = 1.0
    matches = onehot @ onehot.T
    np.triu_indices(a.n_candidates, k=1)
    assert matches.shape == (a.n_candidates, a.n_candidates)
    return time.perf_counter() - start


def _naive(r: Responses, subset: int) -> float:
    """One pair at a time on the first ``subset`` candidates; seconds scaled to all pairs of the sitting."""
    a = r.answered()
    start = time.perf_counter()
    theta, beta = fit_rasch(a)
    s = wrong_coincidence(a)
    answers: list[dict[int, int]] = [{} for _ in range(subset)]
    for c, q, ch in zip(a.candidate, a.item, a.chosen, strict=True):
        if c < subset:
            answers[int(c)][int(q)] = int(ch)
    for i in range(subset):
        for j in range(i + 1, subset):
            common = np.array(sorted(answers[i].keys() & answers[j].keys()), dtype=np.int64)
            m = sum(answers[i][int(q)] == answers[j][int(q)] for q in common)
            dist = np.ones(1)
            for p in pair_probabilities(theta, beta, s, i, j, common):
                dist = np.convolve(dist, [1 - p, p])
            float(dist[m:].sum())
    elapsed = time.perf_counter() - start
    n = a.n_candidates
    return elapsed * (n * (n - 1) / 2) / (subset * (subset - 1) / 2)


def run(candidates: int = 2000, subset: int = 100) -> Figures:
    simulated = simulate_sitting(np.random.default_rng(SEED), candidates)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        similarity(simulated.responses)
        times.append(time.perf_counter() - start)
    floors = [_floor(simulated.responses) for _ in range(3)]
    naive = _naive(simulated.responses, subset)
    return Figures(candidates, candidates * (candidates - 1) // 2, float(np.median(times)),
                   float(np.median(floors)), naive)


SHAPES = {
    "100 of 105 (60 单选 + 40 多选), hard": PoolShape(),
    "100 of 150 (60 单选 + 40 多选), hard": PoolShape(single_pool=90, multiple_pool=60),
    "100 of 200 (60 单选 + 40 多选), hard": PoolShape(single_pool=120, multiple_pool=80),
    "100 of 105, medium (b ~ N(0, 1))": PoolShape(mean_difficulty=0.0),
    "100 of 105, easy (b ~ N(-1, 1))": PoolShape(mean_difficulty=-1.0),
    "低压电工 70 判断 + 30 单选 of 100 + 40, easy": PoolShape(
        true_false_pool=100, single_pool=40, multiple_pool=0, true_false_per_paper=70, single_per_paper=30,
        multiple_per_paper=0, mean_difficulty=-1.0),
}


def rates(candidates: int = 1000, pairs: int = 250) -> None:
    print(f"simulation: {candidates} candidates, {pairs} copying pairs (30 %), threshold p ≤ {P_THRESHOLD}")
    for name, shape in SHAPES.items():
        simulated = simulate_sitting(np.random.default_rng(SEED), candidates, shape, copying_pairs=pairs)
        result = similarity(simulated.responses)
        copied = pair_index(candidates, simulated.copiers, simulated.sources)
        honest = np.ones(len(result.p_value), dtype=bool)
        honest[copied] = False
        facility = float(simulated.responses.correct.mean())
        print(f"  {name}: facility {facility:.2f}, common {result.common[copied].mean():.0f}, "
              f"false positives {(result.p_value[honest] <= P_THRESHOLD).mean():.4f}, "
              f"detected {(result.p_value[copied] <= P_THRESHOLD).mean():.3f}")


# The weighted index's weights log(1/p) are floored to multiples of this, so that its null distribution is an
# exact dynamic programme over integers (the floored statistic is the one tested: the test stays exact).
WEIGHT_STEP = 0.1


def _weighted_tail(p: npt.NDArray[np.float64], units: npt.NDArray[np.int64],
                   observed: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """P(Σ_q units_q·Bernoulli(p_q) ≥ observed) per row, exactly (rows padded with p = 0)."""
    rows, width_items = p.shape
    width = int(units.sum(axis=1).max()) + 1
    dist = np.zeros((rows, width))
    dist[:, 0] = 1.0
    grid = np.arange(width)[None, :]
    for k in range(width_items):
        pk = p[:, k][:, None]
        src = grid - units[:, k][:, None]
        shifted = np.where(src >= 0, np.take_along_axis(dist, np.maximum(src, 0), axis=1), 0.0)
        dist = dist * (1 - pk) + shifted * pk
    cum = np.cumsum(dist[:, ::-1], axis=1)[:, ::-1]
    at = cum[np.arange(rows), np.clip(observed, 0, width - 1)]
    out: npt.NDArray[np.float64] = np.where(observed < width, at, 0.0)
    return out


def compare(candidates: int = 1000, pairs: int = 250, honest_sample: int = 40_000, batch: int = 2000) -> None:
    """(a) identical answers, the index in use; (b) identical wrong answers on the questions both answered
    wrongly, null s_q each; (c) Σ log(1/p_ijq) over the matched common questions (likelihood ratio of
    copying everything), exact on the floored weights. Same Rasch and distractor-frequency null throughout."""
    print(f"compare: {candidates} candidates, {pairs} copying pairs (30 %), {honest_sample:,} honest pairs "
          f"sampled, threshold p ≤ {P_THRESHOLD}")
    for name, shape in SHAPES.items():
        simulated = simulate_sitting(np.random.default_rng(SEED), candidates, shape, copying_pairs=pairs)
        r = simulated.responses.answered()
        theta, beta = fit_rasch(r)
        s = wrong_coincidence(r)
        had = np.zeros((candidates, r.n_items), dtype=bool)
        had[r.candidate, r.item] = True
        chosen = np.zeros((candidates, r.n_items), dtype=np.int64)
        chosen[r.candidate, r.item] = r.chosen
        right = np.zeros((candidates, r.n_items), dtype=bool)
        right[r.candidate, r.item] = r.correct
        prob = _sigmoid(theta[:, None] - beta[None, :])
        iu, ju = np.triu_indices(candidates, k=1)
        copied = pair_index(candidates, simulated.copiers, simulated.sources)
        honest = np.setdiff1d(np.random.default_rng(1).choice(len(iu), honest_sample, replace=False), copied)
        rates_of: dict[str, list[float]] = {"a": [], "b": [], "c": []}
        for group in (honest, copied):
            p_values: dict[str, list[npt.NDArray[np.float64]]] = {"a": [], "b": [], "c": []}
            for start in range(0, len(group), batch):
                ii, jj = iu[group[start:start + batch]], ju[group[start:start + batch]]
                both = had[ii] & had[jj]
                same = both & (chosen[ii] == chosen[jj])
                pq = prob[ii] * prob[jj] + (1 - prob[ii]) * (1 - prob[jj]) * s[None, :]
                pa = np.where(both, pq, 0.0)
                p_values["a"].append(_poisson_binomial_tail(pa, same.sum(axis=1)))
                both_wrong = both & ~right[ii] & ~right[jj]
                p_values["b"].append(_poisson_binomial_tail(np.where(both_wrong, s[None, :], 0.0),
                                                            (same & both_wrong).sum(axis=1)))
                units = np.where(both, np.floor(np.log(1 / np.clip(pq, 1e-6, 1.0)) / WEIGHT_STEP), 0).astype(np.int64)
                p_values["c"].append(_weighted_tail(pa, units, (units * same).sum(axis=1)))
            for key, parts in p_values.items():
                rates_of[key].append(float((np.concatenate(parts) <= P_THRESHOLD).mean()))
        facility = float(r.correct.mean())
        print(f"  {name}: facility {facility:.2f}; " + "; ".join(
            f"({key}) false positives {fp:.4f}, detected {det:.3f}" for key, (fp, det) in rates_of.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--subset", type=int, default=100)
    parser.add_argument("--rates", action="store_true")
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args()
    if args.rates:
        rates()
    if args.compare:
        compare()
    f = run(args.candidates, args.subset)
    print(f"similarity of {f.candidates} candidates ({f.pairs:,} pairs): {f.seconds:.2f} s (goal ≤ 10 s); "
          f"floor (identical-answer matrix product) {f.floor_seconds:.3f} s; naive pair loop scaled "
          f"{f.naive_seconds_scaled:.0f} s ({f.naive_seconds_scaled / f.seconds:.0f}× slower)")
    print(f"ratio to the floor: {f.ratio_to_floor:.1f}")


if __name__ == "__main__":
    main()


def section(engine: object, version_id: int) -> None:
    """For bench/analytics.py's SECTIONS: the similarity figure of a simulated sitting of 2,000 (in memory; the
    database and the pool are not needed: similarity reads one sitting's arrays)."""
    del engine, version_id
    f = run()
    print(f"similarity of {f.candidates} candidates: {f.seconds:.2f} s (goal ≤ 10 s); ratio to the identical-answer "
          f"matrix product {f.ratio_to_floor:.1f}")
