"""Large SYNTHETIC banks for benchmarks and load tests. Their text is filler and says so on every line:
they must never be published for a real exam (the code starts with ``SYNTH-``)."""

from __future__ import annotations

import random
from datetime import date

from examsvc.banks.document import (
    OPTION_LABELS,
    BankDocument,
    BankMeta,
    Industry,
    KnowledgePointData,
    Level,
    Part,
    PersonnelCategory,
    QuestionData,
    QuestionType,
)

_LEVELS = (Level.AWARE, Level.GRASP, Level.GRASP, Level.MASTER, Level.MASTER, Level.MASTER)


def synthetic_bank(questions: int, *, seed: int = 1, part: Part = Part.NATIONAL, knowledge_points: int = 40,
                   code: str = "SYNTH-BENCH", version: str = "1") -> BankDocument:
    rng = random.Random(seed)  # noqa: S311 - filler text, not security
    points = tuple(KnowledgePointData(code=f"{i // 8 + 1}.{i % 8 + 1}", title=f"合成知识点 {i + 1}")
                   for i in range(knowledge_points))
    prefix = "SN" if part == Part.NATIONAL else "SP"
    items = []
    for n in range(1, questions + 1):
        roll = rng.random()
        qtype = (QuestionType.TRUE_FALSE if roll < 0.6 else
                 QuestionType.SINGLE_CHOICE if roll < 0.9 else QuestionType.MULTIPLE_CHOICE)
        options: tuple[tuple[str, str], ...] = ()
        answer: bool | str
        if qtype == QuestionType.TRUE_FALSE:
            answer = rng.random() < 0.5
        else:
            options = tuple((label, f"【合成】第{n}题选项{label}") for label in OPTION_LABELS[:4])
            if qtype == QuestionType.SINGLE_CHOICE:
                answer = rng.choice("ABCD")
            else:
                answer = "".join(sorted(rng.sample("ABCD", rng.randint(2, 4))))
        items.append(QuestionData(
            key=f"{prefix}-{n:06d}", type=qtype,
            stem=f"【合成试题，仅供性能测试】第{n}题：这是一道没有真实含义的填充题（　　）。",
            options=options, answer=answer, explanation=f"【合成】第{n}题的解析。",
            knowledge_point=points[rng.randrange(len(points))].code, level=rng.choice(_LEVELS),
            difficulty=rng.choice((1, 1, 2, 2, 3)),
        ))
    meta = BankMeta(code=code, title="合成题库（仅供性能测试，非真实试题）", province="测试", part=part,
                    personnel_category=PersonnelCategory.SAFETY_MANAGER, industry=Industry.GENERAL, version=version,
                    effective_date=date(2026, 1, 1))
    return BankDocument(meta=meta, knowledge_points=points, questions=tuple(items))
