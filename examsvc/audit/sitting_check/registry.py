"""The modules whose ``@check`` functions make up ``verify-sitting`` (imported once, on first run)."""

from __future__ import annotations

import importlib

MODULES = (
    "examsvc.audit.sitting_check.existing",
)


def load() -> None:
    for name in MODULES:
        importlib.import_module(name)
