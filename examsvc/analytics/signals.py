"""Integrity signals of a sitting (异常线索, issue 21 §3; docs/analytics.md (signals)): leads for a person,
never automatic sanctions. Each signal carries its evidence (question keys and bank labels, the timeline,
the history; never stems or options) and a stable id, so that what a person did with it (signal_action,
the audit log) stays attached when the signals are computed again."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from examsvc.analytics import leaks, timing
from examsvc.analytics.signal_data import (
    CollectedAttempt,
    collected,
    label_text,
    question_labels,
    related_sittings,
    save_times,
)
from examsvc.analytics.similarity import P_THRESHOLD, Responses, seat_distance, similarity
from examsvc.sittings.models import Sitting

# At most this many similar pairs are listed per sitting (the smallest p-values first): at the threshold a
# sitting of 2,000 has about 10,000 honest pairs' worth of leads (docs: false-positive rate), and a person
# reads from the top.
MAX_PAIRS = 200


class Kind(StrEnum):
    SIMILARITY = "similarity"
    FAST_SCORE = "fast_score"
    IDLE_BURST = "idle_burst"
    FACILITY_JUMP = "facility_jump"
    SCORE_JUMP = "score_jump"
    INSTITUTION_OUTLIER = "institution_outlier"


KIND_NAMES = {Kind.SIMILARITY: "答案雷同", Kind.FAST_SCORE: "高分快答", Kind.IDLE_BURST: "空闲后集中作答",
              Kind.FACILITY_JUMP: "试题通过率突增", Kind.SCORE_JUMP: "成绩突增",
              Kind.INSTITUTION_OUTLIER: "培训机构异常"}


@dataclass(frozen=True)
class Signal:
    id: str
    kind: Kind
    sitting: str
    subjects: list[str]
    summary: str
    # the statistic a person sorts by: a p-value (smaller is stronger) or a z (larger is stronger)
    statistic: float
    statistic_name: str
    evidence: dict[str, Any] = field(default_factory=dict)


def signal_id(kind: Kind, sitting: str, subjects: list[str]) -> str:
    """Stable across recomputation: the kind, the sitting and what the signal is about."""
    text = "\n".join([str(kind), sitting, *subjects])
    return "sg-" + hashlib.sha256(text.encode()).hexdigest()[:24]


def _signal(kind: Kind, sitting: str, subjects: list[str], summary: str, statistic: float, name: str,
            evidence: dict[str, Any]) -> Signal:
    return Signal(signal_id(kind, sitting, subjects), kind, sitting, subjects, summary, float(statistic), name,
                  evidence)


def _similarity(db_session: Session, sitting: Sitting, attempts: list[CollectedAttempt]) -> list[Signal]:
    if len(attempts) < 2:
        return []
    responses, ids = Responses.from_attempts([a.question_ids for a in attempts], [a.chosen for a in attempts],
                                             [a.correct for a in attempts])
    result = similarity(responses)
    leads = result.leads()
    leads = leads[np.argsort(result.p_value[leads], kind="stable")][:MAX_PAIRS]
    labels = question_labels(db_session, [int(q) for q in ids])
    out = []
    for k in leads:
        a, b = attempts[int(result.i[k])], attempts[int(result.j[k])]
        answers_a = dict(zip(a.question_ids.tolist(), a.chosen.tolist(), strict=True))
        rows = []
        for qid, mask_b in zip(b.question_ids.tolist(), b.chosen.tolist(), strict=True):
            if qid not in answers_a:
                continue
            mask_a = answers_a[qid]
            label = labels.get(qid)
            qtype = label.type if label else ""
            same = mask_a == mask_b and mask_a != 0
            # Not which answers were right, nor which identical ones were wrong: with the bank labels either
            # hands over the key (an identical answer not marked wrong is the key), to roles that may not see
            # the bank. The pair's count of identical wrong answers is in the summary.
            rows.append({"key": label.key if label else str(qid), "a": label_text(mask_a, qtype),
                         "b": label_text(mask_b, qtype), "same": same})
        rows.sort(key=lambda r: r["key"])
        seats = seat_distance(a.room_id, a.seat, b.room_id, b.seat)
        p = float(result.p_value[k])
        pair = sorted([a.admission_number, b.admission_number])
        out.append(_signal(
            Kind.SIMILARITY, sitting.code, pair,
            f"{pair[0]} 与 {pair[1]}：共同试题 {int(result.common[k])} 道，相同作答 {int(result.matches[k])} 道"
            f"（期望 {float(result.expected[k]):.1f}），其中相同错误 {int(result.identical_wrong[k])} 道",
            p, "p", {
                "pair": [a.admission_number, b.admission_number], "common": int(result.common[k]),
                "matches": int(result.matches[k]), "expected": round(float(result.expected[k]), 2),
                "identical_wrong": int(result.identical_wrong[k]), "p_value": p, "threshold": P_THRESHOLD,
                "seats": {"a": {"room": a.room_code, "seat": a.seat}, "b": {"room": b.room_code, "seat": b.seat},
                          "same_room": seats.same_room, "seats_apart": seats.seats_apart,
                          "neighbours": seats.neighbours},
                "answers": rows}))
    return out


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} 秒" if seconds < 120 else f"{seconds / 60:.1f} 分钟"


def _timeline(attempt: CollectedAttempt, saves: list[tuple[Any, int]]) -> list[dict[str, float | int]]:
    return [{"t": round((saved_at - attempt.started_at).total_seconds(), 1), "position": position}
            for saved_at, position in saves]


def _timing(db_session: Session, sitting: Sitting, attempts: list[CollectedAttempt],
            reference: list[CollectedAttempt], kinds: set[Kind]) -> list[Signal]:
    done = [a for a in attempts if a.working_seconds is not None]
    saves = save_times(db_session, [a.attempt_id for a in done])
    out: list[Signal] = []
    if Kind.FAST_SCORE in kinds and done:
        ref = [a for a in reference if a.working_seconds is not None]
        found = timing.fast_high_scores(
            np.array([a.share for a in done]), np.array([a.working_seconds or 0.0 for a in done]),
            np.array([len(a.question_ids) for a in done]), np.array([a.share for a in ref]),
            np.array([a.working_seconds or 0.0 for a in ref]))
        for f in found:
            a = done[f.index]
            out.append(_signal(
                Kind.FAST_SCORE, sitting.code, [a.admission_number],
                f"{a.admission_number}：得分 {a.score / 10:g}/{a.total_points / 10:g}，用时 {_duration(f.seconds)}"
                + (f"（同分段中位 {_duration(f.band_median_seconds)}）" if f.band_median_seconds else ""),
                f.robust_z if f.robust_z is not None else f.seconds / max(1, len(a.question_ids)),
                "z" if f.robust_z is not None else "seconds_per_item", {
                    "admission_number": a.admission_number, "score": a.score, "total_points": a.total_points,
                    "seconds": round(f.seconds, 1), "items": len(a.question_ids),
                    "band_median_seconds": None if f.band_median_seconds is None else round(f.band_median_seconds, 1),
                    "robust_z": None if f.robust_z is None else round(f.robust_z, 2), "band_size": f.band_size,
                    "reason": f.reason, "timeline": _timeline(a, saves[a.attempt_id])}))
    if Kind.IDLE_BURST in kinds:
        for a in done:
            journal = saves[a.attempt_id]
            if not journal:
                continue
            seconds = np.array([(t - a.started_at).total_seconds() for t, _ in journal])
            positions = np.array([p for _, p in journal], dtype=np.int64)
            for burst in timing.idle_then_burst(seconds, positions):
                out.append(_signal(
                    Kind.IDLE_BURST, sitting.code, [a.admission_number, f"{burst.idle_from:.0f}"],
                    f"{a.admission_number}：第 {burst.idle_from / 60:.1f} 分钟起"
                    f"空闲 {burst.idle_seconds / 60:.1f} 分钟，"
                    f"随后 {burst.burst_seconds:.0f} 秒内作答 {burst.burst_items} 道",
                    burst.idle_seconds, "idle_seconds", {
                        "admission_number": a.admission_number, "idle_from": burst.idle_from,
                        "idle_seconds": burst.idle_seconds, "burst_items": burst.burst_items,
                        "burst_seconds": burst.burst_seconds, "timeline": _timeline(a, journal)}))
    return out


def _flat(attempts: list[CollectedAttempt]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    if not attempts:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    return (np.concatenate([a.question_ids for a in attempts]).astype(np.int64),
            np.concatenate([a.correct for a in attempts]))


def _leaks(db_session: Session, sitting: Sitting, attempts: list[CollectedAttempt],
           history: list[CollectedAttempt], province: list[CollectedAttempt], kinds: set[Kind]) -> list[Signal]:
    out: list[Signal] = []
    if Kind.FACILITY_JUMP in kinds and attempts and history:
        q_now, ok_now = _flat(attempts)
        q_hist, ok_hist = _flat(history)
        institutions = sorted({a.institution for a in attempts + history})
        index = {name: k + 1 for k, name in enumerate(institutions)}
        groupings = {
            "sitting": (np.zeros(len(q_now), np.int64), np.full(len(q_hist), -1, np.int64)),
            "institution": (np.concatenate([np.full(len(a.question_ids), index[a.institution]) for a in attempts]),
                            np.concatenate([np.full(len(a.question_ids), index[a.institution]) for a in history])),
        }
        wanted = np.unique(q_now)
        labels = question_labels(db_session, [int(q) for q in wanted])
        for grouping, (g_now, g_hist) in groupings.items():
            keep = np.isin(q_hist, wanted)
            q, g, test = leaks.facility_jumps_by_group(
                np.concatenate([q_now, q_hist[keep]]), np.concatenate([g_now, g_hist[keep]]),
                np.concatenate([ok_now, ok_hist[keep]]),
                np.concatenate([np.zeros(len(q_now), bool), np.ones(int(keep.sum()), bool)]))
            for k in np.flatnonzero(test.flagged):
                label = labels.get(int(q[k]))
                key = label.key if label else str(int(q[k]))
                name = "本场次" if grouping == "sitting" else (institutions[int(g[k]) - 1] or "（未填培训机构）")
                out.append(_signal(
                    Kind.FACILITY_JUMP, sitting.code, [grouping, name, key],
                    f"试题 {key}：{name}通过率 {test.facility_group[k]:.0%}（{int(test.n_group[k])} 人），"
                    f"历史 {test.facility_history[k]:.0%}（{int(test.n_history[k])} 人）",
                    float(test.z[k]), "z", {
                        "question": key, "grouping": grouping, "group": name, "n_group": int(test.n_group[k]),
                        "facility_group": round(float(test.facility_group[k]), 4),
                        "n_history": int(test.n_history[k]),
                        "facility_history": round(float(test.facility_history[k]), 4),
                        "z": round(float(test.z[k]), 2), "p_value": float(test.p_value[k]),
                        "threshold_z": leaks.JUMP_Z, "min_rise": leaks.JUMP_MIN_RISE}))
    by_institution: dict[str, list[CollectedAttempt]] = defaultdict(list)
    for a in attempts:
        by_institution[a.institution].append(a)
    if Kind.SCORE_JUMP in kinds:
        past: dict[str, list[float]] = defaultdict(list)
        for a in history:
            past[a.institution].append(a.share)
        for name, group in sorted(by_institution.items()):
            if not name:
                continue
            jump = leaks.score_jump(np.array([a.share for a in group]), np.array(past[name]))
            if jump.flagged:
                out.append(_signal(
                    Kind.SCORE_JUMP, sitting.code, [name],
                    f"{name}：本场平均得分率 {jump.mean_sitting:.0%}（{jump.n_sitting} 人），"
                    f"历史 {jump.mean_history:.0%}（{jump.n_history} 人）", jump.z, "z", {
                        "institution": name, "n_sitting": jump.n_sitting, "mean_sitting": round(jump.mean_sitting, 4),
                        "n_history": jump.n_history, "mean_history": round(jump.mean_history, 4),
                        "z": round(jump.z, 2), "p_value": jump.p_value, "threshold_z": leaks.JUMP_Z}))
    if Kind.INSTITUTION_OUTLIER in kinds and province:
        out.extend(_outliers(sitting, set(by_institution), province))
    return out


def _outliers(sitting: Sitting, present: set[str], province: list[CollectedAttempt]) -> list[Signal]:
    judged = [a for a in province if a.passed is not None]
    out: list[Signal] = []
    if not judged:
        return out
    rate = float(np.mean([a.passed for a in judged]))
    shares = np.array([a.share for a in province])
    mean_share, sd_share = float(shares.mean()), float(shares.std(ddof=1)) if len(shares) > 1 else 0.0
    groups: dict[str, list[CollectedAttempt]] = defaultdict(list)
    for a in province:
        if a.institution in present and a.institution:
            groups[a.institution].append(a)
    names = sorted(groups)
    passing = leaks.funnel(names, np.array([sum(a.passed is not None for a in groups[n]) for n in names]),
                           np.array([np.mean([float(bool(a.passed)) for a in groups[n]
                                              if a.passed is not None] or [0.0]) for n in names]), rate, None)
    scores = {r.institution: r for r in leaks.funnel(
        names, np.array([len(groups[n]) for n in names]), np.array([np.mean([a.share for a in groups[n]])
                                                                     for n in names]), mean_share, sd_share)}
    for row in passing:
        score_row = scores.get(row.institution)
        if not row.direction and not (score_row and score_row.direction):
            continue
        word = {"low": "显著偏低", "high": "显著偏高", "": "在控制限内"}
        out.append(_signal(
            Kind.INSTITUTION_OUTLIER, sitting.code, [row.institution],
            f"{row.institution}：通过率 {row.value:.0%}（{row.n} 人）{word[row.direction]}，全省 {rate:.0%}"
            + (f"；平均得分率 {score_row.value:.0%}{word[score_row.direction]}，全省 {mean_share:.0%}"
               if score_row and score_row.direction else ""),
            row.value - rate, "difference", {
                "institution": row.institution, "n": row.n, "pass_rate": round(row.value, 4),
                "province_pass_rate": round(rate, 4), "limits": [round(row.lower, 4), round(row.upper, 4)],
                "direction": row.direction, "funnel_z": leaks.FUNNEL_Z,
                "mean_score_share": None if score_row is None else round(score_row.value, 4),
                "province_mean_score_share": round(mean_share, 4),
                "score_limits": None if score_row is None else [round(score_row.lower, 4), round(score_row.upper, 4)],
                "score_direction": None if score_row is None else score_row.direction}))
    return out


def signals_for(db_session: Session, sitting: Sitting, kind: Kind | None = None) -> list[Signal]:
    """The sitting's signals (of one kind, or all), strongest first within each kind."""
    kinds = {kind} if kind else set(Kind)
    attempts = collected(db_session, [sitting.id])
    out: list[Signal] = []
    if Kind.SIMILARITY in kinds:
        out.extend(_similarity(db_session, sitting, attempts))
    earlier, upto = related_sittings(db_session, sitting)
    needs_province = kinds & {Kind.FAST_SCORE, Kind.INSTITUTION_OUTLIER}
    province = collected(db_session, upto) if needs_province else []
    if kinds & {Kind.FAST_SCORE, Kind.IDLE_BURST}:
        out.extend(_timing(db_session, sitting, attempts, province or attempts, kinds))
    if kinds & {Kind.FACILITY_JUMP, Kind.SCORE_JUMP, Kind.INSTITUTION_OUTLIER}:
        history = collected(db_session, earlier) if kinds & {Kind.FACILITY_JUMP, Kind.SCORE_JUMP} else []
        out.extend(_leaks(db_session, sitting, attempts, history, province, kinds))
    return out
