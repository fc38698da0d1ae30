"""Answer similarity between candidates of one sitting (答案雷同), a lead for a person, never a sanction.

Index (docs/analytics.md (signals)): for a pair of candidates i, j, M_ij is the number of questions they
both answered (had on their papers and did not leave blank) on which they chose **the same bank labels**
(the ``chosen`` mask, so the per-paper shuffling of options does not matter), correct or not.

Null model (independent work): on a common question q the two choices are independent given each
candidate's ability, so

    p_ijq = P_iq P_jq + (1 - P_iq)(1 - P_jq) s_q,    s_q = Σ_o f_qo² / (Σ_o f_qo)²

with P_iq the probability that i answers q correctly under a Rasch model fitted to the sitting (joint
maximum likelihood, abilities and difficulties clipped to ±``LOGIT_BOUND``), and s_q the probability that
two wrong answers to q coincide, from the frequencies f_qo of the wrong answers o (masks) to q in the
sitting. M_ij is then Poisson-binomial over the common questions (the generalised binomial test of van
der Ark, Emons & Sijtsma 2008, with the item's distractor frequencies as the wrong-answer model, as in
the K-index family). The p-value P(M ≥ m) is exact (dynamic programming over the common questions) for
every pair whose normal approximation (continuity-corrected z) reaches ``Z_SCREEN`` (normal p about 0.055,
five times ``P_THRESHOLD``); the others are reported with the normal tail and are never leads.
tests/analytics/test_similarity.py computes every pair exactly on a simulated sitting and checks that the
screen hides no pair whose exact p-value reaches the threshold.

Vectorised by item, not by pair: every pair statistic is a matrix product over the sitting's items
(one-hot of (question, answer) for the matches; had/ability matrices for the mean and variance).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from examsvc.analytics.normal import upper_tail_fast

# A pair is a lead when its exact p-value is at most this (per pair; the simulation in
# docs/analytics.md (signals) measures the false-positive rate over honest pairs and the detection rate).
P_THRESHOLD = 1e-2
# Pairs whose normal-approximation z is below this are not computed exactly (normal p ≈ 0.01).
Z_SCREEN = 1.6
# Rasch abilities/difficulties are kept within ±this many logits (perfect or empty scores).
LOGIT_BOUND = 5.0
RASCH_ITERATIONS = 25
# Seats whose numbers differ by at most this, in the same room, are neighbours.
NEIGHBOUR_SEATS = 2
# Exact p-values are computed in batches of this many pairs (memory: batch × common questions).
_DP_BATCH = 4096

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]
B = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Responses:
    """A sitting's responses, one row per (candidate, question) answered, in any order.

    ``candidate`` 0..n-1, ``item`` 0..q-1 (indices the caller maps to attempts and question ids),
    ``chosen`` the bank-label mask (0 = blank: dropped), ``correct`` full marks on the question."""

    candidate: I64
    item: I64
    chosen: U8
    correct: B
    n_candidates: int
    n_items: int

    @classmethod
    def from_attempts(cls, question_ids: list[npt.NDArray[np.int32]], chosen: list[U8],
                      correct: list[B]) -> tuple[Responses, npt.NDArray[np.int32]]:
        """From per-attempt arrays in paper order (as attempt_items holds them): the responses and the
        question id of each item index."""
        lengths = np.array([len(q) for q in question_ids], dtype=np.int64)
        cand = np.repeat(np.arange(len(question_ids), dtype=np.int64), lengths)
        qids = np.concatenate(question_ids) if question_ids else np.zeros(0, np.int32)
        ch = np.concatenate(chosen).astype(np.uint8) if chosen else np.zeros(0, np.uint8)
        ok = np.concatenate(correct).astype(bool) if correct else np.zeros(0, bool)
        ids, item = np.unique(qids, return_inverse=True)
        return cls(cand, item.astype(np.int64), ch, ok, len(question_ids), len(ids)), ids.astype(np.int32)

    def answered(self) -> Responses:
        keep = self.chosen != 0
        return Responses(self.candidate[keep], self.item[keep], self.chosen[keep], self.correct[keep],
                         self.n_candidates, self.n_items)


@dataclass(frozen=True)
class PairResult:
    """Pairs i < j with their statistics; ``p_value`` is exact where ``exact`` else the screen's normal tail
    (always above ``P_THRESHOLD``)."""

    i: I64
    j: I64
    common: I64
    matches: I64
    identical_wrong: I64
    expected: F64
    p_value: F64
    exact: B

    def leads(self, threshold: float = P_THRESHOLD) -> npt.NDArray[np.intp]:
        return np.flatnonzero(self.p_value <= threshold)


def _sigmoid(x: F64) -> F64:
    out: F64 = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out


def fit_rasch(r: Responses) -> tuple[F64, F64]:
    """Joint maximum likelihood abilities (per candidate) and difficulties (per item), Newton steps."""
    theta = np.zeros(r.n_candidates)
    beta = np.zeros(r.n_items)
    y = r.correct.astype(np.float64)
    n_obs_c = np.bincount(r.candidate, minlength=r.n_candidates).astype(np.float64)
    n_obs_q = np.bincount(r.item, minlength=r.n_items).astype(np.float64)
    score_c = np.bincount(r.candidate, weights=y, minlength=r.n_candidates)
    score_q = np.bincount(r.item, weights=y, minlength=r.n_items)
    for _ in range(RASCH_ITERATIONS):
        p = _sigmoid(theta[r.candidate] - beta[r.item])
        w = p * (1 - p)
        info_c = np.bincount(r.candidate, weights=w, minlength=r.n_candidates) + 1e-9
        theta += np.clip((score_c - np.bincount(r.candidate, weights=p, minlength=r.n_candidates)) / info_c, -1, 1)
        np.clip(theta, -LOGIT_BOUND, LOGIT_BOUND, out=theta)
        p = _sigmoid(theta[r.candidate] - beta[r.item])
        w = p * (1 - p)
        info_q = np.bincount(r.item, weights=w, minlength=r.n_items) + 1e-9
        beta -= np.clip((score_q - np.bincount(r.item, weights=p, minlength=r.n_items)) / info_q, -1, 1)
        np.clip(beta, -LOGIT_BOUND, LOGIT_BOUND, out=beta)
        # the scale's origin: mean difficulty 0 (JML is identified up to a shift)
        beta -= beta[n_obs_q > 0].mean() if (n_obs_q > 0).any() else 0.0
    theta[n_obs_c == 0] = 0.0
    return theta, beta


def wrong_coincidence(r: Responses) -> F64:
    """s_q = Σ_o f_qo² / (Σ_o f_qo)² over the wrong answers o to each item; 1 where fewer than two
    wrong answers were seen (nothing to estimate from: the conservative value)."""
    wrong = ~r.correct
    item = r.item[wrong]
    key = item * 256 + r.chosen[wrong].astype(np.int64)
    uniq, counts = np.unique(key, return_counts=True)
    f = counts.astype(np.float64)
    q_of = uniq // 256
    total = np.bincount(q_of, weights=f, minlength=r.n_items)
    squares = np.bincount(q_of, weights=f * f, minlength=r.n_items)
    s = np.ones(r.n_items)
    ok = total >= 2
    s[ok] = squares[ok] / total[ok] ** 2
    return s


def _poisson_binomial_tail(p: F64, m: I64) -> F64:
    """P(Σ Bernoulli(p[k, :]) ≥ m[k]) for each row k, exactly (padding columns have p = 0)."""
    rows, width = p.shape
    # counts along axis 0 so that each step updates contiguous rows of all pairs at once
    pt = np.ascontiguousarray(p.T)
    dist = np.zeros((width + 1, rows))
    dist[0] = 1.0
    for col in range(width):
        # after ``col + 1`` trials only counts 0..col+1 can be non-zero: update that triangle in place
        pc = pt[col]
        top = col + 2
        dist[1:top] = dist[1:top] * (1 - pc) + dist[0:top - 1] * pc
        dist[0] *= 1 - pc
    cum = np.cumsum(dist[::-1], axis=0)[::-1]  # cum[k] = P(M ≥ k)
    idx = np.clip(m, 0, width + 1)
    tail = np.zeros(rows)
    inside = idx <= width
    tail[inside] = cum[idx[inside], np.flatnonzero(inside)]
    return tail


def pair_probabilities(ability: F64, difficulty: F64, s: F64, i: int, j: int, items: I64) -> F64:
    """p_ijq for the given common items (the null probability that i and j give the same answer)."""
    pi = _sigmoid(ability[i] - difficulty[items])
    pj = _sigmoid(ability[j] - difficulty[items])
    out: F64 = pi * pj + (1 - pi) * (1 - pj) * s[items]
    return out


# Below this share of the dense products' work, the pair sums are accumulated item by item (papers drawn from
# a large pool: each item is on few papers, and the dense n × q matrices are mostly zeros). Measured on the
# simulation (2,000 candidates, papers of 100): equal cost at a pool of about 2,000 questions; at 5,000 the
# dense products take 14.8 s, item by item 5.9 s.
_BY_ITEM_RATIO = 1 / 400

PairSums = tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any]]


def _by_item_is_cheaper(r: Responses) -> bool:
    per_item = np.bincount(r.item, minlength=r.n_items).astype(np.float64)
    return float((per_item ** 2).sum()) < _BY_ITEM_RATIO * float(r.n_candidates) ** 2 * r.n_items


def _pair_sums_dense(r: Responses, had: npt.NDArray[np.float32], prob: npt.NDArray[np.float32],
                     miss: npt.NDArray[np.float32], s: F64) -> PairSums:
    """Matches, identical wrong answers, common items, Σ p_ijq and Σ p_ijq² for every pair, as matrix products."""
    n = r.n_candidates
    # One-hot of (item, answer): matches are its Gram matrix. An answer given by one candidate only matches
    # nobody: its column is left out (papers from a large pool leave most columns single).
    key = r.item * 256 + r.chosen.astype(np.int64)
    uniq, column, counts = np.unique(key, return_inverse=True, return_counts=True)
    shared = np.flatnonzero(counts >= 2)
    position = np.full(len(uniq), -1, dtype=np.int64)
    position[shared] = np.arange(len(shared))
    keep = position[column] >= 0
    onehot = np.zeros((n, len(shared)), dtype=np.float32)
    onehot[r.candidate[keep], position[column[keep]]] = 1.0
    matches = onehot @ onehot.T
    # the shared columns that are wrong answers (a column is one answer to one item: all right or all wrong)
    wrong_of_column = np.zeros(len(uniq), dtype=bool)
    wrong_of_column[column[~r.correct]] = True
    wrong_onehot = onehot[:, wrong_of_column[shared]]
    identical_wrong = wrong_onehot @ wrong_onehot.T
    common = had @ had.T
    s32 = s.astype(np.float32)
    mean = prob @ prob.T + (miss * s32) @ miss.T
    a2, b2, ab = prob * prob, miss * miss, prob * miss
    square = a2 @ a2.T + 2 * (ab * s32) @ ab.T + (b2 * s32 * s32) @ b2.T
    return matches, identical_wrong, common, mean, square


def _pair_sums_by_item(r: Responses, prob: npt.NDArray[np.float32], s: F64) -> PairSums:
    """The same sums accumulated item by item over the candidates who had the item (block of |c|² pairs)."""
    n = r.n_candidates
    out = [np.zeros((n, n), dtype=np.float32) for _ in range(5)]
    matches, identical_wrong, common, mean, square = out
    order = np.argsort(r.item, kind="stable")
    items, starts = np.unique(r.item[order], return_index=True)
    bounds = np.append(starts, len(order))
    for k, item in enumerate(items):
        rows = order[bounds[k]:bounds[k + 1]]
        if len(rows) < 2:
            continue
        c = r.candidate[rows]
        block = np.ix_(c, c)
        p = prob[c, item].astype(np.float64)
        chosen = r.chosen[rows]
        wrong = ~r.correct[rows]
        same = chosen[:, None] == chosen[None, :]
        pij = np.outer(p, p) + s[item] * np.outer(1 - p, 1 - p)
        matches[block] += same
        identical_wrong[block] += same & wrong[:, None] & wrong[None, :]
        common[block] += 1.0
        mean[block] += pij
        square[block] += pij * pij
    return matches, identical_wrong, common, mean, square


def similarity(responses: Responses) -> PairResult:
    """Every pair of the sitting: common questions, identical answers, the null's mean and the p-value."""
    r = responses.answered()
    n, q = r.n_candidates, r.n_items
    theta, beta = fit_rasch(r)
    s = wrong_coincidence(r)
    # Had-matrix H (n × q) and the model's probabilities on it.
    had = np.zeros((n, q), dtype=np.float32)
    had[r.candidate, r.item] = 1.0
    prob = (_sigmoid(theta[:, None] - beta[None, :]) * had).astype(np.float32)
    miss = had - prob
    per_item = _by_item_is_cheaper(r)
    sums = _pair_sums_by_item(r, prob, s) if per_item else _pair_sums_dense(r, had, prob, miss, s)
    matches, identical_wrong, common, mean, square = sums
    iu, ju = np.triu_indices(n, k=1)
    m_pair = matches[iu, ju].astype(np.int64)
    e_pair = mean[iu, ju].astype(np.float64)
    v_pair = np.maximum((mean[iu, ju] - square[iu, ju]).astype(np.float64), 1e-12)
    z = (m_pair - e_pair - 0.5) / np.sqrt(v_pair)
    p_value = np.ones(len(iu))
    screened = np.flatnonzero(z >= Z_SCREEN)
    exact = np.zeros(len(iu), dtype=bool)
    if len(z) and (z < Z_SCREEN).any():
        rest = np.flatnonzero(z < Z_SCREEN)
        p_value[rest] = np.maximum(upper_tail_fast(np.maximum(z[rest], -8.0)), 0.0)
        # a normal tail below the threshold would be a screen failure; it cannot be below Z_SCREEN's
        p_value[rest] = np.maximum(p_value[rest], P_THRESHOLD * 1.0001)
    had_b = had.astype(bool)
    for start in range(0, len(screened), _DP_BATCH):
        batch = screened[start:start + _DP_BATCH]
        bi, bj = iu[batch], ju[batch]
        both = had_b[bi] & had_b[bj]
        width = int(both.sum(axis=1).max()) if len(batch) else 0
        pa, pb = prob[bi].astype(np.float64), prob[bj].astype(np.float64)
        pq = pa * pb + (1 - pa) * (1 - pb) * s[None, :]
        pq[~both] = 0.0
        # Common items first (stable), then padding with p = 0.
        order = np.argsort(~both, axis=1, kind="stable")[:, :width]
        compact = np.take_along_axis(pq, order, axis=1)
        p_value[batch] = _poisson_binomial_tail(compact, m_pair[batch])
        exact[batch] = True
    return PairResult(i=iu.astype(np.int64), j=ju.astype(np.int64), common=common[iu, ju].astype(np.int64),
                      matches=m_pair, identical_wrong=identical_wrong[iu, ju].astype(np.int64),
                      expected=e_pair, p_value=p_value, exact=exact)


@dataclass(frozen=True)
class SeatDistance:
    same_room: bool
    seats_apart: int | None  # |seat number difference| in the same room, else None
    neighbours: bool


def seat_distance(room_a: int | None, seat_a: int | None, room_b: int | None, seat_b: int | None) -> SeatDistance:
    """Seats are numbered along a room (seat.number): the difference of numbers is the distance we have."""
    if room_a is None or room_b is None or room_a != room_b:
        return SeatDistance(False, None, False)
    if seat_a is None or seat_b is None:
        return SeatDistance(True, None, False)
    apart = abs(seat_a - seat_b)
    return SeatDistance(True, apart, apart <= NEIGHBOUR_SEATS)
