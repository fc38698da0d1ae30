from __future__ import annotations

import functools
from pathlib import Path

from sqlalchemy.orm import Session

from examsvc.banks import files, service
from examsvc.banks.document import BankDocument, Level, PersonnelCategory, QuestionType
from examsvc.blueprints.document import Blueprint, KnowledgePointQuota, Section
from examsvc.blueprints.models import BlueprintVersion
from examsvc.papers.assembly import PoolQuestion

ROOT = Path(__file__).resolve().parents[2]


def sample_pool(folder: str = "low_voltage_electrician") -> list[PoolQuestion]:
    pool = []
    for path in sorted((ROOT / "question_banks" / folder).glob("*.yaml")):
        document = service.parse_bank_file(path.read_bytes(), path.name)
        pool.extend(PoolQuestion(q.key, 1, str(document.meta.part), q.type, q.knowledge_point, q.level, q.difficulty,
                                 "".join(label for label, _ in q.options)) for q in document.questions)
    return pool


@functools.cache
def sample_documents(folder: str = "low_voltage_electrician") -> tuple[BankDocument, ...]:
    """The sample bank files of ``folder`` read and validated as an import reads them, once per process:
    reading the YAML was a third of every ``approved_rule`` (0.24 s of CPU, now 0.15 s). The documents
    are frozen, and each test still stores them in its own transaction; reading and validating files
    has tests of its own (tests/banks)."""
    return tuple(files.parse(files.collect([ROOT / "question_banks" / folder], kind=files.Kind.THEORY)))


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


def approved_rule(db_session: Session) -> BlueprintVersion:
    """An approved 低压电工 rule over the sample banks, made through the services as people would."""
    from examsvc.audit.actors import Actor
    from examsvc.blueprints import service as blueprints
    from examsvc.examiners import service as examiners
    from examsvc.identity.roles import Role
    from tests.builders import TEST_ACTOR, make_user

    banks = {r.version.part: r.version.id for r in files.import_collected(
        db_session=db_session, documents=sample_documents(), actor=TEST_ACTOR, publish=True)}
    author, chief = make_user(db_session, Role.EXAM_ADMIN), make_user(db_session, Role.CHIEF_EXAMINER)
    as_author = Actor.user(author.id, author.username, ("exam_admin",))
    as_chief = Actor.user(chief.id, chief.username, ("chief_examiner",))
    rule = blueprints.create(db_session=db_session, blueprint=electrician_rule(),
                             national_bank_version_id=banks["national"], provincial_bank_version_id=banks["provincial"],
                             actor=as_author)
    blueprints.submit(db_session=db_session, blueprint_id=rule.id, actor=as_author)
    examiners.create_key(db_session=db_session, user=chief, passphrase="a long examiner passphrase",
                         origin="test.example/log", cost_log2=10, actor=as_chief)
    approved = blueprints.approve(db_session=db_session, blueprint_id=rule.id, passphrase="a long examiner passphrase",
                                  actor=as_chief)
    db_session.commit()
    return approved
