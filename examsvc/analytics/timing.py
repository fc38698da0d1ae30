"""Timing signals (docs/analytics.md (signals)), leads for a person, never sanctions:

1. **Fast high score** (高分快答): a score of at least ``HIGH_SCORE`` of the total, with a working time (start
   to submission, minus credited pauses) far below what candidates of the same score band took in the
   reference group (the sitting, or the province's sittings of the same rule). Far below: a robust z of the
   log working time, (log t − median) / (1.4826 · MAD), at most ``FAST_Z``, in a band of at least
   ``MIN_BAND`` attempts; or, whatever the band, under ``MIN_SECONDS_PER_ITEM`` per question (no one reads
   a question in less).
2. **Idle then burst** (长时间空闲后集中作答): in an attempt's save journal (answer_save.saved_at, the
   start as the first instant), a gap of at least ``IDLE_SECONDS`` followed within ``BURST_SECONDS`` by
   saves to at least ``BURST_ITEMS`` distinct questions: the pattern of answers arriving from elsewhere.

Evidence is the timeline: seconds from the start and the paper position of each save, never content.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

HIGH_SCORE = 0.9  # share of the total points
SCORE_BAND = 0.05  # bands of 5 % of the total
FAST_Z = -3.0
MIN_BAND = 20
MIN_SECONDS_PER_ITEM = 3.0
IDLE_SECONDS = 900
BURST_SECONDS = 180
BURST_ITEMS = 15

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class FastFinding:
    index: int  # the attempt's position in the input
    seconds: float
    band_median_seconds: float | None
    robust_z: float | None
    band_size: int
    reason: str  # "band" (robust z) or "floor" (seconds per question)


def _band(score_share: F64) -> npt.NDArray[np.int64]:
    out: npt.NDArray[np.int64] = np.floor(np.clip(score_share, 0, 1) / SCORE_BAND + 1e-9).astype(np.int64)
    return out


def fast_high_scores(score_share: F64, seconds: F64, items: npt.NDArray[np.int64],
                     reference_share: F64 | None = None, reference_seconds: F64 | None = None) -> list[FastFinding]:
    """Attempts with a high score answered implausibly fast. The reference defaults to the attempts themselves
    (the sitting); pass the province's attempts of the same rule for a larger band."""
    ref_share = score_share if reference_share is None else reference_share
    ref_seconds = seconds if reference_seconds is None else reference_seconds
    ref_band = _band(ref_share)
    own_band = _band(score_share)
    findings: list[FastFinding] = []
    stats: dict[int, tuple[float, float, int]] = {}
    for band in np.unique(own_band[score_share >= HIGH_SCORE]):
        logs = np.log(np.maximum(ref_seconds[ref_band == band], 1.0))
        median = float(np.median(logs)) if len(logs) else 0.0
        mad = float(np.median(np.abs(logs - median))) * 1.4826 if len(logs) else 0.0
        stats[int(band)] = (median, mad, len(logs))
    for k in np.flatnonzero(score_share >= HIGH_SCORE):
        t = float(seconds[k])
        median, mad, size = stats[int(own_band[k])]
        z = (np.log(max(t, 1.0)) - median) / mad if size >= MIN_BAND and mad > 0 else None
        band_median = float(np.exp(median)) if size else None
        if items[k] > 0 and t / float(items[k]) < MIN_SECONDS_PER_ITEM:
            findings.append(FastFinding(int(k), t, band_median, z, size, "floor"))
        elif z is not None and z <= FAST_Z:
            findings.append(FastFinding(int(k), t, band_median, float(z), size, "band"))
    return findings


@dataclass(frozen=True)
class Burst:
    idle_from: float  # seconds from the start
    idle_seconds: float
    burst_items: int  # distinct questions saved within BURST_SECONDS after the gap
    burst_seconds: float


def idle_then_burst(save_seconds: F64, positions: npt.NDArray[np.int64]) -> list[Burst]:
    """Gaps of at least IDLE_SECONDS (from the start, 0, or a save) followed by a burst of saves to at least
    BURST_ITEMS distinct questions within BURST_SECONDS. ``save_seconds`` from the attempt's start."""
    order = np.argsort(save_seconds, kind="stable")
    t = np.concatenate([[0.0], save_seconds[order].astype(np.float64)])
    pos = np.concatenate([[-1], positions[order]])
    found: list[Burst] = []
    for g in np.flatnonzero(np.diff(t) >= IDLE_SECONDS):
        start = t[g + 1]
        window = (t >= start) & (t <= start + BURST_SECONDS)
        distinct = np.unique(pos[window & (pos >= 0)])
        if len(distinct) >= BURST_ITEMS:
            last = float(t[window].max())
            found.append(Burst(float(t[g]), float(start - t[g]), len(distinct), last - float(start)))
    return found
