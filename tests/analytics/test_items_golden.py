"""Item analysis checked on a data set computed by hand (every figure below is worked out in the comments)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from examsvc.analytics.items import QuestionKeys, analyse, paper_set_statistics
from tests.analytics.builders import responses

pytestmark = pytest.mark.db_agnostic

A, B, C, D = 1, 2, 4, 8
T, F = 1, 2

# Five candidates, the same three one-point questions (10 tenths) in the same slots:
#   q1 single choice A–D, key B;  q2 true/false, key T;  q3 single choice A–D, key A.
#            q1        q2       q3       total
#   cand 1:  B  1      T  1     A  1     3
#   cand 2:  B  1      T  1     C  0     2
#   cand 3:  B  1      F  0     A  1     2
#   cand 4:  A  0      T  1     C  0     1
#   cand 5:  C  0      F  0     D  0     0
PAPERS = [
    [(1, B, 10, 10), (2, T, 10, 10), (3, A, 10, 10)],
    [(1, B, 10, 10), (2, T, 10, 10), (3, C, 0, 10)],
    [(1, B, 10, 10), (2, F, 0, 10), (3, A, 10, 10)],
    [(1, A, 0, 10), (2, T, 10, 10), (3, C, 0, 10)],
    [(1, C, 0, 10), (2, F, 0, 10), (3, D, 0, 10)],
]
KEYS = QuestionKeys(question_ids=np.array([1, 2, 3], dtype=np.int32), answer_masks=np.array([B, T, A], dtype=np.uint8),
                    option_counts=np.array([4, 2, 4], dtype=np.int64))


def test_question_statistics_match_the_hand_computation() -> None:
    stats = analyse(responses(PAPERS), KEYS, min_responses=1)
    # q1: x = 1,1,1,0,0 → F = 0.6; deviations .4,.4,.4,−.6,−.6, Σd² = 1.2, V = 1.2/4 = 0.3, SD = √0.3.
    #     rest = (T − x)/2 = 1, .5, .5, .5, 0 → mean .5, deviations .5,0,0,0,−.5, Σd² = 0.5.
    #     Σ dx·dr = .4·.5 + .6·.5 = 0.5 → D = 100 · 0.5/√(1.2·0.5) = 64.549 %.
    #     sorted: x 0,0,1,1,1 and rest 0,.5,.5,.5,1 → Σ = (−.6)(−.5) + .4·.5 = 0.5 → DE = 100 %.
    # q2: x = 1,1,0,1,0 (F .6, SD √.3); rest = 1,.5,1,0,0 (mean .5);
    #     Σ dx·dr = .4·.5 + 0 − .6·.5 − .4·.5 + .6·.5 = 0 → D = 0, DE = 0.
    # q3: x = 1,0,1,0,0 → F = .4, Σd² = .36·2 + .16·3 = 1.2, SD = √.3;
    #     rest = 1,1,.5,.5,0 → mean .6, deviations .4,.4,−.1,−.1,−.6, Σd² = 0.7;
    #     Σ dx·dr = .24 − .16 − .06 + .04 + .24 = 0.30 → D = 100 · .3/√(1.2·.7) = 32.733 %;
    #     sorted: x 0,0,0,1,1 (d −.4×3, .6×2) and rest 0,.5,.5,1,1 (d −.6,−.1,−.1,.4,.4):
    #     Σ = .24 + .04 + .04 + .24 + .24 = 0.80 → DE = 100 · .3/.8 = 37.5 %.
    assert stats.question_ids.tolist() == [1, 2, 3] and stats.exposure.tolist() == [5, 5, 5]
    assert stats.facility == pytest.approx([0.6, 0.6, 0.4])
    assert stats.sd == pytest.approx([math.sqrt(0.3)] * 3)
    assert stats.discrimination_index == pytest.approx([100 * 0.5 / math.sqrt(0.6), 0.0, 100 * 0.3 / math.sqrt(0.84)],
                                                       abs=1e-9)
    assert stats.discriminative_efficiency == pytest.approx([100.0, 0.0, 37.5], abs=1e-9)
    # Point-biserial of q1: full credit 1,1,1,0,0 against the totals 3,2,2,1,0 (mean 1.6, Σd² = 5.2):
    #     Σ dc·dT = .4·1.4 + .4·.4 + .4·.4 + .6·.6 + .6·1.6 = 2.2 → r = 2.2/√(1.2·5.2) = 0.880705.
    assert stats.point_biserial[0] == pytest.approx(2.2 / math.sqrt(1.2 * 5.2))
    # 27 % of 5 = 1.35 → g = 1: the upper group is candidate 1 (3 points), the lower candidate 5 (0).
    assert stats.group_size.tolist() == [1, 1, 1]
    assert stats.upper_lower.tolist() == [1.0, 1.0, 1.0]
    # q1 options: A chosen by cand 4, B by 1–3, C by 5, D by nobody; upper chose B, lower chose C.
    assert stats.option_share[0, :4] == pytest.approx([0.2, 0.6, 0.2, 0.0])
    assert stats.upper_share[0, :4].tolist() == [0, 1, 0, 0] and stats.lower_share[0, :4].tolist() == [0, 0, 1, 0]


def test_flags_follow_the_named_thresholds() -> None:
    stats = analyse(responses(PAPERS), KEYS, min_responses=1)
    flags = {name: stats.question_ids[marked].tolist() for name, marked in stats.flags.items()}
    # q2 (DE 0 < 15) and nothing else discriminates badly; D is never negative here.
    assert flags["low_efficiency"] == [2] and flags["negative_discrimination"] == []
    # q1: D is never chosen (q3: B never chosen either); facilities .6/.6/.4 are inside 0.2–0.95.
    assert flags["unused_distractor"] == [1, 3] and flags["facility_out_of_range"] == []
    assert flags["upper_prefers_distractor"] == []
    # Five candidates are too few for the default minimum (30): nothing is flagged.
    assert not any(marked.any() for marked in analyse(responses(PAPERS), KEYS).flags.values())


def test_the_upper_group_preferring_a_distractor_and_negative_discrimination_are_flagged() -> None:
    # Question 9 (key A): the two best candidates (20 of 30 tenths) choose B, the two weakest (10 of 30) A.
    papers = [[(7, T, 10, 10), (8, T, 10, 10), (9, B, 0, 10)], [(7, T, 10, 10), (8, T, 10, 10), (9, B, 0, 10)],
              [(7, F, 0, 10), (8, F, 0, 10), (9, A, 10, 10)], [(7, F, 0, 10), (8, F, 0, 10), (9, A, 10, 10)]]
    keys = QuestionKeys(np.array([7, 8, 9], dtype=np.int32), np.array([T, T, A], dtype=np.uint8),
                        np.array([2, 2, 4]))
    stats = analyse(responses(papers), keys, min_responses=1, group_fraction=0.5)
    nine = stats.index_of(9)
    # rest of q9 = (q7 + q8)/2: 1,1,0,0 against x 0,0,1,1 → r = −1, D = −100 %.
    assert stats.discrimination_index[nine] == pytest.approx(-100.0)
    assert stats.flags["negative_discrimination"][nine] and stats.flags["upper_prefers_distractor"][nine]
    assert stats.upper_share[nine, :2].tolist() == [0.0, 1.0] and stats.upper_lower[nine] == -1.0


def test_every_candidate_a_different_paper_uses_each_ones_own_rest_of_test() -> None:
    # Question 5 is on two papers of different length and points: its rest is a fraction of each paper.
    papers = [[(5, A, 20, 20), (6, A, 10, 10)],  # rest 10/10 = 1
              [(5, B, 0, 20), (7, A, 10, 10), (8, A, 0, 30)],  # rest 10/40 = .25
              [(5, A, 20, 20), (8, A, 15, 30)]]  # rest 15/30 = .5
    keys = QuestionKeys(np.array([5], dtype=np.int32), np.array([A], dtype=np.uint8), np.array([4]))
    stats = analyse(responses(papers), keys, min_responses=1)
    five = stats.index_of(5)
    # x = 1,0,1 (mean 2/3, d 1/3,−2/3,1/3, Σd² = 2/3); rest = 1,.25,.5 (mean 7/12, d 5/12,−4/12,−1/12,
    # Σd² = 42/144); Σ dx·dr = (5 + 8 − 1)/36 = 1/3 → r = (1/3)/√((2/3)(42/144)).
    assert stats.exposure[five] == 3
    assert stats.discrimination_index[five] == pytest.approx(100 * (1 / 3) / math.sqrt((2 / 3) * (42 / 144)))
    # Partial credit (q8: 15 of 30 tenths) is a fraction: facility of 8 = (0 + .5)/2.
    assert stats.facility[stats.index_of(8)] == pytest.approx(0.25)


def test_paper_set_statistics_match_the_hand_computation() -> None:
    stats = paper_set_statistics(responses(PAPERS))
    # T = 3,2,2,1,0: mean 1.6, median 2, deviations 1.4,.4,.4,−.6,−1.6, Σd² = 5.2 → SD = √1.3.
    # m2 = 1.04, m3 = (2.744 + .128 − .216 − 4.096)/5 = −.288, m4 = (3.8416 + .0512 + .1296 + 6.5536)/5 = 2.1152
    # k2 = 5·1.04/4 = 1.3, k3 = 25·(−.288)/12 = −.6 → skewness = −.6/1.3^1.5 = −0.404796
    # k4 = 25·(6·2.1152 − 12·1.0816)/24 = −.3 → kurtosis = −.3/1.69 = −0.177515
    # slot variances .3 each (Σ .9) → CIC = 100·3/2·(1 − .9/1.3) = 46.1538 %
    # ER = 100·√(1 − .461538) = 73.3799 %; SE = .733799·√1.3 = 0.836660
    assert (stats.attempts, stats.slots, stats.total_points) == (5, 3, 3.0)
    assert (stats.mean, stats.median) == (pytest.approx(1.6), 2.0)
    assert stats.sd == pytest.approx(math.sqrt(1.3))
    assert stats.skewness == pytest.approx(-0.6 / 1.3 ** 1.5)
    assert stats.kurtosis == pytest.approx(-0.3 / 1.69)
    assert stats.cic == pytest.approx(150 * 0.4 / 1.3)
    assert stats.error_ratio == pytest.approx(100 * math.sqrt(1 - 0.6 / 1.3))
    assert stats.standard_error == pytest.approx(math.sqrt(1 - 0.6 / 1.3) * math.sqrt(1.3))
    assert stats.standard_error == pytest.approx(0.836660, abs=1e-6)
