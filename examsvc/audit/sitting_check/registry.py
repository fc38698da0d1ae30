"""The modules whose ``@check`` functions make up ``verify-sitting`` (imported once, on first run)."""

from __future__ import annotations

import importlib

MODULES = (
    "examsvc.audit.sitting_check.existing",
    "examsvc.audit.sitting_check.checkins",
    "examsvc.audit.sitting_check.timing",
    "examsvc.audit.sitting_check.saves",
)


def load() -> None:
    for name in MODULES:
        importlib.import_module(name)
