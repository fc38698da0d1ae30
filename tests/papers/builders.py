from __future__ import annotations

from pathlib import Path

from examsvc.banks import service
from examsvc.banks.document import Level, PersonnelCategory, QuestionType
from examsvc.blueprints.document import Blueprint, KnowledgePointQuota, Section
from examsvc.papers.assembly import PoolQuestion

ROOT = Path(__file__).resolve().parents[2]


def sample_pool(folder: str = "low_voltage_electrician") -> list[PoolQuestion]:
    pool = []
    for path in sorted((ROOT / "question_banks" / folder).glob("*.yaml")):
        document = service.parse_bank_file(path.read_bytes(), path.name)
        pool.extend(PoolQuestion(q.key, 1, str(document.meta.part), q.type, q.knowledge_point, q.level, q.difficulty,
                                 "".join(label for label, _ in q.options)) for q in document.questions)
    return pool


def electrician_rule(**changes: object) -> Blueprint:
    """低压电工: 70 判断题 + 30 单选题, 1 point each, levels 20/30/50 ± 5, ≥ 15 % provincial."""
    values: dict[str, object] = {
        "code": "SX-LV-THEORY", "version": "1", "title": "低压电工作业理论考试", "bank_code": "SX-ELEC-LV",
        "personnel_category": PersonnelCategory.SPECIAL_OPERATIONS, "operation_item": "1.2",
        "sections": (Section(QuestionType.TRUE_FALSE, 70, 10), Section(QuestionType.SINGLE_CHOICE, 30, 10)),
        "level_shares": {Level.AWARE: 20, Level.GRASP: 30, Level.MASTER: 50}, "level_tolerance": 5,
        "knowledge_point_quotas": (KnowledgePointQuota("1", minimum=3), KnowledgePointQuota("3.2", minimum=2)),
        "provincial_min_share": 15,
    }
    values.update(changes)
    return Blueprint(**values)  # type: ignore[arg-type]
