"""Realistic item-analysis numbers for the page's browser test: 400 collected attempts × 100 questions drawn
from a 500-question pool (one of each section of 5, so each question is held by about 80 candidates),
answered under a three-parameter logistic model with a spread of difficulty and discrimination, and four
planted problems a bank committee must see. Inserted by bench/item_world.py, as the benchmark's pool."""

from __future__ import annotations

import numpy as np

from bench.item_world import Simulated, question_key

ATTEMPTS = 400
LENGTH = 100
POOL = 500
PER = POOL // LENGTH
TRUE_FALSE_SECTIONS = 60  # then 30 sections of single choice, 10 of multiple choice (key A+C)
SINGLE_SECTIONS = 30
MULTIPLE_KEY = 0b0101  # A+C
# A wrong multiple-choice answer: A only, C only, A+B+C, A+C+D, B+C, A+B (every distractor chosen by someone).
MULTIPLE_WRONG = np.array([0b0001, 0b0100, 0b0111, 0b1101, 0b0110, 0b0011], dtype=np.uint8)

# The planted problems (pool indexes) and the flag each must carry, as the page words it.
EASY = 0  # a true/false question nearly everyone gets right
MISKEYED = TRUE_FALSE_SECTIONS * PER  # single choice: the bank says B, what strong candidates know is C
UNUSED = MISKEYED + PER  # single choice: nobody chooses D
ATTRACTIVE = MISKEYED + 2 * PER  # single choice: the upper group prefers distractor C to the key B
PLANTED = {
    question_key(EASY): "难度系数超出0.2–0.95（过易）",
    question_key(MISKEYED): "区分度为负",
    question_key(UNUSED): "有无人选择的干扰项（D）",
    question_key(ATTRACTIVE): "高分组更多选择干扰项（C）",
}


def _kind(index: int) -> int:
    section = index // PER
    return 0 if section < TRUE_FALSE_SECTIONS else 1 if section < TRUE_FALSE_SECTIONS + SINGLE_SECTIONS else 2


def simulate(seed: int = 21) -> Simulated:
    rng = np.random.default_rng(seed)
    kinds = np.array([_kind(q) for q in range(POOL)])
    drawn = np.arange(LENGTH) * PER + rng.integers(0, PER, size=(ATTEMPTS, LENGTH))
    slope = rng.lognormal(0.0, 0.4, size=POOL)  # discrimination: about 0.5 to 2
    difficulty = rng.normal(-0.5, 1.0, size=POOL)
    guess = np.array([0.2, 0.1, 0.0])[kinds]  # true/false is easier to guess than four options
    difficulty[EASY], slope[EASY] = -5.0, 1.5
    ability = rng.normal(0.0, 1.0, size=(ATTEMPTS, 1))
    kind = kinds[drawn]
    p_right = guess[drawn] + (1 - guess[drawn]) / (1 + np.exp(-slope[drawn] * (ability - difficulty[drawn])))
    right = rng.random((ATTEMPTS, LENGTH)) < p_right

    # A wrong single choice falls on a distractor by the question's own attractiveness of each.
    weights = rng.dirichlet(np.full(3, 4.0), size=POOL)
    weights[UNUSED] = (0.6, 0.4, 0.0)  # A, C, never D
    cumulative = weights.cumsum(axis=1)[drawn]
    pick = (rng.random((ATTEMPTS, LENGTH, 1)) > cumulative[..., :2]).sum(axis=2)  # 0, 1, 2
    wrong_single = np.array([0b0001, 0b0100, 0b1000], dtype=np.uint8)[pick]  # A, C, D
    wrong_multiple = MULTIPLE_WRONG[rng.integers(0, len(MULTIPLE_WRONG), size=(ATTEMPTS, LENGTH))]
    answer = np.array([0b01, 0b0010, MULTIPLE_KEY], dtype=np.uint8)[kind]  # T, B, A+C
    wrong = np.where(kind == 0, 0b10, np.where(kind == 1, wrong_single, wrong_multiple))
    chosen = np.where(right, answer, wrong).astype(np.uint8)

    held = drawn == MISKEYED  # what candidates know is C: the right ones choose C, the wrong ones A, B or D
    chosen[held & right] = 0b0100
    chosen[held & ~right] = np.array([0b0001, 0b0010, 0b1000], dtype=np.uint8)[
        rng.integers(0, 3, size=int((held & ~right).sum()))]
    held = drawn == ATTRACTIVE  # the stronger the candidate, the likelier the plausible-but-wrong C
    lured = held & (rng.random((ATTEMPTS, LENGTH)) < 0.8 / (1 + np.exp(-2.0 * (ability - 0.3))))
    chosen[lured] = 0b0100
    chosen[rng.random((ATTEMPTS, LENGTH)) < 0.02] = 0  # a few left blank
    bank_key = np.array([0b01, 0b0010, MULTIPLE_KEY], dtype=np.uint8)[kind]  # scored against the bank's key
    awarded = np.where(chosen == bank_key, 10, 0).astype(np.uint16)
    return Simulated(types=[("true_false", "single_choice", "multiple_choice")[k] for k in kinds],
                     answers=[("T", "B", "AC")[k] for k in kinds], question=drawn, chosen=chosen, awarded=awarded)
