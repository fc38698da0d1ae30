"""Item analysis for bank revision (试题分析, issue 21 §2): pure numpy over ``responses.Responses``.

Definitions (docs/analytics.md (item analysis) has each with its source):

- Every statistic of a question is over the candidates whose paper held it (``exposure`` of them).
- ``x`` is a candidate's score on the question as a fraction of its points (awarded / possible, 0…1).
- **The rest of the test** for a candidate and a question: the candidate's *own* paper without that
  question, as a fraction of its possible points: (score − awarded) / (paper points − question points).
  Each candidate has a different paper, so raw "rest" totals would mix papers of different lengths and
  points; the fraction puts them on one scale and leaves the question itself out (Moodle's X_i = T − x_i).
- Facility index F = mean(x) and standard deviation SD = sample SD of x (divisor S−1), both fractions of
  the question's points (Moodle Quiz_statistics_calculations, "Facility index", "Standard deviation",
  with x_min = 0).
- Discrimination index D = 100 · r(x, rest) (Pearson; Moodle "Discrimination index").
- Discriminative efficiency DE = 100 · C(x, rest) / C_max(x, rest), C_max being the covariance of x and
  rest each sorted ascending (Moodle "Discriminative efficiency").
- Point-biserial r_pb: Pearson r between "full credit" (0/1) and the candidate's whole-paper fraction
  (the classic uncorrected point-biserial; D above is the corrected one).
- Upper/lower 27 %: candidates who held the question ranked by whole-paper fraction (ties by attempt
  order); g = ⌊0.27 · n + 0.5⌋ (at most n // 2) at each end; D27 = p_upper − p_lower of full credit
  (Kelley 1939). Distractor analysis: the share of each group choosing each bank option.

Per paper set (positions are Moodle's "slots"): see ``paper_set_statistics``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from examsvc.analytics.responses import Responses

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

GROUP_FRACTION = 0.27  # Kelley's upper and lower groups
MIN_RESPONSES = 30  # no flag on a question fewer candidates have seen: its statistics are noise
FACILITY_LOW = 0.20
FACILITY_HIGH = 0.95
EFFICIENCY_MIN = 15.0  # percent (discriminative efficiency)
DISCRIMINATION_MIN = 0.0  # percent: below is negative discrimination
OPTION_BITS = 8  # chosen is a uint8 mask: at most 8 options (A…H; T=bit 0, F=bit 1)

FLAGS = ("negative_discrimination", "low_efficiency", "facility_out_of_range", "unused_distractor",
         "upper_prefers_distractor")


@dataclass(frozen=True)
class QuestionKeys:
    """What the analysis needs to know of each question: its key as a bank-label mask and its option count
    (2 for true/false)."""

    question_ids: npt.NDArray[np.int32]
    answer_masks: npt.NDArray[np.uint8]
    option_counts: IntArray


@dataclass(frozen=True)
class ItemStats:
    """One entry per question that any loaded paper held (sorted by question id)."""

    question_ids: npt.NDArray[np.int32]
    exposure: IntArray
    facility: FloatArray  # 0…1
    sd: FloatArray  # fraction of the question's points
    discrimination_index: FloatArray  # percent, −100…100 (nan if x or rest has no variance)
    discriminative_efficiency: FloatArray  # percent (nan if C_max is 0)
    point_biserial: FloatArray  # −1…1
    group_size: IntArray  # g, candidates in each of the upper and lower groups
    upper_lower: FloatArray  # D27 = p_upper − p_lower, −1…1
    option_share: FloatArray  # [q, 8]: share of all who held it choosing each bank option
    upper_share: FloatArray  # [q, 8]
    lower_share: FloatArray  # [q, 8]
    flags: dict[str, BoolArray]

    def index_of(self, question_id: int) -> int:
        found = int(np.searchsorted(self.question_ids, question_id))
        if found >= len(self.question_ids) or self.question_ids[found] != question_id:
            raise KeyError(question_id)
        return found


def _segment_sums(groups: IntArray, values: FloatArray, count: int) -> FloatArray:
    sums: FloatArray = np.bincount(groups, weights=values, minlength=count).astype(np.float64, copy=False)
    return sums


def _divide(top: FloatArray, bottom: FloatArray) -> FloatArray:
    out = np.full(top.shape, np.nan)
    np.divide(top, bottom, out=out, where=bottom > 1e-12)
    return out


def _dense_index(ids: npt.NDArray[np.int32]) -> tuple[npt.NDArray[np.int32], IntArray]:
    """(sorted distinct ids, each item's index into them): ``np.unique(return_inverse=True)`` without its sort,
    question ids being dense enough (database keys) for a lookup table."""
    if len(ids) == 0:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64)
    low = int(ids.min())
    present = np.zeros(int(ids.max()) - low + 1, dtype=bool)
    present[ids - low] = True
    rank = np.cumsum(present, dtype=np.int64) - 1
    distinct: npt.NDArray[np.int32] = (np.flatnonzero(present) + low).astype(np.int32)
    return distinct, rank[ids - low]


def analyse(responses: Responses, keys: QuestionKeys, *, min_responses: int = MIN_RESPONSES,
            group_fraction: float = GROUP_FRACTION) -> ItemStats:
    """Per-question statistics and flags (module docstring). Requires every item's possible points > 0."""
    rows = responses.rows
    awarded = responses.awarded.astype(np.float64)
    possible = responses.possible.astype(np.float64)
    paper_awarded = np.bincount(rows, weights=awarded, minlength=responses.attempts)
    paper_possible = np.bincount(rows, weights=possible, minlength=responses.attempts)
    question_ids, qidx = _dense_index(responses.question_ids)
    q = len(question_ids)
    n = np.bincount(qidx, minlength=q).astype(np.int64)
    nf = n.astype(np.float64)
    x = awarded / possible
    whole = paper_awarded / paper_possible  # per attempt
    rest_possible = paper_possible[rows] - possible
    rest = _divide(paper_awarded[rows] - awarded, rest_possible)
    rest = np.where(np.isnan(rest), 0.0, rest)  # a one-item paper has no rest: no variance, D is nan
    t = whole[rows]
    full = (responses.awarded == responses.possible).astype(np.float64)

    mean_x = _segment_sums(qidx, x, q) / nf
    mean_rest = _segment_sums(qidx, rest, q) / nf
    mean_t = _segment_sums(qidx, t, q) / nf
    mean_full = _segment_sums(qidx, full, q) / nf
    dx, dr, dt, df = x - mean_x[qidx], rest - mean_rest[qidx], t - mean_t[qidx], full - mean_full[qidx]
    ss_x, ss_r = _segment_sums(qidx, dx * dx, q), _segment_sums(qidx, dr * dr, q)
    sp_xr = _segment_sums(qidx, dx * dr, q)
    ss_t, ss_f, sp_ft = _segment_sums(qidx, dt * dt, q), _segment_sums(qidx, df * df, q), _segment_sums(
        qidx, df * dt, q)
    sd = np.sqrt(_divide(ss_x, nf - 1))
    discrimination = 100.0 * _divide(sp_xr, np.sqrt(ss_x * ss_r))
    # C_max: x and rest each sorted ascending within the question (lexsort: last key is the primary one).
    by_x = np.lexsort((x, qidx))
    by_rest = np.lexsort((rest, qidx))
    sp_max = _segment_sums(qidx[by_x], (x[by_x] - mean_x[qidx[by_x]]) * (rest[by_rest] - mean_rest[qidx[by_x]]), q)
    efficiency = 100.0 * _divide(sp_xr, sp_max)
    point_biserial = _divide(sp_ft, np.sqrt(ss_f * ss_t))

    # Upper and lower groups: within each question, ascending whole-paper fraction, ties by attempt row.
    order = np.lexsort((rows, t, qidx))
    starts = np.zeros(q, dtype=np.int64)
    np.cumsum(n[:-1], out=starts[1:])
    rank = np.arange(len(order), dtype=np.int64) - starts[qidx[order]]
    g = np.minimum(np.floor(group_fraction * nf + 0.5).astype(np.int64), n // 2)
    sorted_q = qidx[order]
    lower = rank < g[sorted_q]
    upper = rank >= (n - g)[sorted_q]
    gf = g.astype(np.float64)
    upper_lower = (_divide(_segment_sums(sorted_q[upper], full[order][upper], q), gf)
                   - _divide(_segment_sums(sorted_q[lower], full[order][lower], q), gf))
    chosen = responses.chosen[order]
    option_share = np.zeros((q, OPTION_BITS))
    upper_share = np.zeros((q, OPTION_BITS))
    lower_share = np.zeros((q, OPTION_BITS))
    for bit in range(OPTION_BITS):
        picked = ((chosen >> bit) & 1).astype(np.float64)
        option_share[:, bit] = _segment_sums(sorted_q, picked, q) / nf
        upper_share[:, bit] = _divide(_segment_sums(sorted_q[upper], picked[upper], q), gf)
        lower_share[:, bit] = _divide(_segment_sums(sorted_q[lower], picked[lower], q), gf)

    flags = _flags(question_ids, n, mean_x, discrimination, efficiency, option_share, upper_share, keys,
                   min_responses)
    return ItemStats(question_ids=question_ids.astype(np.int32), exposure=n, facility=mean_x, sd=sd,
                     discrimination_index=discrimination, discriminative_efficiency=efficiency,
                     point_biserial=point_biserial, group_size=g, upper_lower=upper_lower,
                     option_share=option_share, upper_share=upper_share, lower_share=lower_share, flags=flags)


def _key_matrices(question_ids: npt.NDArray[np.int32], keys: QuestionKeys) -> tuple[BoolArray, BoolArray]:
    """[q, 8] masks: the key's options, and the distractors (options of the question not in the key)."""
    answer = np.zeros(len(question_ids), dtype=np.int64)
    options = np.zeros(len(question_ids), dtype=np.int64)
    if len(keys.question_ids):
        order = np.argsort(keys.question_ids)
        sorted_ids = keys.question_ids[order]
        found = np.minimum(np.searchsorted(sorted_ids, question_ids), len(order) - 1)
        known = sorted_ids[found] == question_ids
        answer[known] = keys.answer_masks[order][found][known]
        options[known] = keys.option_counts[order][found][known]
    bits = np.arange(OPTION_BITS)
    key = ((answer[:, None] >> bits) & 1).astype(bool)
    exists = bits[None, :] < options[:, None]
    return key, exists & ~key


def _flags(question_ids: npt.NDArray[np.int32], n: IntArray, facility: FloatArray, discrimination: FloatArray,
           efficiency: FloatArray, option_share: FloatArray, upper_share: FloatArray, keys: QuestionKeys,
           min_responses: int) -> dict[str, BoolArray]:
    enough = n >= min_responses
    key, distractors = _key_matrices(question_ids, keys)
    # The key option the upper group chose least (a multiple-choice key has several).
    weakest_key = np.where(key, upper_share, np.inf).min(axis=1)
    best_distractor = np.where(distractors, upper_share, -np.inf).max(axis=1)
    with np.errstate(invalid="ignore"):
        return {
            "negative_discrimination": enough & (discrimination < DISCRIMINATION_MIN),
            "low_efficiency": enough & (efficiency < EFFICIENCY_MIN),
            "facility_out_of_range": enough & ((facility < FACILITY_LOW) | (facility > FACILITY_HIGH)),
            "unused_distractor": enough & (distractors & (option_share == 0)).any(axis=1),
            "upper_prefers_distractor": enough & key.any(axis=1) & (best_distractor > weakest_key),
        }


@dataclass(frozen=True)
class PaperSetStatistics:
    """Of one paper set, in points (scores in tenths / 10), Moodle's quiz-level formulas over its slots."""

    attempts: int
    slots: int
    total_points: float
    mean: float
    median: float
    sd: float
    skewness: float
    kurtosis: float
    cic: float  # percent
    error_ratio: float  # percent
    standard_error: float  # points


def paper_set_statistics(responses: Responses) -> PaperSetStatistics:
    """Requires every paper of ``responses`` to have the same number of items (one blueprint version).

    S attempts, P slots, x_p(s) the points of slot p, T(s) = Σ_p x_p(s):
    mean, median, SD = sqrt(Σ(T − T̄)² / (S − 1));
    m_k = Σ(T − T̄)^k / S, k2 = S·m2/(S − 1), k3 = S²·m3/((S − 1)(S − 2)),
    k4 = S²·((S + 1)·m4 − 3(S − 1)·m2²)/((S − 1)(S − 2)(S − 3)); skewness = k3 / k2^1.5, kurtosis = k4 / k2²;
    CIC = 100 · P/(P − 1) · (1 − Σ_p V(x_p) / V(T)); ER = 100 · sqrt(1 − CIC/100); SE = ER/100 · SD."""
    lengths = np.diff(responses.offsets)
    s = responses.attempts
    if s == 0:
        raise ValueError("no attempts")
    slots = int(lengths[0])
    if (lengths != slots).any():
        raise ValueError("papers of different lengths: not one paper set")
    points = responses.awarded.astype(np.float64).reshape(s, slots) / 10.0
    total = points.sum(axis=1)
    total_points = float(responses.possible.astype(np.float64).reshape(s, slots).sum(axis=1).max() / 10.0)
    mean = float(total.mean())
    d = total - mean
    m2, m3, m4 = (float((d ** k).mean()) for k in (2, 3, 4))
    nan = float("nan")
    sd = float(np.sqrt((d * d).sum() / (s - 1))) if s > 1 else nan
    k2 = s * m2 / (s - 1) if s > 1 else nan
    k3 = s * s * m3 / ((s - 1) * (s - 2)) if s > 2 else nan
    k4 = s * s * ((s + 1) * m4 - 3 * (s - 1) * m2 * m2) / ((s - 1) * (s - 2) * (s - 3)) if s > 3 else nan
    skewness = k3 / k2 ** 1.5 if s > 2 and k2 > 0 else nan
    kurtosis = k4 / (k2 * k2) if s > 3 and k2 > 0 else nan
    if s > 1 and slots > 1 and k2 > 0:
        slot_variance = points.var(axis=0, ddof=1).sum()
        cic = 100.0 * slots / (slots - 1) * (1.0 - slot_variance / (sd * sd))
        error_ratio = 100.0 * float(np.sqrt(max(0.0, 1.0 - cic / 100.0)))
        standard_error = error_ratio / 100.0 * sd
    else:
        cic = error_ratio = standard_error = nan
    return PaperSetStatistics(attempts=s, slots=slots, total_points=total_points, mean=mean,
                          median=float(np.median(total)), sd=sd, skewness=skewness, kurtosis=kurtosis,
                          cic=float(cic), error_ratio=error_ratio, standard_error=standard_error)
