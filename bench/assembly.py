"""Assemble and seal the papers of a 2,000-candidate sitting from a SYNTHETIC 5,000-question bank
under a 70 + 30 rule, and compare with the floor: serialising, hashing and encrypting the same paper
bytes. Prints ``papers/s: N`` and, last, the ratio of time per paper to the floor.
Goals: >= 1,000 papers/s on one core; ratio <= 3.

    .venv/bin/python -m bench.assembly [--candidates N]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time

from examsvc.banks.document import Level, Part, PersonnelCategory, QuestionType
from examsvc.banks.synthetic import synthetic_bank
from examsvc.blueprints.document import Blueprint, Section
from examsvc.crypto.envelope import new_key, seal
from examsvc.papers.assembly import PoolQuestion, assemble, prepare
from examsvc.papers.document import paper_document
from examsvc.papers.stream import candidate_seed

RULE = Blueprint(
    code="BENCH", version="1", title="基准", personnel_category=PersonnelCategory.SPECIAL_OPERATIONS,
    bank_code="SYNTH-BENCH",
    sections=(Section(QuestionType.TRUE_FALSE, 70, 10), Section(QuestionType.SINGLE_CHOICE, 30, 10)),
    level_shares={Level.AWARE: 20, Level.GRASP: 30, Level.MASTER: 50}, level_tolerance=5, provincial_min_share=10,
)


def pool() -> list[PoolQuestion]:
    out = []
    for part, size in ((Part.NATIONAL, 4000), (Part.PROVINCIAL, 1000)):
        document = synthetic_bank(size, seed=7, part=part)
        out += [PoolQuestion(q.key, 1, str(part), q.type, q.knowledge_point, q.level, q.difficulty,
                             "".join(label for label, _ in q.options)) for q in document.questions]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", type=int, default=2000)
    args = parser.parse_args()
    candidates = [f"1401{n:06d}" for n in range(args.candidates)]
    sitting_seed, data_key = os.urandom(32), new_key()
    banks = {"national": "a" * 64, "provincial": "b" * 64}
    plan = prepare(RULE, pool())
    digest = RULE.digest()

    started = time.perf_counter()
    made = []
    for candidate in candidates:
        items = assemble(plan, candidate_seed(sitting_seed, candidate))
        document = paper_document(blueprint_digest=digest, bank_digests=banks, sitting="BENCH", candidate=candidate,
                                  items=items, total_points=RULE.total_points, seen=())
        paper_digest = hashlib.sha256(document).hexdigest()
        seal(data_key, document, f"paper\nBENCH\n{candidate}\n{paper_digest}\n".encode())
        made.append(items)
    full = (time.perf_counter() - started) / len(candidates)

    started = time.perf_counter()
    for candidate, items in zip(candidates, made, strict=True):
        document = paper_document(blueprint_digest=digest, bank_digests=banks, sitting="BENCH", candidate=candidate,
                                  items=items, total_points=RULE.total_points, seen=())
        paper_digest = hashlib.sha256(document).hexdigest()
        seal(data_key, document, f"paper\nBENCH\n{candidate}\n{paper_digest}\n".encode())
    floor = (time.perf_counter() - started) / len(candidates)

    print(f"pool: 5000 synthetic questions; {args.candidates} papers of 70 + 30")
    print(f"per paper: {full * 1e6:.0f} µs (assemble, serialise, hash, seal); floor {floor * 1e6:.0f} µs")
    print(f"papers/s: {1 / full:.0f}")
    print(f"time per paper / floor: {full / floor:.2f}")


if __name__ == "__main__":
    main()
