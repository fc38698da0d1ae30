"""The modules whose ``@check`` functions make up ``verify-sitting`` (imported once, on first run)."""

from __future__ import annotations

import importlib

MODULES = (
    "examsvc.audit.sitting_check.existing",
    "examsvc.audit.sitting_check.log_integrity",
    "examsvc.audit.sitting_check.schedule",
    "examsvc.audit.sitting_check.identity",
    "examsvc.audit.sitting_check.incidents",
    "examsvc.audit.sitting_check.room_record",
    "examsvc.audit.sitting_check.bank_content",
    "examsvc.audit.sitting_check.rule",
    "examsvc.audit.sitting_check.cosignatures",
    "examsvc.audit.sitting_check.checkins",
    "examsvc.audit.sitting_check.timing",
    "examsvc.audit.sitting_check.saves",
    "examsvc.audit.sitting_check.staff",
)


def load() -> None:
    for name in MODULES:
        importlib.import_module(name)
