"""Simulated sittings for measuring the integrity signals (docs/analytics.md (signals)): honest candidates
from an IRT model that is *not* the one the similarity index fits, and pairs where one candidate copied.

Honest model, per pool item: 3PL-like probability of the key, P = c + (1 - c) σ(a(θ - b)) with
a ~ logNormal(0, 0.3), b ~ N(-1, 1) (these banks are mostly easy: mean facility about 0.7), c half the
chance level; a wrong answer picks a distractor by a nominal-response choice, weights w_o e^{λ_o θ} with
w ~ Dirichlet(1) (some distractors attract far more than others) and λ_o ~ N(0, 0.5) (which distractor a
weak candidate picks differs from a stronger one's). Abilities θ ~ N(0, 1). Papers draw their true/false
and single-choice questions from separate pools at random (组卷: a fixed mix per paper).

A copier replaces the answers of a random ``share`` of the questions it has in common with its source by
the source's answers (so the copied items are identical, right or wrong)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from examsvc.analytics.similarity import Responses


@dataclass(frozen=True)
class PoolShape:
    """Pool and paper sizes. The default is the headline of docs/analytics.md (signals): a 100-question
    paper (60 单选 of 4 options, 40 多选 of 5 labels) drawn from a pool of 105, so that two candidates
    have about 95 questions in common; items hard (mean facility about 0.4: see the docs for easier papers)."""

    true_false_pool: int = 0
    single_pool: int = 63
    multiple_pool: int = 42
    true_false_per_paper: int = 0
    single_per_paper: int = 60
    multiple_per_paper: int = 40
    single_options: int = 4
    multiple_options: int = 5
    multiple_wrong: int = 6
    mean_difficulty: float = 1.0

    @property
    def paper(self) -> int:
        return self.true_false_per_paper + self.single_per_paper + self.multiple_per_paper


@dataclass(frozen=True)
class Simulated:
    responses: Responses
    copiers: npt.NDArray[np.int64]  # candidate index of each copier
    sources: npt.NDArray[np.int64]  # and of whom it copied
    ability: npt.NDArray[np.float64]


def _answer_masks(rng: np.random.Generator, shape: PoolShape) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Per pool item, the answers a candidate may give as bank-label masks (padded with 0) and the key's
    index. True/false: T, F. Single choice: one label of ``single_options``. Multiple choice: the key a
    set of 2–4 of ``multiple_options`` labels; the wrong answers a handful of near-miss sets (one label
    added, dropped or swapped), which is what makes a shared wrong multiple answer telling."""
    pool = shape.true_false_pool + shape.single_pool + shape.multiple_pool
    width = max(2, shape.single_options, 1 + shape.multiple_wrong)
    masks = np.zeros((pool, width), dtype=np.int64)
    key = np.zeros(pool, dtype=np.int64)
    for k in range(pool):
        if k < shape.true_false_pool:
            masks[k, :2] = [1, 2]
            key[k] = rng.integers(0, 2)
        elif k < shape.true_false_pool + shape.single_pool:
            masks[k, :shape.single_options] = 1 << np.arange(shape.single_options)
            key[k] = rng.integers(0, shape.single_options)
        else:
            labels = shape.multiple_options
            key_labels = rng.choice(labels, int(rng.integers(2, 5)), replace=False)
            key_mask = int(np.sum(1 << key_labels))
            wrong: set[int] = set()
            while len(wrong) < shape.multiple_wrong:
                mask = key_mask ^ (1 << int(rng.integers(0, labels)))
                if rng.random() < 0.4:
                    mask ^= 1 << int(rng.integers(0, labels))
                if mask not in (0, key_mask):
                    wrong.add(mask)
            masks[k, 0] = key_mask
            masks[k, 1:1 + shape.multiple_wrong] = sorted(wrong)
    return masks, key


def simulate_sitting(rng: np.random.Generator, candidates: int, shape: PoolShape = PoolShape(),
                     copying_pairs: int = 0, share: float = 0.3) -> Simulated:
    q_tf, q_sc, q_mc = shape.true_false_pool, shape.single_pool, shape.multiple_pool
    pool = q_tf + q_sc + q_mc
    masks, key = _answer_masks(rng, shape)
    options = (masks > 0).sum(axis=1)
    a = rng.lognormal(0.0, 0.3, pool)
    b = rng.normal(shape.mean_difficulty, 1.0, pool)
    c = np.where(np.arange(pool) < q_tf + q_sc, 0.5 / options, 0.0)
    max_opt = masks.shape[1]
    weights = np.zeros((pool, max_opt))
    slopes = np.zeros((pool, max_opt))
    for k in range(pool):
        weights[k, :options[k]] = rng.dirichlet(np.ones(options[k]))
        slopes[k, :options[k]] = rng.normal(0.0, 0.5, options[k])
    theta = rng.normal(0.0, 1.0, candidates)
    items = np.empty((candidates, shape.paper), dtype=np.int64)
    for i in range(candidates):
        parts = [rng.choice(q_tf, shape.true_false_per_paper, replace=False),
                 q_tf + rng.choice(q_sc, shape.single_per_paper, replace=False),
                 q_tf + q_sc + rng.choice(q_mc, shape.multiple_per_paper, replace=False)]
        items[i] = np.concatenate(parts)
    t = theta[:, None]
    p_key = c[items] + (1 - c[items]) / (1 + np.exp(-a[items] * (t - b[items])))
    right = rng.random(items.shape) < p_key
    # distractor choice: nominal weights over the non-key answers
    logits = np.log(weights[items] + 1e-300) + slopes[items] * t[..., None]
    opt_idx = np.arange(max_opt)[None, None, :]
    valid = (opt_idx < options[items][..., None]) & (opt_idx != key[items][..., None])
    logits = np.where(valid, logits, -np.inf)
    probs = np.exp(logits - logits.max(axis=2, keepdims=True))
    probs /= probs.sum(axis=2, keepdims=True)
    u = rng.random(items.shape)[..., None]
    distractor = (probs.cumsum(axis=2) < u).sum(axis=2)
    distractor = np.minimum(distractor, options[items] - 1)
    choice = np.where(right, key[items], distractor)
    copiers = np.zeros(0, np.int64)
    sources = np.zeros(0, np.int64)
    if copying_pairs:
        chosen_people = rng.permutation(candidates)[:2 * copying_pairs]
        copiers, sources = chosen_people[:copying_pairs], chosen_people[copying_pairs:]
        for cp, src in zip(copiers, sources, strict=True):
            common, at_c, at_s = np.intersect1d(items[cp], items[src], return_indices=True)
            take = rng.permutation(len(common))[:round(share * len(common))]
            choice[cp, at_c[take]] = choice[src, at_s[take]]
        right = choice == key[items]
    chosen = masks[items, choice].astype(np.uint8)
    responses = Responses(candidate=np.repeat(np.arange(candidates, dtype=np.int64), shape.paper),
                          item=items.ravel(), chosen=chosen.ravel(), correct=right.ravel(),
                          n_candidates=candidates, n_items=pool)
    return Simulated(responses, copiers.astype(np.int64), sources.astype(np.int64), theta)


def pair_index(n: int, i: npt.NDArray[np.int64], j: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Position of pair (i, j) in the order of ``numpy.triu_indices(n, 1)``."""
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    out: npt.NDArray[np.int64] = lo * n - lo * (lo + 1) // 2 + (hi - lo - 1)
    return out
