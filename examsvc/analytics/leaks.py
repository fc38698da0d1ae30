"""Leak and institution signals (漏题线索, 培训走过场; docs/analytics.md (signals)), leads for a person:

1. **Facility jump** of a question in one group (a site, a training institution or a period) against its
   history (every other response to the question before the period, or at other groups): one-sided
   two-proportion z-test with the pooled proportion, z = (p_g − p_h) / √(p̄(1 − p̄)(1/n_g + 1/n_h)); a
   lead when z ≥ ``JUMP_Z`` (one-sided p ≈ 2.3e-4, strict because a report tests every question of every
   group) **and** the facility rose by at least ``JUMP_MIN_RISE``, with at least ``MIN_GROUP`` responses in
   the group and ``MIN_HISTORY`` in the history.
2. **Score jump** of a sitting's candidates of one institution against the same institution's earlier
   candidates: Welch's z on mean score shares, z ≥ ``JUMP_Z`` and a rise of at least ``SCORE_MIN_RISE``,
   with at least ``MIN_SITTING`` and ``MIN_HISTORY`` candidates.
3. **Institution outliers** (funnel plot, Spiegelhalter 2005, "Funnel plots for comparing institutional
   performance", Stat Med 24:1185): an institution's pass rate against the province's, outside the
   p0 ± ``FUNNEL_Z`` √(p0(1 − p0)/n) limits (99.8 %, z = 3.09), both directions: far below (training as
   a formality) and far above (too good to be true); the same for mean score share with the province's
   SD. Institutions with fewer than ``MIN_INSTITUTION`` candidates are not judged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from examsvc.analytics.normal import upper_tail

JUMP_Z = 3.5
JUMP_MIN_RISE = 0.2
SCORE_MIN_RISE = 0.1
MIN_GROUP = 20
MIN_HISTORY = 50
MIN_SITTING = 10
FUNNEL_Z = 3.09
MIN_INSTITUTION = 10

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ProportionTest:
    n_group: I64
    facility_group: F64
    n_history: I64
    facility_history: F64
    z: F64
    p_value: F64
    flagged: npt.NDArray[np.bool_]


def facility_jump(group_n: I64, group_correct: I64, history_n: I64, history_correct: I64) -> ProportionTest:
    """Element-wise over (question, group) cells: the one-sided test of a rise in facility."""
    gn = np.asarray(group_n, dtype=np.float64)
    hn = np.asarray(history_n, dtype=np.float64)
    pg = np.divide(group_correct, gn, out=np.zeros_like(gn), where=gn > 0)
    ph = np.divide(history_correct, hn, out=np.zeros_like(hn), where=hn > 0)
    pooled = np.divide(np.asarray(group_correct) + np.asarray(history_correct), gn + hn,
                       out=np.zeros_like(gn), where=(gn + hn) > 0)
    se = np.sqrt(pooled * (1 - pooled) * (np.divide(1, gn, out=np.zeros_like(gn), where=gn > 0)
                                           + np.divide(1, hn, out=np.zeros_like(hn), where=hn > 0)))
    z = np.divide(pg - ph, se, out=np.zeros_like(gn), where=se > 0)
    enough = (gn >= MIN_GROUP) & (hn >= MIN_HISTORY)
    flagged = enough & (z >= JUMP_Z) & (pg - ph >= JUMP_MIN_RISE)
    return ProportionTest(np.asarray(group_n, np.int64), pg, np.asarray(history_n, np.int64), ph, z,
                          upper_tail(z), flagged)


@dataclass(frozen=True)
class JumpCell:
    question: int
    group: int
    test_index: int


def facility_jumps_by_group(question: I64, group: I64, correct: npt.NDArray[np.bool_],
                            in_history: npt.NDArray[np.bool_]) -> tuple[I64, I64, ProportionTest]:
    """From flat responses: each (question, group) cell of the responses not in the history, tested against
    the question's history responses **of other groups** (a group's own past does not dilute its jump).
    Returns the cells' question and group and the test."""
    q_ids, q = np.unique(question, return_inverse=True)
    g_ids, g = np.unique(group, return_inverse=True)
    current = ~in_history
    cell = q * len(g_ids) + g
    size = len(q_ids) * len(g_ids)
    cur_n = np.bincount(cell[current], minlength=size)
    cur_c = np.bincount(cell[current], weights=correct[current], minlength=size)
    hist_cell_n = np.bincount(cell[in_history], minlength=size)
    hist_cell_c = np.bincount(cell[in_history], weights=correct[in_history], minlength=size)
    hist_q_n = np.bincount(q[in_history], minlength=len(q_ids))
    hist_q_c = np.bincount(q[in_history], weights=correct[in_history], minlength=len(q_ids))
    cells = np.flatnonzero(cur_n > 0)
    cq = cells // len(g_ids)
    test = facility_jump(cur_n[cells], cur_c[cells].astype(np.int64),
                         hist_q_n[cq] - hist_cell_n[cells], (hist_q_c[cq] - hist_cell_c[cells]).astype(np.int64))
    return q_ids[cq].astype(np.int64), g_ids[cells % len(g_ids)].astype(np.int64), test


@dataclass(frozen=True)
class ScoreJump:
    n_sitting: int
    mean_sitting: float
    n_history: int
    mean_history: float
    z: float
    p_value: float
    flagged: bool


def score_jump(sitting_shares: F64, history_shares: F64) -> ScoreJump:
    """Welch's z for a rise in the mean score share of one institution's candidates in a sitting."""
    n1, n0 = len(sitting_shares), len(history_shares)
    if n1 == 0 or n0 == 0:
        return ScoreJump(n1, float(np.mean(sitting_shares)) if n1 else 0.0, n0,
                         float(np.mean(history_shares)) if n0 else 0.0, 0.0, 1.0, False)
    m1, m0 = float(np.mean(sitting_shares)), float(np.mean(history_shares))
    v1 = float(np.var(sitting_shares, ddof=1)) if n1 > 1 else 0.0
    v0 = float(np.var(history_shares, ddof=1)) if n0 > 1 else 0.0
    se = (v1 / n1 + v0 / n0) ** 0.5
    z = (m1 - m0) / se if se > 0 else 0.0
    p = float(upper_tail(np.array([z]))[0])
    flagged = n1 >= MIN_SITTING and n0 >= MIN_HISTORY and z >= JUMP_Z and m1 - m0 >= SCORE_MIN_RISE
    return ScoreJump(n1, m1, n0, m0, z, p, flagged)


@dataclass(frozen=True)
class FunnelRow:
    institution: str
    n: int
    value: float  # pass rate or mean score share
    lower: float
    upper: float
    direction: str  # "low", "high" or ""


def funnel(institutions: list[str], n: I64, value: F64, province_value: float, province_sd: float | None,
           ) -> list[FunnelRow]:
    """Funnel limits around the province's value: binomial for a rate (``province_sd`` None), else the
    province's SD of the score share over √n."""
    rows: list[FunnelRow] = []
    for name, count, v in zip(institutions, n, value, strict=True):
        if count < MIN_INSTITUTION:
            continue
        spread = (province_value * (1 - province_value)) ** 0.5 if province_sd is None else province_sd
        half = FUNNEL_Z * spread / float(count) ** 0.5
        lower, upper = province_value - half, province_value + half
        direction = "low" if v < lower else "high" if v > upper else ""
        rows.append(FunnelRow(name, int(count), float(v), lower, upper, direction))
    return rows
