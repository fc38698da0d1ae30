"""The frame every sitting check plugs into: the context it reads, the finding it reports."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session

from examsvc.audit import repository
from examsvc.crypto.envelope import KeyProvider
from examsvc.crypto.signed_note import Verifier
from examsvc.sittings.models import Sitting

logger = logging.getLogger("examsvc.audit")


@dataclass(frozen=True)
class Finding:
    """One mismatch: where it is (table, row, field), which log entry it contradicts, and what is wrong."""

    check: str
    table: str
    message: str
    row: str | int | None = None
    field: str | None = None
    entry: int | None = None

    def line(self) -> str:
        where = self.table + (f"[{self.row}]" if self.row is not None else "") + (
            f".{self.field}" if self.field else "")
        entry = f" (log entry {self.entry})" if self.entry is not None else ""
        return f"FAILED {self.check}: {where}{entry}: {self.message}"


@dataclass
class Context:
    """What every check reads: the sitting, the whole log as it stands, and the keys a verifier holds."""

    db_session: Session
    sitting: Sitting
    service_key: Verifier
    keys: KeyProvider
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def entries(self) -> list[dict[str, Any]]:
        """Every committed log entry, parsed, in index order."""
        return [json.loads(raw) for raw in repository.entries(self.db_session, 0,
                                                              repository.committed_size(self.db_session))]

    @cached_property
    def sitting_entries(self) -> list[dict[str, Any]]:
        """The entries whose subject is this sitting."""
        return [e for e in self.entries if (e.get("subject") or {}).get("type") == "sitting"
                and (e.get("subject") or {}).get("id") == str(self.sitting.id)]

    def actions(self, *names: str) -> Iterator[dict[str, Any]]:
        """This sitting's entries with one of these actions, in log order."""
        return (e for e in self.sitting_entries if e["action"] in names)


Check = Callable[[Context], Iterable[Finding]]
CHECKS: dict[str, Check] = {}


def check(name: str) -> Callable[[Check], Check]:
    def register(function: Check) -> Check:
        if name in CHECKS:
            raise ValueError(f"two sitting checks named {name}")
        CHECKS[name] = function
        return function
    return register


def run_checks(context: Context, only: Iterable[str] | None = None) -> list[Finding]:
    """Every registered check (or ``only`` these), each isolated from the others' failures."""
    from examsvc.audit.sitting_check import registry

    registry.load()
    findings: list[Finding] = []
    for name, function in CHECKS.items():
        if only is not None and name not in only:
            continue
        try:
            findings.extend(function(context))
        except Exception as exc:  # a verifier names what it could not check; it never crashes
            # The exception's text is not printed: it could carry row content (a question's text).
            logger.info("sitting check failed to run", extra={"check": name, "exception_type": type(exc).__name__})
            findings.append(Finding(check=name, table="(check)", message=f"could not be checked: the data is "
                                    f"malformed or missing ({type(exc).__name__})"))
            context.db_session.rollback()
    return findings
