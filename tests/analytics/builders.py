"""Responses built in memory, as ``analytics.responses.load`` would return them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from examsvc.analytics.responses import Responses

Item = tuple[int, int, int, int]  # question id, chosen mask, awarded, possible (tenths)


def responses(papers: Sequence[Sequence[Item]], paper_set_ids: Sequence[int] | None = None) -> Responses:
    n = len(papers)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([len(p) for p in papers], out=offsets[1:])
    flat = [item for paper in papers for item in paper]
    ids = np.arange(1, n + 1, dtype=np.int64)
    return Responses(attempt_ids=ids, sitting_ids=np.ones(n, dtype=np.int64), registration_ids=ids,
                     paper_set_ids=np.asarray(paper_set_ids or [1] * n, dtype=np.int64), offsets=offsets,
                     question_ids=np.asarray([i[0] for i in flat], dtype=np.int32),
                     chosen=np.asarray([i[1] for i in flat], dtype=np.uint8),
                     awarded=np.asarray([i[2] for i in flat], dtype=np.uint16),
                     possible=np.asarray([i[3] for i in flat], dtype=np.uint16))
