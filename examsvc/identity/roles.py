"""The roles a user may hold. A user may hold several."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SYSTEM_ADMIN = "system_admin"
    BANK_ADMIN = "bank_admin"
    EXAM_ADMIN = "exam_admin"
    CHIEF_EXAMINER = "chief_examiner"
    PROCTOR = "proctor"
    EVALUATOR = "evaluator"
    AUDITOR = "auditor"
    INSPECTOR = "inspector"
    # 发证人员: issues certificates and records their lifecycle; holds no exam-day role (考教分离 extended to
    # 考发分离: whoever examines a candidate does not also certify them).
    CERTIFICATE_OFFICER = "certificate_officer"
    # 执法人员: inspects enterprises and spot-examines their people on site (逢查必考, docs/spot-exams.md).
    ENFORCEMENT_OFFICER = "enforcement_officer"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.SYSTEM_ADMIN: "考试系统管理员",
    Role.BANK_ADMIN: "题库管理员",
    Role.EXAM_ADMIN: "考务管理员",
    Role.CHIEF_EXAMINER: "主考官",
    Role.PROCTOR: "监考员",
    Role.EVALUATOR: "考评员",
    Role.AUDITOR: "审计员",
    Role.INSPECTOR: "巡考员",
    Role.CERTIFICATE_OFFICER: "发证人员",
    Role.ENFORCEMENT_OFFICER: "执法人员",
}


# Who reads the whole province's records (sittings, statistics, spot exams) without acting on them.
PROVINCE_READERS = (Role.EXAM_ADMIN, Role.AUDITOR, Role.INSPECTOR)


class AffiliationKind(StrEnum):
    """What a staff member is affiliated with; 考教分离 forbids examining one's own trainees."""

    TRAINING_INSTITUTION = "training_institution"  # 培训机构
    EMPLOYER = "employer"  # 工作单位
