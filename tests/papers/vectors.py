"""The test vector of docs/assembly.md: a pool and a rule defined by formula, a fixed seed."""

from __future__ import annotations

import hashlib

from examsvc.banks.document import Level, PersonnelCategory, QuestionType
from examsvc.blueprints.document import Blueprint, Section
from examsvc.papers.assembly import PoolQuestion

LEVELS = (Level.AWARE, Level.GRASP, Level.MASTER)
VECTOR_SEED = hashlib.sha256(b"examsvc assembly test vector").digest()
VECTOR_POOL = [
    PoolQuestion(key=f"Q-{n:02d}", revision=1, part="provincial" if n % 4 == 0 else "national",
                 type=QuestionType.TRUE_FALSE if n < 16 else QuestionType.SINGLE_CHOICE,
                 knowledge_point=f"1.{n % 2 + 1}", level=LEVELS[n % 3], difficulty=n % 3 + 1,
                 option_labels="" if n < 16 else "ABCD")
    for n in range(24)
]
VECTOR_RULE = Blueprint(
    code="VECTOR", version="1", title="test vector", personnel_category=PersonnelCategory.SAFETY_MANAGER,
    bank_code="VECTOR",
    sections=(Section(QuestionType.TRUE_FALSE, 6, 100), Section(QuestionType.SINGLE_CHOICE, 4, 100)),
    level_shares={Level.AWARE: 30, Level.GRASP: 30, Level.MASTER: 40}, level_tolerance=10, provincial_min_share=25,
)
